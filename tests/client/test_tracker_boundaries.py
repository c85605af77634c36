"""Tracker boundaries the mutation run (issue 19, item 4) found untested: the documented
defaults (DESIGN: 1 s ×1.5 up to 15 s, errors doubling to 60 s, ±20 % jitter, 4 polls at a
time), and the diagnostics ``in_flight`` / ``scheduled`` / ``polls`` the benchmarks report.

A stub client (no timing involved): its answers are held behind a gate, so "in flight" is a
state the test controls, not a race. Expected figures are worked out by hand.
"""

from __future__ import annotations

import asyncio
import random

from desktop.oms import errors, models
from desktop.oms.tracker import Tracker


class GatedClient:
    """Answers ``processing/<sub>`` (or the queued errors) once the gate is open."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.calls = 0
        self.errors: list[Exception] = []
        self.sub = "fundsPulled"

    async def get_transaction(self, id, retry=True):
        self.calls += 1
        await self.gate.wait()
        if self.errors:
            raise self.errors.pop(0)
        return models.parse_transaction({"id": id, "status": "processing", "subStatus": self.sub})

    get_cash_in = get_transaction


async def settle() -> None:
    """Let every ready task run until nothing more can happen without the gate or a timer."""
    for _ in range(20):
        await asyncio.sleep(0)


def recording(t: Tracker) -> list[float]:
    delays: list[float] = []
    t._schedule = lambda w, d: delays.append(round(d, 4))  # type: ignore[method-assign]
    return delays


async def test_default_backoff_is_one_second_times_one_and_a_half_up_to_fifteen():
    t = Tracker(GatedClient(), jitter=0.0)  # every other setting at its default
    delays = recording(t)
    t.watch("transaction", "txn_1", lambda x: None)
    w = t._watches[("transaction", "txn_1")]
    for _ in range(10):
        await t._poll(w)
    # 1 (first sight), then ×1.5 while nothing changes: 1.5, 2.25, 3.375, 5.0625, 7.59375,
    # 11.390625, then capped at 15.
    assert delays == [0.0, 1.0, 1.5, 2.25, 3.375, 5.0625, 7.5938, 11.3906, 15.0, 15.0, 15.0]


async def test_default_error_backoff_doubles_up_to_sixty_seconds():
    client = GatedClient()
    client.errors = [errors.ServerError(status=503) for _ in range(7)]
    t = Tracker(client, jitter=0.0)
    delays = recording(t)
    t.watch("transaction", "txn_1", lambda x: None)
    w = t._watches[("transaction", "txn_1")]
    for _ in range(7):
        await t._poll(w)
    # interval 1 s × 2^n for the n-th error in a row: 2, 4, 8, 16, 32, then the 60 s cap.
    assert delays == [0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


async def test_default_jitter_is_twenty_percent():
    t = Tracker(GatedClient(), rng=random.Random(5))
    delays = recording(t)
    t.watch("transaction", "txn_1", lambda x: None)
    await t._poll(t._watches[("transaction", "txn_1")])
    r = random.Random(5)
    assert delays[1] == round(1.0 * r.uniform(0.8, 1.2), 4)
    assert 0.8 <= delays[1] <= 1.2 and delays[1] != 1.0


async def test_four_polls_at_a_time_and_in_flight_counts_them_all():
    client = GatedClient()
    client.gate.clear()
    t = Tracker(client, jitter=0.0)
    try:
        for i in range(6):
            t.watch("transaction", f"txn_{i}", lambda x: None)
        await settle()
        # six polls started, four reached the client (default concurrency 4), none answered
        assert t.in_flight == 6 and client.calls == 4 and t.polls == 4
        assert t.scheduled == 0
        client.gate.set()
        await settle()
        # all answered, each rescheduled once (1 s later), nothing in flight
        assert client.calls == 6 and t.polls == 6 and t.in_flight == 0
        assert t.scheduled == 6 and t.active == 6
    finally:
        await t.aclose()


async def test_polls_counts_requests_one_each():
    t = Tracker(GatedClient(), jitter=0.0)
    recording(t)
    t.watch("transaction", "txn_1", lambda x: None)
    w = t._watches[("transaction", "txn_1")]
    for _ in range(3):
        await t._poll(w)
    assert t.polls == 3 and w.polls == 3


def _event(txn_id: str, sub: str, updated: str) -> models.Event:
    return models.parse_event(
        {
            "id": f"evt_{sub}",
            "object": "event",
            "type": "transaction.cryptoToCrypto.processing",
            "data": {
                "id": txn_id,
                "object": "transaction",
                "status": "processing",
                "subStatus": sub,
                "updatedAt": updated,
            },
        }
    )


async def test_scheduled_counts_only_the_live_entry_of_each_watch():
    now = [100.0]
    t = Tracker(GatedClient(), clock=lambda: now[0], jitter=0.0)
    try:
        seen = []
        t.watch("transaction", "txn_1", lambda x: seen.append(x.sub_status))
        await settle()
        assert seen == ["fundsPulled"] and t.scheduled == 1  # the next poll, 1 s later
        # An event re-schedules the watch: the older heap entry stays behind, stale.
        assert t.apply_event(_event("txn_1", "broadcast", "2026-01-01T00:00:05Z")) is True
        assert seen == ["fundsPulled", "broadcast"]
        assert len(t._heap) == 2 and t.scheduled == 1
        t.watch("transaction", "txn_2", lambda x: None)
        await settle()
        assert t.scheduled == 2
    finally:
        await t.aclose()


async def test_a_poll_queued_behind_the_limit_is_dropped_when_an_event_overtakes_it():
    now = [100.0]
    client = GatedClient()
    client.gate.clear()
    t = Tracker(client, clock=lambda: now[0], jitter=0.0)
    try:
        seen = []
        for i in range(6):
            t.watch("transaction", f"txn_{i}", lambda x, i=i: seen.append((i, x.sub_status)))
        await settle()
        assert client.calls == 4  # txn_4 and txn_5 wait for a free slot
        # An event about txn_5 arrives first: its queued poll is stale and must not be sent.
        assert t.apply_event(_event("txn_5", "broadcast", "2026-01-01T00:00:05Z")) is True
        client.gate.set()
        await settle()
        assert client.calls == 5 and t.polls == 5
        assert (5, "broadcast") in seen and (5, "fundsPulled") not in seen
    finally:
        await t.aclose()


async def test_cancelling_a_handle_twice_leaves_other_subscribers_alone():
    # Two screens follow the same id with the same callable (a bound method, say).
    t = Tracker(GatedClient(), jitter=0.0)
    recording(t)
    seen = []
    first = t.watch("transaction", "txn_1", seen.append)
    second = t.watch("transaction", "txn_1", seen.append)
    first.cancel()
    first.cancel()  # a second cancel of the same handle changes nothing
    assert first.cancelled and not second.cancelled
    assert t.active == 1
    await t._poll(t._watches[("transaction", "txn_1")])
    assert [x.sub_status for x in seen] == ["fundsPulled"]  # the second still gets it
    second.cancel()
    assert t.active == 0 and second.cancelled


async def test_event_slowdown_scales_with_the_initial_delay():
    # Events flowing: a poll's delay d becomes d × hint_initial / initial, at most hint_cap.
    # With initial 2 s, hint_initial 30 s, hint_cap 60 s: 2 s → 30 s, 3 s → 45 s, 4.5 s → 60 s.
    now = [0.0]
    client = GatedClient()
    t = Tracker(client, clock=lambda: now[0], initial=2.0, jitter=0.0)
    delays = recording(t)
    t.watch("transaction", "txn_1", lambda x: None)
    w = t._watches[("transaction", "txn_1")]
    t.attach_events(True)
    assert t.apply_event(_event("txn_1", "broadcast", "2026-01-01T00:00:05Z")) is True
    client.sub = "broadcast"  # the polls now see what the event said: nothing changes
    await t._poll(w)
    await t._poll(w)
    assert delays[-3:] == [30.0, 45.0, 60.0]


async def test_an_async_callback_is_run():
    t = Tracker(GatedClient(), jitter=0.0)
    recording(t)
    seen = []

    async def on_change(item):
        seen.append(item.sub_status)

    t.watch("transaction", "txn_1", on_change)
    await t._poll(t._watches[("transaction", "txn_1")])
    await settle()
    assert seen == ["fundsPulled"]


async def test_an_idle_tracker_sleeps_until_the_next_due_poll():
    # After the first poll the next one is due in 1 s: the scheduler arms one timer and
    # waits; it does not spin re-reading the clock while nothing is due.
    now = [100.0]
    reads = [0]

    def clock():
        reads[0] += 1
        return now[0]

    t = Tracker(GatedClient(), clock=clock, jitter=0.0)
    try:
        t.watch("transaction", "txn_1", lambda x: None)
        await settle()
        assert t.polls == 1 and t.scheduled == 1
        before = reads[0]
        await settle()
        assert reads[0] == before  # 20 turns of the loop, no wake-up
    finally:
        await t.aclose()
