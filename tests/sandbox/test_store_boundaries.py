"""Boundaries of the SQLite store: atomic state changes (alone, nested and in a group commit),
the group commit on the event loop, a failing COMMIT, the checkpointer, the ledger check and
events. Every value read back comes from a second connection or the database itself."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from desktop.sandbox import store as store_mod
from desktop.sandbox.store import COMMIT_HOPS


@pytest.fixture
def path(store_path):
    return store_path


def committed(path: str, key: str) -> str | None:
    """A meta value as another connection sees it: only what is committed."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


class Boom(Exception):
    pass


# -- atomic state changes without an event loop ---------------------------------------------
def test_first_state_change_of_a_new_store_is_atomic(store, path):
    with pytest.raises(Boom), store.tx() as tx:
        tx.set_meta("a", "1")
        raise Boom
    assert committed(path, "a") is None
    with store.tx() as tx:
        tx.set_meta("b", "2")
    assert committed(path, "b") == "2"  # committed at once without a loop


def test_nested_state_changes_join_the_outer_one(store, path):
    with pytest.raises(Boom), store.tx() as tx:
        tx.set_meta("a", "1")
        with tx.tx():
            tx.set_meta("b", "2")
        with tx.tx():  # a second nested one: still inside the outer transaction
            tx.set_meta("c", "3")
            assert committed(path, "c") is None
        raise Boom
    assert [committed(path, k) for k in "abc"] == [None, None, None]
    with store.tx() as tx:
        with tx.tx():
            tx.set_meta("d", "4")
        assert committed(path, "d") is None  # the nested end commits nothing
    assert committed(path, "d") == "4"


def test_the_store_may_be_used_from_another_thread(store, path):
    box: list = []

    def work():
        with store.tx() as tx:
            tx.set_meta("t", "x")
        box.append(store.get_meta("t"))

    t = threading.Thread(target=work)
    t.start()
    t.join(10)
    assert box == ["x"]
    assert committed(path, "t") == "x"


# -- group commit on the event loop -------------------------------------------------------------
def test_group_commit_waits_its_hops_then_commits_the_group(store, path):
    async def main():
        store.loop = asyncio.get_running_loop()
        with store.tx() as tx:
            tx.set_meta("a", "1")
        for _ in range(COMMIT_HOPS):
            await asyncio.sleep(0)  # one pass of the loop, not a wait for time
        assert committed(path, "a") is None  # the group is still open for others to join
        with store.tx() as tx:
            tx.set_meta("b", "2")
        await store.sync()
        assert (committed(path, "a"), committed(path, "b")) == ("1", "2")
        await store.sync()  # nothing open: returns at once

    asyncio.run(main())


def test_group_commit_after_hops_without_sync(store, path):
    """Scheduled on the pass after the state change, then COMMIT_HOPS more passes."""

    async def main():
        store.loop = asyncio.get_running_loop()
        with store.tx() as tx:
            tx.set_meta("a", "1")
        for _ in range(COMMIT_HOPS):
            await asyncio.sleep(0)
        assert committed(path, "a") is None
        await asyncio.sleep(0)
        assert committed(path, "a") == "1"

    asyncio.run(main())


def test_a_failing_state_change_in_a_group_rolls_back_alone(store, path):
    async def main():
        store.loop = asyncio.get_running_loop()
        with store.tx() as tx:
            tx.set_meta("a", "1")
        with pytest.raises(Boom), store.tx() as tx:  # joins the open group
            tx.set_meta("b", "2")
            raise Boom
        with store.tx() as tx:
            tx.set_meta("c", "3")
        await store.sync()
        assert [committed(path, k) for k in "abc"] == ["1", None, "3"]

    asyncio.run(main())


class FailingCommit:
    """The store's connection, whose COMMIT fails (a full disk) while `fail` is set."""

    def __init__(self, conn):
        self._conn = conn
        self.fail = True

    def execute(self, sql, *args):
        if sql == "COMMIT" and self.fail:
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_a_failed_commit_fails_every_waiting_response(store, path):
    real = store.conn
    proxy = FailingCommit(real)

    async def main():
        store.loop = asyncio.get_running_loop()
        store.conn = proxy
        with store.tx() as tx:
            tx.set_meta("a", "1")
        with pytest.raises(sqlite3.OperationalError):
            await asyncio.wait_for(store.sync(), 5)
        proxy.fail = False
        with store.tx() as tx:  # the store goes on after the failure
            tx.set_meta("b", "2")
        await asyncio.wait_for(store.sync(), 5)

    try:
        asyncio.run(main())
    finally:
        store.conn = real
    assert (committed(path, "a"), committed(path, "b")) == (None, "2")


def test_state_change_from_another_thread_is_committed_on_the_loop(store, path):
    """A tx() outside the loop's thread schedules its commit thread-safely (waking the loop)."""
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    done = threading.Event()
    commit_now = store._commit_now

    def observed():
        commit_now()
        done.set()

    store._commit_now = observed
    store.loop = loop
    try:
        with store.tx() as tx:
            tx.set_meta("a", "1")
        assert done.wait(10), "the loop never committed"
        assert committed(path, "a") == "1"
    finally:
        store.loop = None
        loop.call_soon_threadsafe(loop.stop)
        runner.join(10)
        loop.close()


# -- the checkpointer ------------------------------------------------------------------------
class Passes:
    """Stands in for the stop event: `n` passes of the checkpoint loop, then stop."""

    def __init__(self, n: int):
        self.n = n

    def wait(self, timeout):
        self.n -= 1
        return self.n < 0


def test_checkpointer_copies_the_wal_into_the_database_and_survives_errors(
    store, path, monkeypatch
):
    import os

    store._stop.set()  # the store's own checkpointer stops first: this test runs the loop
    store._checkpointer.join(10)
    assert not store._checkpointer.is_alive()
    with store.tx() as tx:
        for i in range(200):
            tx.set_meta(f"k{i}", "x" * 1000)
    before = os.path.getsize(path)
    real_connect = sqlite3.connect
    calls: list[str] = []

    class Flaky:
        def __init__(self, conn):
            self.conn = conn

        def execute(self, sql, *a):
            if "wal_checkpoint" in sql:
                calls.append(sql)
                if len(calls) == 1:
                    raise sqlite3.OperationalError("database is locked")
            return self.conn.execute(sql, *a)

        def close(self):
            calls.append("close")
            self.conn.close()

    monkeypatch.setattr(store_mod.sqlite3, "connect", lambda *a, **k: Flaky(real_connect(*a, **k)))
    monkeypatch.setattr(store, "_stop", Passes(2))
    store._checkpoint_loop()  # two passes: the first fails, the second checkpoints
    monkeypatch.undo()
    assert calls == ["PRAGMA wal_checkpoint(PASSIVE)"] * 2 + ["close"]
    assert os.path.getsize(path) > before + 150_000  # the pages are in the database file now


# -- ledger and events -----------------------------------------------------------------------
def test_check_ledger_names_the_wallets_whose_balance_differs(store):
    with store.tx() as tx:
        tx.open_balance("acct", "wlt_ok", 1)
        tx.open_balance("acct", "wlt_bad", 1)
        tx.open_balance("acct", "wlt_empty", 1)
        tx.post("acct", "wlt_ok", 700, "deposit", None, 2)
        tx.post("acct", "wlt_bad", 500, "deposit", None, 2)
        tx.execute(
            "INSERT INTO ledger(account, wallet_id, amount_minor, reason, ref_id, at_ms)"
            " VALUES('acct', 'wlt_bad', 1, 'stray', NULL, 3)"
        )
    assert store.check_ledger() == ["wlt_bad"]
    assert store.balance("wlt_ok") == (700, 2)
    assert store.balance("wlt_none") is None


def test_emit_stores_the_event_and_tells_the_listeners(store, monkeypatch):
    heard: list = []
    monkeypatch.setattr(
        store_mod, "event_listeners", [lambda s, evt, body, ms: heard.append((s, evt, body, ms))]
    )
    with store.tx() as tx:
        event = tx.emit("acct", "customer.created", {"id": "cst_1", "n": 1}, 1_700_000_000_000)
        tx.emit("acct", "other.thing", {"x": 2}, 1_700_000_000_001, data_json='{"x":2}')
    rows = store.all("SELECT id, account, type, created_ms, body FROM events ORDER BY created_ms")
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("acct", "customer.created", 1_700_000_000_000),
        ("acct", "other.thing", 1_700_000_000_001),
    ]
    first = json.loads(rows[0][4])
    assert first == {
        "id": rows[0][0],
        "object": "event",
        "type": "customer.created",
        "createdAt": "2023-11-14T22:13:20.000Z",
        "data": {"id": "cst_1", "n": 1},
    }
    assert event == first
    assert json.loads(rows[1][4])["data"] == {"x": 2}
    assert len(heard) == 2
    s, evt, body, ms = heard[0]
    assert s is store and evt == {"account": "acct", **first}
    assert body == rows[0][4] and ms == 1_700_000_000_000


# -- resources and cursor paging (D9) ----------------------------------------------------------
@pytest.fixture
def things(store):
    """r1..r5 created at 1..5 ms (r4 and r5 share 5 ms: the id breaks the tie)."""
    with store.tx() as tx:
        for i, ms in zip(range(1, 6), (1, 2, 3, 5, 5), strict=True):
            tx.insert_resource(
                id=f"r{i}",
                account="acct",
                kind="thing",
                body={"n": i},
                created_ms=ms,
                customer_id="cA" if i % 2 else "cB",
                customer2_id="cZ" if i == 2 else None,
                status="odd" if i % 2 else "even",
                address="0xABCdef" if i == 1 else None,
            )
        tx.insert_resource(id="x1", account="other", kind="thing", body={}, created_ms=4)
    return store


def ids(page) -> tuple[list[str], bool]:
    rows, more = page
    return [r["id"] for r in rows], more


def test_page_walks_newest_first_both_ways(things):
    p = things.page
    assert ids(p("thing", "acct", limit=2)) == (["r5", "r4"], True)
    assert ids(p("thing", "acct", limit=2, starting_after="r4")) == (["r3", "r2"], True)
    assert ids(p("thing", "acct", limit=2, starting_after="r2")) == (["r1"], False)
    assert ids(p("thing", "acct", limit=2, ending_before="r2")) == (["r4", "r3"], True)
    assert ids(p("thing", "acct", limit=3, ending_before="r3")) == (["r5", "r4"], False)
    assert ids(p("thing", "acct", limit=5)) == (["r5", "r4", "r3", "r2", "r1"], False)
    assert ids(p("thing", "acct", limit=4)) == (["r5", "r4", "r3", "r2"], True)


def test_page_filters(things):
    p = things.page
    assert ids(p("thing", "acct", limit=9, created_after=2, created_before=3)) == (
        ["r3", "r2"],
        False,
    )
    assert ids(p("thing", "acct", limit=9, status="even")) == (["r4", "r2"], False)
    assert ids(p("thing", "acct", limit=9, status=None)) == (["r5", "r4", "r3", "r2", "r1"], False)
    assert ids(p("thing", "acct", limit=9, customer_id="cB")) == (["r4", "r2"], False)
    assert ids(p("thing", "acct", limit=9, any_customer="cZ")) == (["r2"], False)
    assert ids(p("thing", "acct", limit=9, any_customer="cA")) == (["r5", "r3", "r1"], False)
    assert ids(p("thing", "other", limit=9)) == (["x1"], False)
    with pytest.raises(ValueError):
        p("thing", "acct", limit=9, body="x")


def test_page_refuses_an_unknown_cursor(things):
    from desktop.sandbox.errors import ApiError

    for kw, param in (("starting_after", "startingAfter"), ("ending_before", "endingBefore")):
        for cursor in ("r9", "x1"):  # unknown, or another account's
            with pytest.raises(ApiError) as e:
                things.page("thing", "acct", limit=2, **{kw: cursor})
            assert (e.value.status, e.value.code, e.value.param) == (400, "invalid_request", param)


def test_resource_rows_and_updates(things):
    assert things.get_body("thing", "acct", "r2") == {"n": 2}
    assert things.get_body("thing", "other", "r2") is None
    assert things.get_row("thing", "acct", 5) is None  # a non-text id from a JSON body
    assert things.get_row("thing", "acct", "r1")["address"] == "0xabcdef"
    with things.tx() as tx:
        out = tx.update_resource("r2", {"n": 22}, 9, extra={"e": 1}, status="done")
    assert out == '{"n":22}'
    row = things.get_row("thing", "acct", "r2")
    assert (row["status"], row["updated_ms"], row["created_ms"], row["extra"]) == (
        "done",
        9,
        2,
        '{"e":1}',
    )
    with pytest.raises(ValueError), things.tx() as tx:
        tx.update_resource("r2", {}, 10, account="evil")
    assert things.get_body("thing", "acct", "r2") == {"n": 22}


class FailingRollback(FailingCommit):
    """The store's connection, whose rollbacks fail as after an I/O error (SQLite itself has
    already rolled back the whole transaction)."""

    def execute(self, sql, *args):
        if sql.startswith("ROLLBACK") and self.fail:
            self._conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)


def test_a_group_lost_with_a_failed_rollback_fails_its_responses(store, path):
    real = store.conn
    proxy = FailingRollback(real)

    async def main():
        store.loop = asyncio.get_running_loop()
        store.conn = proxy
        with store.tx() as tx:
            tx.set_meta("a", "1")
        with pytest.raises(Boom), store.tx() as tx:  # joins; its rollback takes "a" with it
            tx.set_meta("b", "2")
            raise Boom
        with pytest.raises(sqlite3.OperationalError):
            await asyncio.wait_for(store.sync(), 5)  # "a" was answered as pending: now lost
        proxy.fail = False
        with store.tx() as tx:
            tx.set_meta("c", "3")
        await asyncio.wait_for(store.sync(), 5)  # the loss is reported once

    try:
        asyncio.run(main())
    finally:
        store.conn = real
    assert [committed(path, k) for k in "abc"] == [None, None, "3"]


def test_a_failed_rollback_of_a_group_of_one_loses_nothing_else(store, path):
    real = store.conn
    proxy = FailingRollback(real)

    async def main():
        store.loop = asyncio.get_running_loop()
        store.conn = proxy
        with pytest.raises(Boom), store.tx() as tx:  # first of its group
            tx.set_meta("a", "1")
            raise Boom
        proxy.fail = False
        with store.tx() as tx:
            tx.set_meta("b", "2")
        await asyncio.wait_for(store.sync(), 5)

    try:
        asyncio.run(main())
    finally:
        store.conn = real
    assert (committed(path, "a"), committed(path, "b")) == (None, "2")
