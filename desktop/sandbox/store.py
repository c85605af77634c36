"""SQLite persistence: resources, ledger, events, jobs, idempotency records.

One connection per process, WAL, guarded by one re-entrant lock. `store.tx()` is one
database transaction (BEGIN IMMEDIATE ... COMMIT) per state change; a crash at any point
leaves either all or none of it. Money is stored as integer minor units (usdc, 6 places) in
`ledger`; `balances` caches the per-wallet sum in the same transaction and is checked
against the ledger on start (`check_ledger`). A balance can never go below zero (CHECK).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import ApiError
from .ids import new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS accounts(
  id TEXT PRIMARY KEY, api_key TEXT UNIQUE NOT NULL, secret_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  token TEXT PRIMARY KEY, account TEXT NOT NULL, expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS resources(
  id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL,
  customer_id TEXT, customer2_id TEXT, status TEXT, type TEXT,
  email TEXT, external_id TEXT, address TEXT,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  body TEXT NOT NULL, extra TEXT);
CREATE INDEX IF NOT EXISTS res_list ON resources(account, kind, created_ms, id);
CREATE INDEX IF NOT EXISTS res_cust ON resources(account, kind, customer_id, created_ms, id)
  WHERE customer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS res_cust2 ON resources(account, kind, customer2_id, created_ms, id)
  WHERE customer2_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS res_status ON resources(account, kind, status, created_ms, id)
  WHERE status IS NOT NULL;
CREATE INDEX IF NOT EXISTS res_email ON resources(account, kind, email) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS res_ext ON resources(account, kind, external_id)
  WHERE external_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS res_addr ON resources(address) WHERE address IS NOT NULL;
CREATE TABLE IF NOT EXISTS ledger(
  id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, wallet_id TEXT NOT NULL,
  amount_minor INTEGER NOT NULL, reason TEXT NOT NULL, ref_id TEXT, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_wallet ON ledger(wallet_id);
CREATE TABLE IF NOT EXISTS balances(
  wallet_id TEXT PRIMARY KEY, account TEXT NOT NULL,
  balance_minor INTEGER NOT NULL CHECK (balance_minor >= 0), updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  id TEXT PRIMARY KEY, account TEXT NOT NULL, type TEXT NOT NULL,
  created_ms INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_acct ON events(account, created_ms, id);
CREATE TABLE IF NOT EXISTS jobs(
  id INTEGER PRIMARY KEY AUTOINCREMENT, due_ms INTEGER NOT NULL, kind TEXT NOT NULL,
  ref_id TEXT, account TEXT);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(due_ms, id);
CREATE TABLE IF NOT EXISTS idem(
  account TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, key TEXT NOT NULL,
  canon TEXT NOT NULL, status INTEGER NOT NULL, body BLOB NOT NULL,
  created_real_ms INTEGER NOT NULL,
  PRIMARY KEY(account, method, path, key));
CREATE INDEX IF NOT EXISTS idem_age ON idem(created_real_ms);
"""
# A database keeps the checksum of the SCHEMA it was given in `PRAGMA user_version`: a start
# on an existing database does no schema work (one pragma read); an edited SCHEMA runs again.
SCHEMA_VERSION = zlib.crc32(SCHEMA.encode()) & 0x7FFFFFFF

# Hooks other modules register (webhooks.py appends to event_listeners):
# fn(store, event, body_json, created_ms); `event` carries "account" besides the event's own
# keys, `body_json` is the event without "account" as stored, `created_ms` its creation time.
EventListener = Callable[["Store", dict, str, int], None]
event_listeners: list[EventListener] = []


IDEM_INDEX_MAX = 1_000_000
COMMIT_HOPS = 3  # event-loop passes a group commit waits for more state changes to join

_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(obj: Any) -> str:
    """Compact JSON (one shared encoder: json.dumps would build a new one per call)."""
    return _ENCODE(obj)


class Store:
    backend = "sqlite"

    def __init__(self, path: str):
        self.path = path
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=5000",
            "cache_size=-65536",
            "temp_store=MEMORY",
        ):
            self.conn.execute("PRAGMA " + pragma)
        self.lock = threading.RLock()
        self._depth = 0
        self._open = False
        self._lost: Exception | None = None
        self._commit_scheduled = False
        self._waiter: asyncio.Future | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.jobs_scheduled = 0
        self._inflight: dict[tuple, str] = {}
        if self.conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            self.conn.executescript(SCHEMA)
            self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        # Hashes of every idempotency scope (account, method, path, key) that may have a record:
        # a superset (added before commit, never removed), so a miss here skips the lookup.
        self._idem_seen: set[int] | None = {
            hash(tuple(r)) for r in self.conn.execute("SELECT account, method, path, key FROM idem")
        }
        # Checkpoints (the only fsyncs with synchronous=NORMAL) run on a background thread with
        # its own connection instead of inside every ~1000th commit of a request.
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        try:
            while not self._stop.wait(0.5):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._checkpointer.join(5)
        with self.lock:
            self.loop = None
            self.commit_pending()
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self.conn.close()

    # -- transactions -------------------------------------------------------------------
    # Group commit. Each `tx()` is atomic on its own (a SAVEPOINT, rolled back alone on error).
    # Without an event loop (start-up, demo, tests of the store) it commits at once. Once the
    # server runs (`self.loop` set), the COMMIT is scheduled on the loop, so the state changes
    # of all requests handled in one loop iteration share one COMMIT, and `await sync()` in the
    # response path holds every response until what it may reveal is durable: nothing a client
    # has seen is ever lost by a crash.
    @contextmanager
    def tx(self) -> Iterator[Store]:
        """One atomic state change (nested calls join the outer one)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            joined = self._open  # other state changes already wait in this group
            if joined:  # a savepoint, so that a failure rolls back this state change alone
                self.conn.execute("SAVEPOINT tx")
            else:  # first of its group: on failure, ROLLBACK undoes exactly this one
                self.conn.execute("BEGIN IMMEDIATE")
                self._open = True
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                try:
                    if joined:
                        self.conn.execute("ROLLBACK TO tx")
                        self.conn.execute("RELEASE tx")
                    else:
                        self._open = False
                        self.conn.execute("ROLLBACK")
                except sqlite3.Error as e:  # SQLite already rolled everything back (I/O error)
                    self._open = False
                    if joined:
                        self._lost = e  # the earlier state changes of this group are gone too
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                raise
            self._depth = 0
            if joined:
                self.conn.execute("RELEASE tx")
            if self.loop is None:
                self.commit_pending()
            else:
                self._schedule_commit()

    def commit_pending(self) -> None:
        """COMMIT whatever is open now (a failed COMMIT rolls back and raises)."""
        with self.lock:
            if not self._open or self._depth:
                return
            self._open = False
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise

    def _schedule_commit(self) -> None:
        if self._commit_scheduled:
            return
        self._commit_scheduled = True
        loop = self.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.call_soon(self._commit_after, COMMIT_HOPS)
        else:
            loop.call_soon_threadsafe(self._commit_after, COMMIT_HOPS)

    def _commit_after(self, hops: int) -> None:
        """COMMIT after `hops` more passes of the event loop. A request that arrives while a
        group is open is read in one pass and handled in the next, so waiting a few passes lets
        it join the group: fewer, larger commits under load, a few microseconds when idle."""
        if hops > 0:
            self.loop.call_soon(self._commit_after, hops - 1)
        else:
            self._commit_now()

    def _commit_now(self) -> None:
        waiter, self._waiter = self._waiter, None
        try:
            with self.lock:
                self._commit_scheduled = False
                lost, self._lost = self._lost, None
                if lost is not None:
                    raise lost
                self.commit_pending()
        except Exception as e:  # disk full, I/O error: every waiting response fails
            if waiter is not None and not waiter.done():
                waiter.set_exception(e)
            return
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def sync(self) -> None:
        """Wait until every state change made so far is committed (no-op when nothing is)."""
        if not self._open and not self._commit_scheduled:
            return
        if self._waiter is None:
            self._waiter = self.loop.create_future()
        if not self._commit_scheduled:
            self._schedule_commit()
        await asyncio.shield(self._waiter)

    def all(self, sql: str, args: tuple | list = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    def one(self, sql: str, args: tuple | list = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.conn.execute(sql, args).fetchone()

    def execute(self, sql: str, args: tuple | list = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.conn.execute(sql, args)

    def executemany(self, sql: str, rows: list) -> None:
        with self.lock:
            self.conn.executemany(sql, rows)

    def executescript(self, sql: str) -> None:
        """A module's own tables (CREATE ... IF NOT EXISTS). sqlite3's executescript COMMITs
        first: the open group (when the rails are mounted while serving) is committed here,
        through commit_pending, so the group's own COMMIT finds nothing left to do."""
        with self.lock:
            if self._depth:
                raise RuntimeError("executescript inside a transaction")
            self.commit_pending()
            self.conn.executescript(sql)

    def ping(self) -> bool:
        return True

    # -- idempotency records (D3) --------------------------------------------------------
    # In-flight claims: (account, method, path, key) -> canonical body. A request claims its
    # key before it runs and keeps the claim until its response (and the idempotency record
    # with it) is committed and sent. In memory only: one process owns the data dir
    # (sandbox.lock) and nothing in flight survives a restart, so a kill -9 cannot leave a
    # stale claim behind. (PgStore keeps them in the database, for several workers.)
    def claim_idem(self, ident: tuple, canon: str, real_ms: int) -> str | None:
        """None if this request now holds the claim, else the holder's canonical body."""
        held = self._inflight.get(ident)
        if held is None:
            self._inflight[ident] = canon
        return held

    def release_idem(self, ident: tuple) -> None:
        self._inflight.pop(ident, None)

    def idem_may_exist(self, ident: tuple) -> bool:
        """False only if no record of this (account, method, path, key) can exist."""
        seen = self._idem_seen
        return seen is None or hash(ident) in seen

    def put_idem(self, ident: tuple, canon: str, status: int, body: bytes, real_ms: int) -> None:
        """Store (or replace) the result of an idempotent request (inside a transaction)."""
        seen = self._idem_seen
        if seen is not None:
            seen.add(hash(ident))
            if len(seen) > IDEM_INDEX_MAX:  # give up on the shortcut rather than grow forever
                self._idem_seen = None
        self.execute(
            "INSERT OR REPLACE INTO idem(account, method, path, key, canon, status, body,"
            " created_real_ms) VALUES(?,?,?,?,?,?,?,?)",
            (*ident, canon, status, body, real_ms),
        )

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key=?", (key,))
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))

    # -- resources ----------------------------------------------------------------------
    def insert_resource(
        self,
        *,
        id: str,
        account: str,
        kind: str,
        body: dict,
        created_ms: int,
        customer_id: str | None = None,
        customer2_id: str | None = None,
        status: str | None = None,
        type: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
        address: str | None = None,
        extra: dict | None = None,
    ) -> str:
        """Insert a resource; returns its body serialised (reuse it for the response)."""
        body_json = dumps(body)
        self.execute(
            "INSERT INTO resources(id, account, kind, customer_id, customer2_id, status, type,"
            " email, external_id, address, created_ms, updated_ms, body, extra)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                id,
                account,
                kind,
                customer_id,
                customer2_id,
                status,
                type,
                email,
                external_id,
                address.lower() if address else None,
                created_ms,
                created_ms,
                body_json,
                dumps(extra) if extra is not None else None,
            ),
        )
        return body_json

    def update_resource(
        self, id: str, body: dict, updated_ms: int, extra: dict | None = None, **cols: Any
    ) -> str:
        """Replace a resource's body (and listed columns); returns the body serialised."""
        body_json = dumps(body)
        sets = ["body=?", "updated_ms=?"]
        args: list[Any] = [body_json, updated_ms]
        if extra is not None:
            sets.append("extra=?")
            args.append(dumps(extra))
        for col, val in cols.items():
            if col not in ("status", "type", "email", "external_id", "customer2_id"):
                raise ValueError(col)
            sets.append(f"{col}=?")
            args.append(val)
        args.append(id)
        self.execute(f"UPDATE resources SET {', '.join(sets)} WHERE id=?", args)
        return body_json

    def get_row(self, kind: str, account: str, id: object) -> sqlite3.Row | None:
        if not isinstance(id, str):
            return None
        return self.one(
            "SELECT * FROM resources WHERE id=? AND account=? AND kind=?", (id, account, kind)
        )

    def get_body(self, kind: str, account: str, id: object) -> dict | None:
        row = self.get_row(kind, account, id)
        return json.loads(row["body"]) if row else None

    def page(
        self,
        kind: str,
        account: str,
        *,
        limit: int = 50,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: int | None = None,
        created_before: int | None = None,
        any_customer: str | None = None,
        **filters: Any,
    ) -> tuple[list[sqlite3.Row], bool]:
        """Cursor paging per D9. Returns (rows newest first, hasMore in the travelled direction).

        `filters` are equality filters on indexed columns (customer_id, status, type, email,
        external_id); `any_customer` matches customer_id or customer2_id.
        """
        where = ["account=?", "kind=?"]
        args: list[Any] = [account, kind]
        for col, val in filters.items():
            if val is None:
                continue
            if col not in ("customer_id", "status", "type", "email", "external_id"):
                raise ValueError(col)
            where.append(f"{col}=?")
            args.append(val)
        if any_customer is not None:
            where.append("(customer_id=? OR customer2_id=?)")
            args += [any_customer, any_customer]
        if created_after is not None:
            where.append("created_ms>=?")
            args.append(created_after)
        if created_before is not None:
            where.append("created_ms<=?")
            args.append(created_before)
        cursor = starting_after or ending_before
        backwards = ending_before is not None
        if cursor is not None:
            crow = self.one(
                "SELECT created_ms FROM resources WHERE id=? AND account=? AND kind=?",
                (cursor, account, kind),
            )
            if crow is None:
                param = "endingBefore" if backwards else "startingAfter"
                raise ApiError(400, "invalid_request", "Unknown cursor", param)
            where.append("(created_ms, id) > (?, ?)" if backwards else "(created_ms, id) < (?, ?)")
            args += [crow[0], cursor]
        order = "ASC" if backwards else "DESC"
        sql = (
            f"SELECT * FROM resources WHERE {' AND '.join(where)}"
            f" ORDER BY created_ms {order}, id {order} LIMIT ?"
        )
        args.append(limit + 1)
        rows = self.all(sql, args)
        has_more = len(rows) > limit
        rows = rows[:limit]
        if backwards:
            rows.reverse()
        return rows, has_more

    # -- ledger -------------------------------------------------------------------------
    def open_balance(self, account: str, wallet_id: str, now_ms: int) -> None:
        self.execute(
            "INSERT OR IGNORE INTO balances(wallet_id, account, balance_minor, updated_ms)"
            " VALUES(?,?,0,?)",
            (wallet_id, account, now_ms),
        )

    def balance(self, wallet_id: str) -> tuple[int, int] | None:
        row = self.one(
            "SELECT balance_minor, updated_ms FROM balances WHERE wallet_id=?", (wallet_id,)
        )
        return (row[0], row[1]) if row else None

    def post(
        self,
        account: str,
        wallet_id: str,
        amount_minor: int,
        reason: str,
        ref_id: str | None,
        now_ms: int,
    ) -> int:
        """Append a ledger entry and move the cached balance; raises 422 if it would go < 0."""
        with self.lock:
            row = self.conn.execute(
                "UPDATE balances SET balance_minor=balance_minor+?, updated_ms=?"
                " WHERE wallet_id=? AND balance_minor+?>=0 RETURNING balance_minor",
                (amount_minor, now_ms, wallet_id, amount_minor),
            ).fetchone()
            if row is None:
                if self.balance(wallet_id) is None:
                    raise ApiError(404, "not_found", "No such wallet")
                raise ApiError(422, "insufficient_funds", "Insufficient funds in the source wallet")
            self.conn.execute(
                "INSERT INTO ledger(account, wallet_id, amount_minor, reason, ref_id, at_ms)"
                " VALUES(?,?,?,?,?,?)",
                (account, wallet_id, amount_minor, reason, ref_id, now_ms),
            )
            return row[0]

    def check_ledger(self) -> list[str]:
        """Wallets whose cached balance differs from the sum of their ledger entries."""
        rows = self.all(
            "SELECT b.wallet_id, b.balance_minor, COALESCE(SUM(l.amount_minor), 0) AS s"
            " FROM balances b LEFT JOIN ledger l ON l.wallet_id=b.wallet_id"
            " GROUP BY b.wallet_id HAVING b.balance_minor != s"
        )
        return [r[0] for r in rows]

    # -- events and jobs ----------------------------------------------------------------
    def emit(
        self, account: str, type: str, data: dict, now_ms: int, data_json: str | None = None
    ) -> dict:
        """Record an event in the current transaction and tell the listeners (webhooks).
        `data_json`, if given, is `data` already serialised (saves encoding it again)."""
        from .clock import iso_ms

        evt_id = new_id("evt_", now_ms)
        created = iso_ms(now_ms)
        event = {"id": evt_id, "object": "event", "type": type, "createdAt": created, "data": data}
        if data_json is None:
            data_json = dumps(data)
        body = (
            f'{{"id":"{evt_id}","object":"event","type":{dumps(type)},'
            f'"createdAt":"{created}","data":{data_json}}}'
        )
        self.execute(
            "INSERT INTO events(id, account, type, created_ms, body) VALUES(?,?,?,?,?)",
            (evt_id, account, type, now_ms, body),
        )
        if event_listeners:
            with_account = {"account": account, **event}
            for listener in event_listeners:
                listener(self, with_account, body, now_ms)
        return event

    def schedule(self, due_ms: int, kind: str, ref_id: str | None, account: str | None) -> None:
        self.jobs_scheduled += 1  # settlement.run_due re-reads its batch when this moves
        self.execute(
            "INSERT INTO jobs(due_ms, kind, ref_id, account) VALUES(?,?,?,?)",
            (due_ms, kind, ref_id, account),
        )
