"""Tracker scheduling rules, deterministically (a stub client; timing is not involved).

End-to-end behaviour against a real sandbox is in tests/api/test_client_tracker.py.
"""

from __future__ import annotations

import asyncio

import pytest

from desktop.oms import errors, models
from desktop.oms.tracker import Tracker


class StubClient:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = 0

    async def get_transaction(self, id, retry=True):
        assert retry is False  # the tracker has its own backoff
        self.calls += 1
        a = self.answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return models.parse_transaction({"id": id, "status": a[0], "subStatus": a[1]})

    get_cash_in = get_transaction


def make(answers, **kw):
    client = StubClient(answers)
    t = Tracker(client, initial=1.0, factor=1.5, cap=15.0, error_cap=60.0, jitter=0.0, **kw)
    delays: list[float] = []
    t._schedule = lambda w, d: delays.append(round(d, 4))  # type: ignore[method-assign]
    return t, client, delays


P = ("processing", "fundsPulled")


async def test_backoff_grows_to_cap_and_resets_on_change():
    answers = [P] * 9 + [("processing", "broadcast"), ("processing", "broadcast")]
    t, _, delays = make(answers)
    seen = []
    t.watch("transaction", "txn_1", lambda x: seen.append(x.sub_status))
    w = t._watches[("transaction", "txn_1")]
    for _ in range(len(answers)):
        await t._poll(w)
    assert delays == [
        0.0,  # first poll right away
        1.0,  # first observation is a change → initial
        1.5, 2.25, 3.375, 5.0625, 7.5938, 11.3906, 15.0, 15.0,  # ×1.5 up to the cap
        1.0,  # broadcast: a change resets
        1.5,
    ]  # fmt: skip
    assert seen == ["fundsPulled", "broadcast"]


async def test_errors_back_off_further_and_honour_retry_after():
    answers = [
        P,
        errors.NetworkError(),
        errors.ServerError(status=503),
        errors.RateLimited(retry_after=30.0, status=429),
        P,
    ]
    t, _, delays = make(answers)
    t.watch("transaction", "txn_1", lambda x: None)
    w = t._watches[("transaction", "txn_1")]
    for _ in answers:
        await t._poll(w)
    assert delays[1] == 1.0
    assert delays[2] == 2.0 and delays[3] == 4.0  # doubling on consecutive errors
    assert delays[4] >= 30.0  # Retry-After wins when longer
    assert delays[5] == 1.5  # recovered: back to the normal schedule, unchanged status


async def test_terminal_stops_and_fatal_errors_fail_the_watch():
    t, _, delays = make([P, ("completed", "settled")])
    t.watch("transaction", "txn_1", lambda x: None)
    w = t._watches[("transaction", "txn_1")]
    await t._poll(w)
    await t._poll(w)
    assert w.done and delays == [0.0, 1.0]
    assert t._watches == {} and w.callbacks == []  # nothing kept once finished

    t2, _, _ = make([errors.NotFound(status=404)])
    failures = []
    t2.watch("transaction", "txn_x", lambda x: None, on_error=failures.append)
    await t2._poll(t2._watches[("transaction", "txn_x")])
    assert isinstance(failures[0], errors.NotFound)


async def test_one_poller_per_id_and_late_subscribers_get_the_current_state():
    t, client, _ = make([P])
    a, b = [], []
    ha = t.watch("transaction", "txn_1", a.append)
    t.watch("transaction", "txn_1", b.append)
    assert len(t._watches) == 1
    await t._poll(t._watches[("transaction", "txn_1")])
    assert client.calls == 1 and len(a) == len(b) == 1
    late = []
    t.watch("transaction", "txn_1", late.append)
    assert late == [a[0]]
    ha.cancel()
    assert t.active == 1  # still watched by the others
    with pytest.raises(ValueError):
        t.watch("invoice", "x", print)


async def test_every_delay_gets_seeded_jitter():
    """Jitter spreads pollers so they don't stampede together; with a seeded random the
    exact delays are known (the jitter-free backoff would be 1.0, 1.5, 2.25, …)."""
    import random

    client = StubClient([P] * 6)
    t = Tracker(client, initial=1.0, factor=1.5, cap=15.0, jitter=0.2, rng=random.Random(99))
    delays: list[float] = []
    t._schedule = lambda w, d: delays.append(d)  # type: ignore[method-assign]
    t.watch("transaction", "txn_1", lambda x: None)
    w = t._watches[("transaction", "txn_1")]
    for _ in range(5):
        await t._poll(w)
    r = random.Random(99)
    bare = [1.0, 1.5, 2.25, 3.375, 5.0625]
    assert delays[1:] == [b * r.uniform(0.8, 1.2) for b in bare]
    assert all(d != b for d, b in zip(delays[1:], bare, strict=True))  # jitter is applied
    assert all(0.8 * b <= d <= 1.2 * b for d, b in zip(delays[1:], bare, strict=True))


# -- webhook events as hints (issue 16) ------------------------------------------------------
def _event(type_: str, txn_id: str, status: str, sub: str, updated: str) -> models.Event:
    return models.parse_event(
        {
            "id": f"evt_{status}_{sub}",
            "object": "event",
            "type": type_,
            "data": {
                "id": txn_id,
                "object": "transaction",
                "status": status,
                "subStatus": sub,
                "updatedAt": updated,
            },
        }
    )


async def test_events_apply_at_once_never_backwards_and_slow_the_polls():
    now = [1000.0]
    t, client, delays = make([P, P, P], clock=lambda: now[0])
    seen = []
    t.watch("transaction", "txn_1", lambda x: seen.append((x.status, x.sub_status)))
    w = t._watches[("transaction", "txn_1")]
    await t._poll(w)  # first observation, no events yet: the normal schedule
    assert delays == [0.0, 1.0]
    t.attach_events(True)
    kind = "transaction.cryptoToCrypto.processing"
    newer = _event(kind, "txn_1", "processing", "broadcast", "2026-01-01T00:00:05Z")
    assert t.apply_event(newer) is True and seen[-1] == ("processing", "broadcast")
    assert t.events_flowing and delays[-1] == 30.0  # polling is the slow fallback now
    assert t.apply_event(newer) is False  # the same state again (a replay) changes nothing
    older = _event(kind, "txn_1", "processing", "fundsPulled", "2026-01-01T00:00:01Z")
    assert t.apply_event(older) is False and seen[-1] == ("processing", "broadcast")
    # A poll that was in flight when the event came is dropped (its answer may be older).
    gate = asyncio.Event()
    plain = client.get_transaction

    async def slow_get(id, retry=True):
        await gate.wait()
        return await plain(id, retry=retry)

    client.get_transaction = slow_get
    in_flight = asyncio.ensure_future(t._poll(w))
    await asyncio.sleep(0)  # let it start and block on the gate (no wall-clock wait)
    latest = _event(kind, "txn_1", "processing", "confirming", "2026-01-01T00:00:06Z")
    assert t.apply_event(latest) is True
    gate.set()
    await in_flight
    assert seen[-1] == ("processing", "confirming") and client.calls == 2
    client.get_transaction = plain
    # Events stop: after hint_quiet the next delay is never later than the normal one.
    now[0] += 59.0
    assert t._fallback(1.0) == pytest.approx(2.0)  # 1 s until quiet + the normal 1 s
    now[0] += 2.0
    assert not t.events_flowing and t._fallback(1.5) == 1.5
    done = _event(
        "transaction.cryptoToCrypto.completed", "txn_1", "completed", "done", "2026-01-01T00:00:09Z"
    )
    assert t.apply_event(done) is True and w.done and seen[-1][0] == "completed"
    assert t.apply_event(done) is False  # forgotten once terminal
    assert t.hints == 3 and client.calls == 2


async def test_detaching_the_event_source_restores_the_schedule_at_once():
    now = [0.0]
    t, _, delays = make([P], clock=lambda: now[0])
    t.watch("transaction", "txn_2", lambda x: None)
    w = t._watches[("transaction", "txn_2")]
    t.attach_events(True)
    t.apply_event(_event("cashIn.processing", "ci_x", "processing", "x", "2026-01-01T00:00:00Z"))
    assert t.events_flowing  # any event counts as flow, even about an object not followed
    await t._poll(w)
    assert delays[-1] == 30.0
    t.attach_events(False)
    assert not t.events_flowing and delays[-1] == 1.0  # rescheduled on the normal delay
