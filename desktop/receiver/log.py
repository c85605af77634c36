"""The receiver's bounded, per-profile log of deliveries, and the endpoint it registered.

One SQLite file per profile (in the app's data dir). It keeps the last ``limit`` deliveries
(10,000 by default) so a restart still shows today's; it holds no secret (the endpoint's
secret lives in memory only). ``seen`` de-duplicates by ``webhook-id`` among verified
deliveries, so a replay is flagged and never applied twice, even across a restart.

The log is used from one thread at a time (the receiver's); ``check_same_thread=False``
lets the owner read it after the receiver stopped.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EventLog", "Received"]

DEFAULT_LIMIT = 10_000
_TRIM_EVERY = 100

SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,      -- wall clock, seconds
    webhook_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    valid INTEGER NOT NULL,
    reason TEXT NOT NULL,
    headers TEXT NOT NULL,          -- JSON object
    body TEXT NOT NULL              -- the raw body as received
);
CREATE INDEX IF NOT EXISTS received_id ON received(webhook_id, valid);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS endpoint (
    endpoint_id TEXT PRIMARY KEY,
    account TEXT NOT NULL,          -- the account scope the endpoint was registered with
    url TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Received:
    """One delivery as the receiver recorded it."""

    seq: int
    received_at: float
    webhook_id: str
    type: str
    object_id: str
    valid: bool
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def mark(self) -> str:
        return "✓" if self.valid else "✗"

    @property
    def payload(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def object_kind(self) -> str:
        """customer, transaction, cashIn, wallet (deposit) or '' — for the go-to link."""
        t = self.type
        if t.startswith("transaction."):
            return "transaction"
        if t.startswith("cashIn."):
            return "cashIn"
        if t.startswith("customer."):
            return "customer"
        if t.startswith("wallet."):
            return "wallet"
        return ""

    def to_json(self) -> dict[str, Any]:
        """One JSON Lines record of an export."""
        return {
            "receivedAt": self.received_at,
            "webhookId": self.webhook_id,
            "type": self.type,
            "objectId": self.object_id,
            "verified": self.valid,
            "reason": self.reason,
            "headers": self.headers,
            "body": self.payload if self.payload is not None else self.body,
        }


def object_id_of(payload: Any) -> str:
    """The id of the object an event concerns (a deposit names its wallet)."""
    if not isinstance(payload, dict):
        return ""
    data = payload.get("data")
    if not isinstance(data, dict):
        return ""
    if data.get("object") == "deposit":
        return str(data.get("walletId") or "")
    return str(data.get("id") or "")


class EventLog:
    def __init__(self, path: Path | str, *, limit: int = DEFAULT_LIMIT) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.limit = limit
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        # Switching the journal mode takes an exclusive lock, and another log on the same
        # file (the console of a previous session, still closing) may hold a shared one: the
        # mode is persistent, so set it only when the file is not in WAL yet.
        if self._conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._since_trim = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ---- deliveries ---------------------------------------------------------------
    def seen(self, webhook_id: str) -> bool:
        """Has a verified delivery with this ``webhook-id`` been recorded?"""
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM received WHERE webhook_id=? AND valid=1 LIMIT 1", (webhook_id,)
            ).fetchone()
        return row is not None

    def record(
        self,
        *,
        webhook_id: str,
        event_type: str,
        object_id: str,
        valid: bool,
        reason: str,
        headers: dict[str, str],
        body: str,
        received_at: float | None = None,
    ) -> Received:
        """Write one delivery durably (committed before this returns) and bound the log."""
        at = time.time() if received_at is None else received_at
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO received (received_at, webhook_id, event_type, object_id, valid, "
                "reason, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    at,
                    webhook_id,
                    event_type,
                    object_id,
                    int(valid),
                    reason,
                    json.dumps(headers),
                    body,
                ),
            )
            seq = int(cur.lastrowid or 0)
            self._since_trim += 1
            if self._since_trim >= max(1, min(_TRIM_EVERY, self.limit // 10)):
                self._since_trim = 0
                self._trim()
        return Received(seq, at, webhook_id, event_type, object_id, valid, reason, headers, body)

    def _trim(self) -> None:
        self._conn.execute(
            "DELETE FROM received WHERE seq <= (SELECT MAX(seq) FROM received) - ?",
            (self.limit,),
        )

    def trim(self) -> None:
        with self._lock:
            self._trim()

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM received").fetchone()[0])

    def recent(self, since: float | None = None, limit: int | None = None) -> list[Received]:
        """Deliveries received at or after ``since`` (all kept if None), oldest first."""
        sql = "SELECT * FROM received"
        args: list[Any] = []
        if since is not None:
            sql += " WHERE received_at >= ?"
            args.append(since)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit if limit is not None else self.limit)
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [_row(r) for r in reversed(rows)]

    def today(self) -> list[Received]:
        start = time.mktime((*time.localtime()[:3], 0, 0, 0, 0, 0, -1))
        return self.recent(since=start)

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM received")

    def __iter__(self) -> Iterator[Received]:
        return iter(self.recent())

    @property
    def token(self) -> str:
        """A random name of this log (this profile's desk), in the receiver's URL path: an
        endpoint whose path carries it is ours, even if a crash came before we wrote its id."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE name='token'").fetchone()
            if row is None:
                value = secrets.token_hex(8)
                self._conn.execute("INSERT INTO meta (name, value) VALUES ('token', ?)", (value,))
                return value
        return str(row[0])

    # ---- the endpoint this desk registered (remembered for cleanup after a crash) ----
    def remember_endpoint(self, account: str, endpoint_id: str, url: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO endpoint (account, endpoint_id, url, created_at) "
                "VALUES (?, ?, ?, ?)",
                (account, endpoint_id, url, time.time()),
            )

    def remembered_endpoints(self, account: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT endpoint_id FROM endpoint WHERE account=?", (account,)
            ).fetchall()
        return [r[0] for r in rows]

    def forget_endpoint(self, endpoint_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM endpoint WHERE endpoint_id=?", (endpoint_id,))


def _row(r: tuple) -> Received:
    return Received(
        seq=r[0],
        received_at=r[1],
        webhook_id=r[2],
        type=r[3],
        object_id=r[4],
        valid=bool(r[5]),
        reason=r[6],
        headers=json.loads(r[7]),
        body=r[8],
    )
