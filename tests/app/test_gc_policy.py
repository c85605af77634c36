"""The GC policy (desktop.gc_policy): one place for the app and the benchmarks."""

from __future__ import annotations

import gc
import weakref

import pytest

from desktop import gc_policy


@pytest.fixture
def policy():
    before = gc.get_threshold()
    gc_policy.apply_after_startup()
    yield gc_policy
    gc_policy.reset()
    gc.set_threshold(*before)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> weakref.ref:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_start_up_objects_are_frozen_and_thresholds_set(policy):
    assert gc.get_threshold() == gc_policy.THRESHOLDS
    assert gc.get_freeze_count() > 1000  # modules, classes, everything alive at start-up


def test_survivors_of_a_full_collection_are_frozen_and_idle_collection_frees_their_cycles(
    policy,
):
    keep = [Node() for _ in range(100)]
    frozen = gc.get_freeze_count()
    gc.collect()  # a full pass: its survivors leave the generations
    assert gc.get_freeze_count() >= frozen + len(keep)
    dead = _cycle()
    gc.collect()  # a cycle that is garbage before a full pass is collected as usual
    assert dead() is None
    # A cycle frozen while alive, garbage later: only the idle full collection frees it.
    holder = [Node()]
    holder[0].other = Node()
    holder[0].other.other = holder[0]
    ref = weakref.ref(holder[0])
    gc.collect()  # frozen now
    holder.clear()
    gc.collect()
    assert ref() is not None
    assert not gc_policy.collect_when_idle()  # too soon after start-up: nothing happens
    assert ref() is not None
    assert gc_policy.collect_when_idle(now=10**12)
    assert ref() is None
    assert gc.get_freeze_count() > 0  # frozen again afterwards


def test_the_collector_is_off_during_start_up_and_back_with_the_policy():
    before = gc.get_threshold()
    try:
        gc_policy.pause_during_startup()
        assert not gc.isenabled()
        ref = _cycle()
        gc.collect(0)  # an explicit pass still works; only the automatic ones are off
        assert ref() is None
        gc_policy.apply_after_startup()
        assert gc.isenabled() and gc.get_threshold() == gc_policy.THRESHOLDS
        gc_policy.pause_during_startup()
        gc_policy.reset()
        assert gc.isenabled()
    finally:
        gc_policy.reset()
        gc.set_threshold(*before)
