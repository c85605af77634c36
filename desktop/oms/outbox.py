"""Durable journal of money-moving POSTs: a crash or a lost response never loses a submission
and never duplicates one.

Before ``POST /transactions`` or ``POST /cash-ins`` leaves, the request body and its
idempotency key are committed to SQLite with ``synchronous=FULL`` (fsync'd). The outcome is
recorded when known. :meth:`Outbox.replay` re-sends unresolved entries with their original keys
(the server answers a replay with the stored result, D3); entries older than the server's
24 h idempotency window are *not* re-sent but surfaced for a person to check, because the
server may have forgotten the key and a re-send could move money twice.

Every entry is filed under its account's scope (``desktop.oms.accounts``): stable across
restarts, so the embedded sandbox's new port on every start does not orphan its entries.
Entries of another account are never re-sent through this one; ``unresolved_elsewhere``
lists them so the operator is told where they wait.

Outcome rules: 2xx → ``done``; a definitive refusal (4xx other than 409
``idempotency_key_in_use`` and 429) → ``failed``; network errors, timeouts, 5xx, 429,
``idempotency_key_in_use`` and cancellation leave the entry ``pending`` for replay.
"""

from __future__ import annotations

import asyncio
import errno
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from . import errors, models
from .accounts import legacy_scope_matches
from .client import OmsClient, new_idempotency_key

__all__ = ["IDEMPOTENCY_WINDOW_S", "EntryState", "Outbox", "OutboxEntry", "ReplayReport"]

IDEMPOTENCY_WINDOW_S = 24 * 3600
# Re-send only comfortably inside the window: the server's and our clocks may differ a little.
REPLAY_MARGIN_S = 10 * 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    key         TEXT PRIMARY KEY,
    scope       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    result_id   TEXT,
    result      TEXT,
    error_code  TEXT,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state, created_at);
"""
# Columns added after the first release (old journals are upgraded in place).
_ADDED_COLUMNS = {"label": "TEXT"}
_COLUMNS = (
    "key, scope, kind, body, state, created_at, updated_at, attempts, result_id, result,"
    " error_code, error_message, label"
)


class EntryState(StrEnum):
    PENDING = "pending"  # journalled; outcome unknown
    DONE = "done"  # the server created the object (result_id)
    FAILED = "failed"  # the server refused definitively (error_code)
    STALE = "stale"  # unresolved past the idempotency window: a person must check
    ACKNOWLEDGED = "acknowledged"  # a person checked a stale entry


class Kind(StrEnum):
    TRANSACTION = "transaction"
    CASH_IN = "cashIn"


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    scope: str
    kind: str
    body: dict
    state: EntryState
    created_at: float
    updated_at: float
    attempts: int = 0
    result_id: str | None = None
    # The created object (models.Transaction / models.CashIn) once done; its JSON is .result.raw
    result: Any = field(default=None, repr=False)
    error_code: str | None = None
    error_message: str | None = None
    #: Where the account lives, for people (profile name and URL); the scope is opaque.
    label: str | None = None

    @property
    def quote_id(self) -> str | None:
        return self.body.get("quoteId")

    def model(self) -> Any:
        return self.result


def _parse_result(kind: str, raw: Any) -> Any:
    if kind == Kind.CASH_IN:
        return models.parse_cash_in(raw)
    return models.parse_transaction(raw)


@dataclass
class ReplayReport:
    resent: list[OutboxEntry] = field(default_factory=list)  # re-sent and now done
    failed: list[OutboxEntry] = field(default_factory=list)  # re-sent and refused
    still_pending: list[OutboxEntry] = field(default_factory=list)  # re-sent, outcome unknown
    stale: list[OutboxEntry] = field(default_factory=list)  # older than 24 h: check by hand

    @property
    def needs_attention(self) -> bool:
        return bool(self.stale or self.failed or self.still_pending)


def _disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full") or an OS ENOSPC."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "disk is full" in text or "disk full" in text
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def _definitive(err: errors.OmsError) -> bool:
    """True when the server has decided (a retry with the same key would get the same)."""
    if isinstance(
        err,
        errors.NetworkError | errors.ServerError | errors.RateLimited | errors.ProtocolError,
    ):
        return False  # no decision we can read: the outcome is unknown
    if isinstance(err, errors.IdempotencyError) and err.in_use:
        return False
    if isinstance(err, errors.AuthError):
        return False  # nothing happened on the server; a replay may succeed with new creds
    return err.status is not None and 400 <= err.status < 500


class Outbox:
    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # every commit fsync'd
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        for col, decl in _ADDED_COLUMNS.items():
            if col not in have:
                self._db.execute(f"ALTER TABLE outbox ADD COLUMN {col} {decl}")
        self._replaying: set[str] = set()

    @classmethod
    def in_user_data_dir(cls, app_name: str = "OMS Desk") -> Outbox:
        from platformdirs import user_data_dir

        return cls(Path(user_data_dir(app_name, appauthor=False)) / "outbox.sqlite3")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ storage (blocking)

    def _exec(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            cur = self._db.execute(sql, args)
            return cur.fetchall()

    def _row(self, row: tuple) -> OutboxEntry:
        (
            key,
            scope,
            kind,
            body,
            state,
            created,
            updated,
            attempts,
            rid,
            result,
            code,
            msg,
            label,
        ) = row
        return OutboxEntry(
            key=key,
            scope=scope,
            kind=kind,
            body=json.loads(body),
            state=EntryState(state),
            created_at=created,
            updated_at=updated,
            attempts=attempts,
            result_id=rid,
            result=_parse_result(kind, json.loads(result)) if result else None,
            error_code=code,
            error_message=msg,
            label=label,
        )

    def get(self, key: str) -> OutboxEntry | None:
        rows = self._exec(f"SELECT {_COLUMNS} FROM outbox WHERE key = ?", (key,))
        return self._row(rows[0]) if rows else None

    def entries(self, *states: EntryState, scope: str | None = None) -> list[OutboxEntry]:
        sql = f"SELECT {_COLUMNS} FROM outbox"
        cond, args = [], []
        if states:
            cond.append(f"state IN ({','.join('?' * len(states))})")
            args += [str(s) for s in states]
        if scope is not None:
            cond.append("scope = ?")
            args.append(scope)
        if cond:
            sql += " WHERE " + " AND ".join(cond)
        return [self._row(r) for r in self._exec(sql + " ORDER BY created_at", tuple(args))]

    def unresolved_elsewhere(self, scope: str) -> list[OutboxEntry]:
        """Pending or stale entries of *other* accounts: shown to the operator, never hidden,
        because only a client of their own account may finish them."""
        rows = self._exec(
            f"SELECT {_COLUMNS} FROM outbox WHERE scope != ? AND state IN (?, ?)"
            " ORDER BY created_at",
            (scope, str(EntryState.PENDING), str(EntryState.STALE)),
        )
        return [self._row(r) for r in rows]

    def adopt_legacy(self, scope: str, base_url: str, api_key: str | None) -> int:
        """Re-file this account's entries journalled under the first scope format
        (``base_url#api_key``, which changed with the embedded sandbox's port)."""
        with self._lock:
            legacy = [
                s
                for (s,) in self._db.execute(
                    "SELECT DISTINCT scope FROM outbox WHERE scope != ?", (scope,)
                )
                if legacy_scope_matches(s, base_url, api_key)
            ]
            for old in legacy:
                self._db.execute("UPDATE outbox SET scope = ? WHERE scope = ?", (scope, old))
        return len(legacy)

    def _journal(
        self, key: str, scope: str, kind: str, body: dict, label: str | None = None
    ) -> None:
        try:
            self._journal_tx(key, scope, kind, body, label)
        except (sqlite3.OperationalError, OSError) as exc:
            if _disk_full(exc):
                raise errors.DiskFull() from exc
            raise

    def _journal_tx(
        self, key: str, scope: str, kind: str, body: dict, label: str | None = None
    ) -> None:
        now = self._clock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                existing = self._db.execute(
                    "SELECT kind, body, scope FROM outbox WHERE key = ?", (key,)
                ).fetchone()
                if existing is None:
                    self._db.execute(
                        "INSERT INTO outbox"
                        " (key, scope, kind, body, state, created_at, updated_at, label)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (key, scope, kind, json.dumps(body), EntryState.PENDING, now, now, label),
                    )
                elif (existing[0], json.loads(existing[1]), existing[2]) != (kind, body, scope):
                    raise ValueError("this idempotency key is journalled for another request")
                self._db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE key = ?",
                    (now, key),
                )
                self._db.execute("COMMIT")  # synchronous=FULL: durable before the POST leaves
            except BaseException:
                # A failed statement or COMMIT (disk full) may already have rolled back: a
                # second ROLLBACK would fail and hide the real error behind "cannot rollback".
                if self._db.in_transaction:
                    try:
                        self._db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise

    def _record(self, key: str, state: EntryState, **cols: Any) -> None:
        sets = ["state = ?", "updated_at = ?"]
        args: list[Any] = [str(state), self._clock()]
        for col, value in cols.items():
            sets.append(f"{col} = ?")
            args.append(json.dumps(value) if col == "result" else value)
        args.append(key)
        try:
            self._exec(f"UPDATE outbox SET {', '.join(sets)} WHERE key = ?", tuple(args))
        except (sqlite3.OperationalError, OSError) as exc:
            if _disk_full(exc):
                raise errors.DiskFull(
                    "The disk is full, so the outcome could not be recorded here. The payments"
                    " service has it; free some disk space and restart to check it again."
                ) from exc
            raise

    def acknowledge(self, key: str) -> None:
        """A person checked a stale/failed entry: stop surfacing it."""
        self._record(key, EntryState.ACKNOWLEDGED)

    # ------------------------------------------------------------------ submissions

    async def submit_transaction(
        self,
        client: OmsClient,
        quote_id: str,
        *,
        key: str | None = None,
        metadata: dict | None = None,
    ) -> models.Transaction:
        body: dict[str, Any] = {"quoteId": quote_id}
        if metadata is not None:
            body["metadata"] = metadata
        return await self._submit(client, Kind.TRANSACTION, body, key or new_idempotency_key())

    async def submit_cash_in(
        self, client: OmsClient, body: dict, *, key: str | None = None
    ) -> models.CashIn:
        return await self._submit(client, Kind.CASH_IN, dict(body), key or new_idempotency_key())

    async def _submit(self, client: OmsClient, kind: str, body: dict, key: str) -> Any:
        scope = await client.account_scope()
        label = client.account_label or client.base_url
        await asyncio.to_thread(self._journal, key, scope, kind, body, label)
        return await self._send(client, kind, body, key)

    async def _send(self, client: OmsClient, kind: str, body: dict, key: str) -> Any:
        try:
            if kind == Kind.CASH_IN:
                result = await client.create_cash_in(body, idempotency_key=key)
            else:
                extra = {k: v for k, v in body.items() if k not in ("quoteId", "metadata")}
                result = await client.create_transaction(
                    body["quoteId"],
                    idempotency_key=key,
                    metadata=body.get("metadata"),
                    extra=extra or None,
                )
        except errors.OmsError as err:
            if _definitive(err):
                await asyncio.to_thread(
                    self._record,
                    key,
                    EntryState.FAILED,
                    error_code=err.code or str(err.status),
                    error_message=err.message,
                )
            raise
        await asyncio.to_thread(
            self._record, key, EntryState.DONE, result_id=result.id, result=result.raw
        )
        return result

    # ------------------------------------------------------------------ recovery

    async def replay(self, client: OmsClient) -> ReplayReport:
        """Re-send this account's unresolved entries with their original keys."""
        scope = await client.account_scope()
        await asyncio.to_thread(self.adopt_legacy, scope, client.base_url, client.api_key)
        report = ReplayReport()
        now = self._clock()
        for entry in await asyncio.to_thread(self.entries, EntryState.PENDING, scope=scope):
            if entry.key in self._replaying:
                continue
            if now - entry.created_at > IDEMPOTENCY_WINDOW_S - REPLAY_MARGIN_S:
                await asyncio.to_thread(self._record, entry.key, EntryState.STALE)
                continue
            self._replaying.add(entry.key)
            try:
                await asyncio.to_thread(self._journal, entry.key, scope, entry.kind, entry.body)
                await self._send(client, entry.kind, entry.body, entry.key)
            except errors.OmsError:
                pass
            finally:
                self._replaying.discard(entry.key)
            after = await asyncio.to_thread(self.get, entry.key)
            assert after is not None
            if after.state is EntryState.DONE:
                report.resent.append(after)
            elif after.state is EntryState.FAILED:
                report.failed.append(after)
            else:
                report.still_pending.append(after)
        report.stale = await asyncio.to_thread(self.entries, EntryState.STALE, scope=scope)
        return report
