"""Boundaries of settlement.run_due (D21): max_jobs and batch limits, exactly, including values
beyond CPython's small-int cache, and how jobs are grouped into database transactions."""

from __future__ import annotations

import threading

import pytest

from desktop.sandbox import settlement
from desktop.sandbox.store import Store

KIND = "t.boundary"


@pytest.fixture
def ran(store):
    """Job ref ids in the order the handler saw them, with the transaction each ran in
    (counted from the BEGIN statements the store's connection executes)."""
    begins = [0]

    def trace(sql: str) -> None:
        if sql.startswith("BEGIN"):
            begins[0] += 1

    seen: list[tuple[str, int]] = []

    def handler(tx, job):
        seen.append((job.ref_id, begins[0]))

    store.conn.set_trace_callback(trace)
    settlement.JOB_HANDLERS[KIND] = handler
    seen_begins = (seen, begins)
    yield seen_begins
    del settlement.JOB_HANDLERS[KIND]
    store.conn.set_trace_callback(None)


def schedule(store: Store, n: int, due: int = 100) -> None:
    with store.tx() as tx:
        for i in range(n):
            tx.schedule(due + i, KIND, f"j{i}", None)


def left(store: Store) -> int:
    return store.one("SELECT COUNT(*) FROM jobs")[0]


def test_max_jobs_runs_exactly_that_many_in_due_order(store, ran):
    seen, _ = ran
    schedule(store, 5)
    assert settlement.run_due(store, 10_000, max_jobs=3) == 3
    assert [r for r, _ in seen] == ["j0", "j1", "j2"]
    assert left(store) == 2
    assert settlement.run_due(store, 10_000, max_jobs=3) == 2
    assert [r for r, _ in seen] == ["j0", "j1", "j2", "j3", "j4"]
    assert left(store) == 0
    assert settlement.run_due(store, 10_000, max_jobs=3) == 0


def test_max_jobs_and_batch_above_the_small_int_cache(store, ran):
    """300 is not a cached int: a limit compared by identity would never match."""
    seen, _ = ran
    schedule(store, 400)
    assert settlement.run_due(store, 10_000, max_jobs=300) == 300
    assert left(store) == 100
    assert [r for r, _ in seen][-1] == "j299"
    seen.clear()
    schedule(store, 201, due=20_000)  # 100 left + 201 = 301 due: one batch of 300, then 1
    assert settlement.run_due(store, 30_000, batch=300) == 301
    assert left(store) == 0
    assert len({b for _, b in seen}) == 2


def test_only_due_jobs_run(store, ran):
    seen, _ = ran
    schedule(store, 3, due=100)  # due 100, 101, 102
    assert settlement.run_due(store, 101) == 2  # due_ms <= now
    assert [r for r, _ in seen] == ["j0", "j1"]
    assert left(store) == 1


def test_batch_groups_jobs_into_transactions(store, ran):
    """Up to `batch` jobs share one transaction: 5 jobs with batch 2 -> 2 + 2 + 1."""
    seen, begins = ran
    schedule(store, 5)
    first = begins[0]
    assert settlement.run_due(store, 10_000, batch=2) == 5
    assert [(r, b - first) for r, b in seen] == [
        ("j0", 1),
        ("j1", 1),
        ("j2", 2),
        ("j3", 2),
        ("j4", 3),
    ]
    assert begins[0] - first == 3  # no empty transaction after a short batch


def test_batch_of_one_runs_every_job(store, ran):
    seen, _ = ran
    schedule(store, 3)
    box: list[int] = []
    worker = threading.Thread(
        target=lambda: box.append(settlement.run_due(store, 10_000, batch=1)), daemon=True
    )
    worker.start()
    worker.join(10)
    if worker.is_alive():
        pytest.fail("run_due(batch=1) did not return")
    assert box == [3]
    assert [b for _, b in seen] == sorted({b for _, b in seen})  # one job per transaction


def test_next_due_ms(store, ran):
    assert settlement.next_due_ms(store) is None
    schedule(store, 2, due=700)
    assert settlement.next_due_ms(store) == 700


@pytest.mark.parametrize("limit", [2, 300])  # 300: beyond the small-int cache
def test_reaching_max_jobs_with_a_full_batch_opens_no_empty_transaction(store, ran, limit):
    _, begins = ran
    schedule(store, limit + 3)
    first = begins[0]
    assert settlement.run_due(store, 10_000, max_jobs=limit, batch=limit) == limit
    assert begins[0] - first == 1
    assert left(store) == 3


@pytest.mark.parametrize("max_jobs", [None, 50])
def test_a_job_scheduled_late_in_a_batch_runs_in_the_same_call(store, max_jobs):
    """The re-read after the 8th job (which schedules one more) must still read ahead."""
    order: list[str] = []

    def handler(tx, job):
        order.append(job.ref_id)
        if job.ref_id == "j7":
            tx.schedule(150, KIND, "extra", None)  # due after j0..j9 (100..109)

    settlement.JOB_HANDLERS[KIND] = handler
    try:
        schedule(store, 10)
        assert settlement.run_due(store, 10_000, max_jobs=max_jobs) == 11
        assert order == [f"j{i}" for i in range(10)] + ["extra"]
        assert left(store) == 0
    finally:
        del settlement.JOB_HANDLERS[KIND]


def test_prepare_runs_before_a_due_job_and_never_when_nothing_is_due(store, ran, monkeypatch):
    """While the rails are not mounted (issue 15), `prepare` mounts them before any due job
    runs, so no job meets a missing handler; with nothing due it is not called."""
    seen, _ = ran
    calls: list[int] = []

    def prepare():
        calls.append(len(seen))  # no job has run yet when it is called

    monkeypatch.setattr(settlement, "prepare", prepare)
    schedule(store, 2, due=5_000)
    assert settlement.run_due(store, 4_999) == 0
    assert calls == [] and left(store) == 2
    assert settlement.run_due(store, 10_000) == 2
    assert calls == [0] and [r for r, _ in seen] == ["j0", "j1"]
