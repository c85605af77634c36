"""PostgreSQL backend of the sandbox store (team sandbox, D24).

`PgStore` keeps `Store`'s interface (tx, one, all, execute, post, emit, schedule, page, ...):
the resource modules write SQLite-flavoured SQL once and `translate()` rewrites it for
PostgreSQL (placeholders, INSERT OR IGNORE/REPLACE, json_extract). psycopg 3 through a
psycopg_pool pool (it replaces a connection that broke, e.g. after a database restart).

Several worker processes share one database, so everything that is per-process on SQLite is
in the database here:
- every state change (`tx()`) is one PostgreSQL transaction that first takes one
  transaction-scoped advisory lock (`WRITE_LOCK`): writers are serial across all workers,
  exactly as SQLite's BEGIN IMMEDIATE makes them serial in one process, so every check made
  inside a state change (balance, quote state, limits) holds when it commits, settlement jobs
  are applied once each in time order, and reads never wait. A worker killed mid-transaction
  loses its connection, PostgreSQL rolls the transaction back and releases the lock: jobs
  it had taken are simply still there for the next worker;
- D3 in-flight claims are session advisory locks of the worker's connection (its canonical
  body in `idem_claims`), dropped after the response's record commits, or by PostgreSQL the
  moment a killed worker's connection closes;
- the clock is read from the database at the start of each request (`PgClock`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.numeric import NumericLoader
from psycopg_pool import ConnectionPool

from . import pg_migrations
from .errors import ApiError
from .store import Store

WRITE_LOCK = 0x0D5D_0001  # pg_advisory_xact_lock key every state change takes first

# Conflict targets of the tables written with INSERT OR REPLACE.
_PRIMARY_KEYS = {"meta": ("key",), "idem": ("account", "method", "path", "key")}
_OR_RE = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.I)
_JSON_RE = re.compile(r"json_extract\((\w+),\s*'\$\.(\w+)'\)")
_translated: dict[str, str] = {}


def translate(sql: str) -> str:
    """SQLite-flavoured SQL of the sandbox -> PostgreSQL (cached per statement)."""
    out = _translated.get(sql)
    if out is not None:
        return out
    s = sql.replace("%", "%%").replace("?", "%s")
    s = _JSON_RE.sub(r"(\1::jsonb->>'\2')", s)
    m = _OR_RE.match(s)
    if m:
        how, table, cols = m.group(1).upper(), m.group(2), m.group(3)
        s = f"INSERT INTO {table}({cols})" + s[m.end() :]
        if how == "IGNORE":
            s += " ON CONFLICT DO NOTHING"
        else:
            keys = _PRIMARY_KEYS[table]
            names = [c.strip() for c in cols.split(",")]
            sets = ", ".join(f"{c}=EXCLUDED.{c}" for c in names if c not in keys)
            s += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    if len(_translated) < 10_000:
        _translated[sql] = s
    return s


class PgRow(tuple):
    """A result row readable by position and by column name, like sqlite3.Row."""

    def __new__(cls, values, index: dict[str, int]):
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


_indexes: dict[tuple, dict[str, int]] = {}


def _row_factory(cursor):
    desc = cursor.description
    if desc is None:
        return tuple
    names = tuple(c.name for c in desc)
    index = _indexes.get(names)
    if index is None:
        index = _indexes[names] = {n: i for i, n in enumerate(names)}

    def make(values):
        return PgRow(values, index)

    return make


class _IntNumericLoader(NumericLoader):
    """SUM() of BIGINT is NUMERIC in PostgreSQL: whole numbers come back as int (money is
    integer minor units everywhere), like SQLite's."""

    def load(self, data):
        value = super().load(data)
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        return value


def _configure(conn: psycopg.Connection) -> None:
    conn.adapters.register_loader("numeric", _IntNumericLoader)
    conn.row_factory = _row_factory


class StoreClosed(sqlite3.ProgrammingError):
    """Raised by a closed store (background threads stop on it, as on a closed SQLite one)."""


def connect(dsn: str, **kw: Any) -> psycopg.Connection:
    """One autocommit connection configured like the store's (admin commands, tests)."""
    conn = psycopg.connect(dsn, autocommit=True, **kw)
    _configure(conn)
    return conn


class PgStore(Store):
    backend = "postgresql"

    def __init__(self, dsn: str, migrate: bool = True):
        self.path = dsn
        self.dsn = dsn
        self.lock = threading.RLock()
        self._depth = 0
        self._open = False
        self._lost = None
        self._commit_scheduled = False
        self._waiter = None
        self.loop = None
        self.jobs_scheduled = 0
        self._idem_seen = None  # every lookup goes to the database (other workers write too)
        self._inflight: dict[tuple, str] = {}
        self._closed = False
        self.pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=1,
            kwargs={"autocommit": True},
            configure=_configure,
            open=True,
            name="oms-sandbox",
        )
        self._conn: psycopg.Connection | None = None
        if migrate:
            with self.lock:
                pg_migrations.migrate(self._c())

    # -- connection ---------------------------------------------------------------------
    def _c(self) -> psycopg.Connection:
        if self._closed:
            raise StoreClosed("the store is closed")
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                self.pool.putconn(conn)  # the pool drops a broken one
            conn = self._conn = self.pool.getconn(timeout=30)
        return conn

    def close(self) -> None:
        with self.lock:
            self.loop = None
            self._closed = True
            if self._conn is not None:
                self.pool.putconn(self._conn)
                self._conn = None
            self.pool.close()

    def ping(self) -> bool:
        """Is the database reachable (health)?"""
        try:
            with self.lock:
                self._c().execute("SELECT 1")
            return True
        except (psycopg.Error, StoreClosed):
            return False

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[PgStore]:
        """One atomic state change, serial with every other worker's (WRITE_LOCK)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            conn = self._c()
            conn.execute("BEGIN")
            self._depth = 1
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                yield self
            except BaseException:
                self._depth = 0
                try:
                    conn.execute("ROLLBACK")
                except psycopg.Error:
                    pass
                raise
            self._depth = 0
            conn.execute("COMMIT")

    def commit_pending(self) -> None:  # every tx() commits itself
        return

    async def sync(self) -> None:
        return

    def all(self, sql: str, args: tuple | list = ()) -> list:
        with self.lock:
            return self._c().execute(translate(sql), tuple(args)).fetchall()

    def one(self, sql: str, args: tuple | list = ()) -> Any:
        with self.lock:
            return self._c().execute(translate(sql), tuple(args)).fetchone()

    def execute(self, sql: str, args: tuple | list = ()) -> Any:
        with self.lock:
            return self._c().execute(translate(sql), tuple(args))

    def executemany(self, sql: str, rows: list) -> None:
        with self.lock, self._c().cursor() as cur:
            cur.executemany(translate(sql), rows)

    def executescript(self, sql: str) -> None:
        """The rails' SQLite DDL: on PostgreSQL the schema is the migrations' (no-op)."""
        return

    # -- idempotency (D3) -----------------------------------------------------------------
    def idem_may_exist(self, ident: tuple) -> bool:
        return True

    @staticmethod
    def _claim_key(ident: tuple) -> int:
        digest = hashlib.blake2b("\x00".join(ident).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def claim_idem(self, ident: tuple, canon: str, real_ms: int) -> str | None:
        """Take the in-flight claim of `ident`: None if this request now holds it, else the
        canonical body of the request that holds it.

        The claim is a session advisory lock of this worker's connection, so it ends exactly
        when its request ends or its worker dies (PostgreSQL drops a dead client's locks at
        once: no lease to wait for, and a slow live request is never taken over); the row in
        idem_claims only tells the others its body (409 same body, 422 another)."""
        local = self._inflight.get(ident)  # this worker's own (its session re-enters locks)
        if local is not None:
            return local
        lock_key = self._claim_key(ident)
        with self.lock:
            conn = self._c()
            # One round trip: the lock, and the body row only if the lock was had.
            got = conn.execute(
                "WITH l AS (SELECT pg_try_advisory_lock(%s) AS got),"
                " w AS (INSERT INTO idem_claims(account, method, path, key, canon,"
                " claimed_real_ms) SELECT %s,%s,%s,%s,%s,%s FROM l WHERE l.got"
                " ON CONFLICT (account, method, path, key) DO UPDATE"
                " SET canon=EXCLUDED.canon, claimed_real_ms=EXCLUDED.claimed_real_ms"
                " RETURNING 1) SELECT got FROM l",
                (lock_key, *ident, canon, real_ms),
            ).fetchone()[0]
            if got:
                self._inflight[ident] = canon
                return None
            held = conn.execute(
                "SELECT canon FROM idem_claims WHERE account=%s AND method=%s AND path=%s"
                " AND key=%s",
                ident,
            ).fetchone()
            return held[0] if held is not None else canon  # its row is not written yet

    def release_idem(self, ident: tuple) -> None:
        with self.lock:
            if self._inflight.pop(ident, None) is None or self._closed:
                return  # released already (when its response started)
            self._c().execute(
                "WITH d AS (DELETE FROM idem_claims WHERE account=%s AND method=%s AND path=%s"
                " AND key=%s RETURNING 1) SELECT pg_advisory_unlock(%s)",
                (*ident, self._claim_key(ident)),
            )

    # -- ledger -------------------------------------------------------------------------
    def post(
        self,
        account: str,
        wallet_id: str,
        amount_minor: int,
        reason: str,
        ref_id: str | None,
        now_ms: int,
    ) -> int:
        with self.lock:
            conn = self._c()
            row = conn.execute(
                "UPDATE balances SET balance_minor=balance_minor+%s, updated_ms=%s"
                " WHERE wallet_id=%s AND balance_minor+%s>=0 RETURNING balance_minor",
                (amount_minor, now_ms, wallet_id, amount_minor),
            ).fetchone()
            if row is None:
                if self.balance(wallet_id) is None:
                    raise ApiError(404, "not_found", "No such wallet")
                raise ApiError(422, "insufficient_funds", "Insufficient funds in the source wallet")
            conn.execute(
                "INSERT INTO ledger(account, wallet_id, amount_minor, reason, ref_id, at_ms)"
                " VALUES(%s,%s,%s,%s,%s,%s)",
                (account, wallet_id, amount_minor, reason, ref_id, now_ms),
            )
            return row[0]

    def check_ledger(self) -> list[str]:
        rows = self.all(
            "SELECT b.wallet_id FROM balances b LEFT JOIN ledger l ON l.wallet_id=b.wallet_id"
            " GROUP BY b.wallet_id HAVING b.balance_minor != COALESCE(SUM(l.amount_minor), 0)"
        )
        return [r[0] for r in rows]


class PgClock:
    """The one sandbox clock of every worker, in the database (meta rows, as on SQLite).

    `refresh()` (start of each request, each settlement pass) reads it; `advance()` moves it
    inside a state change, so concurrent advances through different workers add up."""

    def __init__(self, store: PgStore, mode: str = "real"):
        if mode not in ("real", "manual"):
            raise ValueError(mode)
        self.store = store
        self.mode = mode
        with store.tx() as tx:
            offset = int(tx.get_meta("clock_offset_ms") or 0)
            manual = tx.get_meta("clock_manual_ms")
            wall = self._wall_ms()
            if manual is None:
                manual = wall + offset
            manual = int(manual)
            if mode == "real" and wall + offset < manual:  # never backwards across restarts
                offset = manual - wall
            self._write(tx, offset, manual if mode == "manual" else wall + offset)
        self.refresh()

    @staticmethod
    def _wall_ms() -> int:
        return time.time_ns() // 1_000_000

    @staticmethod
    def _write(tx: PgStore, offset: int, manual: int) -> None:
        tx.set_meta("clock_offset_ms", str(offset))
        tx.set_meta("clock_manual_ms", str(manual))

    def refresh(self) -> None:
        rows = self.store.all(
            "SELECT key, value FROM meta WHERE key IN ('clock_offset_ms', 'clock_manual_ms')"
        )
        values = {r[0]: int(r[1]) for r in rows}
        self._offset_ms = values.get("clock_offset_ms", 0)
        self._manual_ms = values.get("clock_manual_ms", self._wall_ms())

    def now_ms(self) -> int:
        if self.mode == "manual":
            return self._manual_ms
        return self._wall_ms() + self._offset_ms

    def advance(self, seconds: float) -> int:
        delta = round(seconds * 1000)
        with self.store.tx() as tx:
            self.refresh()  # under the write lock: the latest advance of any worker
            self._offset_ms += delta
            if self.mode == "manual":
                self._manual_ms += delta
            else:
                self._manual_ms = self._wall_ms() + self._offset_ms
            self._write(tx, self._offset_ms, self._manual_ms)
            return self.now_ms()
