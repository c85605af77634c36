"""Webhook signing (D14) and the durable delivery queue + background worker.

Endpoints are `resources` rows of kind "webhook"; the queue tables are this module's own:
  webhook_deliveries one row per (endpoint, event): signed body, status, next attempt
  webhook_attempts   one row per HTTP attempt: sandbox time, real time, status code/error

Deliveries are enqueued in the same database transaction as the event, so an event is
delivered iff its state change committed, and pending deliveries survive a restart.
The worker is a daemon thread with its own SQLite connection; API requests never wait
for it. It POSTs with httpx (5 s timeout), retries on the sandbox clock
5 s, 5 min, 30 min, 2 h, 5 h, 10 h after the previous attempt, and disables an endpoint
that answers 410. `webhook-timestamp` is the real wall-clock time of each attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from desktop.rules import WEBHOOK_EVENT_TYPES, is_loopback_host, webhook_key

if TYPE_CHECKING:  # httpx is imported when the first delivery is due (start-up, memory)
    import httpx

log = logging.getLogger(__name__)

RETRY_SCHEDULE_S: tuple[int, ...] = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
MAX_ATTEMPTS = 1 + len(RETRY_SCHEDULE_S)
ATTEMPT_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.1
# Several workers: how long a taken delivery stays theirs (real time; > one attempt's timeout).
# At least one attempt's timeout plus a second, so a live worker never loses its lease.
DELIVERY_LEASE_MS = max(
    int(os.environ.get("OMS_SANDBOX_DELIVERY_LEASE_MS", "15000")),
    int((ATTEMPT_TIMEOUT_S + 1) * 1000),
)

EVENT_TYPES = WEBHOOK_EVENT_TYPES  # D14, one list for the sandbox and the desk

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id TEXT NOT NULL,
    account TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,             -- exactly the bytes signed and sent on every attempt
    status TEXT NOT NULL,           -- pending | succeeded | failed | cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER,
    created_ms INTEGER NOT NULL,
    last_status_code INTEGER,
    last_error TEXT,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries(status, next_attempt_ms, id);
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint
    ON webhook_deliveries(endpoint_id, id);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,         -- sandbox clock
    wall_ts INTEGER NOT NULL,       -- webhook-timestamp sent (real unix seconds)
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_attempts_delivery ON webhook_attempts(delivery_id, n);
"""


def init_schema(store: Any) -> None:
    store.executescript(SCHEMA)


# -- signing ------------------------------------------------------------------------------
def new_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


secret_key = webhook_key  # the D14 key rule, in desktop.rules


def sign(secret: str, msg_id: str, timestamp: int, body: str | bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` (Standard Webhooks)."""
    if isinstance(body, str):
        body = body.encode()
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, msg_id: str, body: str | bytes, timestamp: int | None = None):
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "user-agent": "oms-sandbox-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }


# -- filters and urls ---------------------------------------------------------------------
def valid_event_pattern(pattern: object) -> bool:
    if not isinstance(pattern, str) or not pattern:
        return False
    if pattern.endswith(".*"):
        prefix = pattern[:-1]  # keep the dot: "cashIn." / "transaction.cryptoToFiat."
        return any(t.startswith(prefix) for t in EVENT_TYPES)
    return pattern in EVENT_TYPES


def event_matches(patterns: Iterable[str], event_type: str) -> bool:
    patterns = list(patterns)
    if not patterns:
        return True
    for p in patterns:
        if p == event_type:
            return True
        if p.endswith(".*") and event_type.startswith(p[:-1]):
            return True
    return False


def url_problem(url: object) -> str | None:
    """None if the URL is acceptable (https, or http on a loopback host), else why not."""
    if not isinstance(url, str) or not url:
        return "url must be a non-empty string"
    if len(url) > 2048:
        return "url is too long"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises on a bad port
    except ValueError:
        return "url is not a valid URL"
    if not host:
        return "url must have a host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and is_loopback_host(host):
        return None
    return "url must use https (http only on a loopback host)"


# -- enqueueing (called inside the event's own transaction) -----------------------------
# Endpoints are `resources` rows of kind "webhook" (status active|disabled, body as served,
# extra = {"secret": "whsec_..."}); this module only adds the delivery queue.
WEBHOOK_KIND = "webhook"


def enqueue(
    store: Any, account: str, event_id: str, event_type: str, body: str, now_ms: int
) -> int:
    """Queue one delivery per enabled endpoint of the account whose filter matches."""
    rows = store.all(
        "SELECT id, body FROM resources WHERE account=? AND kind=? AND status='active'",
        (account, WEBHOOK_KIND),
    )
    n = 0
    for row in rows:
        if not event_matches(json.loads(row[1]).get("events") or [], event_type):
            continue
        store.execute(
            "INSERT OR IGNORE INTO webhook_deliveries (endpoint_id, account, event_id, "
            "event_type, body, status, attempts, next_attempt_ms, created_ms) "
            "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            (row[0], account, event_id, event_type, body, now_ms, now_ms),
        )
        n += 1
    return n


# -- the worker ---------------------------------------------------------------------------
def _httpx():
    """httpx, imported on the first due delivery: a sandbox start does not pay for it
    (with httpcore and its TLS context, ~0.1 s and several MB measured), nor does a
    sandbox nobody subscribed to."""
    import sys

    if "httpx" not in sys.modules:  # without its command-line client (click, rich, …)
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
        try:
            import httpx
        finally:
            if sys.modules.get("httpx._main", False) is None:
                del sys.modules["httpx._main"]
    import httpx

    return httpx


class _LazyClient:
    """The worker's ``httpx.Client``, made when the first delivery is sent."""

    def __init__(self, make: Callable[[], httpx.Client]) -> None:
        self._make = make
        self._client: httpx.Client | None = None

    def post(self, *args: Any, **kwargs: Any) -> httpx.Response:
        if self._client is None:
            self._client = self._make()
        return self._client.post(*args, **kwargs)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


class DeliveryWorker:
    """Background thread delivering due webhook deliveries, one at a time, oldest first.

    It holds the store's lock only for short reads and writes, never during HTTP.
    """

    def __init__(
        self,
        store: Any,
        now_ms: Callable[[], int],
        on_disabled: Callable[[Any, str, int], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._store = store
        self._now_ms = now_ms
        self._on_disabled = on_disabled
        self._transport = transport
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = ATTEMPT_TIMEOUT_S + 1) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        client = _LazyClient(
            lambda: _httpx().Client(
                timeout=ATTEMPT_TIMEOUT_S, follow_redirects=False, transport=self._transport
            )
        )
        try:
            while not self._stop.is_set():
                try:
                    did = self.run_once(client)
                except sqlite3.ProgrammingError:
                    return  # the store was closed: the sandbox is shutting down
                except Exception as exc:  # keep the worker alive; retry next tick
                    self.last_error = repr(exc)
                    log.exception("webhook worker error")
                    did = False
                if not did:
                    self._wake.wait(POLL_INTERVAL_S)
                    self._wake.clear()
        finally:
            client.close()

    def run_once(self, client: httpx.Client) -> bool:
        """Attempt the oldest due delivery; False when nothing is due."""
        if self._stop.is_set():
            return False
        store = self._store
        shared = getattr(store, "backend", "sqlite") != "sqlite"
        if shared:
            from .runtime import RT

            RT.clock.refresh()  # another worker may have advanced the one clock
        now = self._now_ms()
        if shared:
            row = self._claim(store, now)
        else:
            row = store.one(
                "SELECT d.id, d.endpoint_id, d.event_id, d.body, d.attempts, r.body, r.extra "
                "FROM webhook_deliveries d JOIN resources r ON r.id = d.endpoint_id "
                "WHERE d.status = 'pending' AND d.next_attempt_ms <= ? AND r.status = 'active' "
                "ORDER BY d.id LIMIT 1",
                (now,),
            )
        if row is None:
            return False
        delivery_id, endpoint_id, event_id, body, attempts = row[0], row[1], row[2], row[3], row[4]
        url = json.loads(row[5])["url"]
        secret = json.loads(row[6])["secret"]
        started_ms = now
        wall_ts = int(time.time())
        headers = signed_headers(secret, event_id, body, wall_ts)
        code: int | None = None
        error: str | None = None
        httpx = _httpx()
        t0 = time.monotonic()
        try:
            resp = client.post(url, content=body.encode(), headers=headers)
            code = resp.status_code
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        duration_ms = int((time.monotonic() - t0) * 1000)
        n = attempts + 1
        ok = code is not None and 200 <= code < 300
        with store.tx() as tx:
            current = tx.one("SELECT status FROM webhook_deliveries WHERE id=?", (delivery_id,))
            tx.execute(
                "INSERT INTO webhook_attempts (delivery_id, n, at_ms, wall_ts, status_code, "
                "error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (delivery_id, n, started_ms, wall_ts, code, error, duration_ms),
            )
            if current is None or current[0] != "pending":
                return True  # cancelled (endpoint deleted) while the attempt was in flight
            if ok:
                status, next_ms = "succeeded", None
            elif code == 410:
                status, next_ms = "failed", None
                if self._on_disabled is not None:
                    self._on_disabled(tx, endpoint_id, self._now_ms())
            elif n >= MAX_ATTEMPTS:
                status, next_ms = "failed", None
            else:
                # Retries count from the start of the previous attempt, so a clock advance
                # made while the attempt was in flight still counts.
                status, next_ms = "pending", started_ms + RETRY_SCHEDULE_S[n - 1] * 1000
            tx.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_ms = ?, "
                "last_status_code = ?, last_error = ? WHERE id = ?",
                (status, n, next_ms, code, error, delivery_id),
            )
            if shared:
                tx.execute(
                    "UPDATE webhook_deliveries SET lease_until_real_ms = NULL WHERE id = ?",
                    (delivery_id,),
                )
        return True

    @staticmethod
    def _claim(store: Any, now: int):
        """Several workers (PostgreSQL): take the oldest due delivery nobody holds, with a
        lease of real time. FOR UPDATE SKIP LOCKED: two workers never take the same one; a
        worker killed mid-attempt leaves its lease to run out, then another takes it over
        (the receiver may see that attempt twice, with the same webhook-id, as on any retry)."""
        real = time.time_ns() // 1_000_000
        claimed = store.one(
            "UPDATE webhook_deliveries SET lease_until_real_ms = ? WHERE id = ("
            " SELECT d.id FROM webhook_deliveries d JOIN resources r ON r.id = d.endpoint_id"
            " WHERE d.status = 'pending' AND d.next_attempt_ms <= ? AND r.status = 'active'"
            " AND (d.lease_until_real_ms IS NULL OR d.lease_until_real_ms < ?)"
            " ORDER BY d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED) RETURNING id",
            (real + DELIVERY_LEASE_MS, now, real),
        )
        if claimed is None:
            return None
        return store.one(
            "SELECT d.id, d.endpoint_id, d.event_id, d.body, d.attempts, r.body, r.extra "
            "FROM webhook_deliveries d JOIN resources r ON r.id = d.endpoint_id WHERE d.id = ?",
            (claimed[0],),
        )


# -- debugging view -------------------------------------------------------------------------
def list_deliveries(
    store: Any,
    endpoint_id: str,
    limit: int,
    fmt_time: Callable[[int], str],
) -> list[dict[str, Any]]:
    rows = store.all(
        "SELECT id, event_id, event_type, status, attempts, next_attempt_ms, created_ms, "
        "last_status_code, last_error FROM webhook_deliveries WHERE endpoint_id = ? "
        "ORDER BY id DESC LIMIT ?",
        (endpoint_id, limit),
    )
    out = []
    for r in rows:
        attempts = store.all(
            "SELECT n, at_ms, wall_ts, status_code, error, duration_ms FROM webhook_attempts "
            "WHERE delivery_id = ? ORDER BY n",
            (r[0],),
        )
        out.append(
            {
                "object": "webhookDelivery",
                "webhookId": endpoint_id,
                "eventId": r[1],
                "eventType": r[2],
                "status": r[3],
                "attemptCount": r[4],
                "nextAttemptAt": None if r[5] is None else fmt_time(r[5]),
                "createdAt": fmt_time(r[6]),
                "lastStatusCode": r[7],
                "lastError": r[8],
                "attempts": [
                    {
                        "n": a[0],
                        "at": fmt_time(a[1]),
                        "webhookTimestamp": a[2],
                        "statusCode": a[3],
                        "error": a[4],
                        "durationMs": a[5],
                    }
                    for a in attempts
                ],
            }
        )
    return out
