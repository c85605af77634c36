"""The one simulated clock of the sandbox (D17, D18, D20, D21).

mode "real": now = wall clock + offset (the offset grows with every advance).
mode "manual": now moves only through advance(); it starts at the wall clock on first use.
Both the offset and the manual time are persisted in the store's meta table.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from email.utils import formatdate

_iso_cache: dict[int, str] = {}
_http_cache: dict[int, str] = {}


def iso_ms(ms: int) -> str:
    """ISO 8601 UTC with milliseconds and Z (D6): 2026-11-24T10:00:00.123Z."""
    sec, milli = divmod(ms, 1000)
    head = _iso_cache.get(sec)
    if head is None:
        if len(_iso_cache) > 4096:
            _iso_cache.clear()
        head = _iso_cache[sec] = datetime.fromtimestamp(sec, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    return f"{head}{milli:03d}Z"


def http_date(ms: int) -> str:
    sec = ms // 1000
    out = _http_cache.get(sec)
    if out is None:
        if len(_http_cache) > 64:
            _http_cache.clear()
        out = _http_cache[sec] = formatdate(sec, usegmt=True)
    return out


def parse_iso(value: str) -> int | None:
    """Parse an ISO 8601 timestamp (with or without fraction, Z or offset) to ms; None if bad."""
    try:
        v = value.strip()
        if v.endswith(("Z", "z")):
            v = v[:-1] + "+00:00"
        dt = datetime.fromisoformat(v)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp() * 1000)
    except (ValueError, AttributeError):
        return None


class SandboxClock:
    def __init__(self, store, mode: str = "real"):
        if mode not in ("real", "manual"):
            raise ValueError(mode)
        self.store = store
        self.mode = mode
        self._lock = threading.Lock()
        self._offset_ms = int(store.get_meta("clock_offset_ms") or 0)
        manual = store.get_meta("clock_manual_ms")
        if manual is None:
            manual = self._wall_ms() + self._offset_ms
        self._manual_ms = int(manual)
        if mode == "real":
            # Never let the clock run backwards across a restart in real mode.
            last = int(store.get_meta("clock_manual_ms") or 0)
            if self._wall_ms() + self._offset_ms < last:
                self._offset_ms = last - self._wall_ms()
        else:
            # Switching real -> manual continues from the real clock's time.
            self._manual_ms = max(self._manual_ms, 0)
        self._persist()

    @staticmethod
    def _wall_ms() -> int:
        return time.time_ns() // 1_000_000

    def refresh(self) -> None:
        """One process owns this clock: nothing to re-read (PgClock re-reads the database)."""

    def now_ms(self) -> int:
        if self.mode == "manual":
            return self._manual_ms
        return self._wall_ms() + self._offset_ms

    def advance(self, seconds: float) -> int:
        delta = round(seconds * 1000)
        with self._lock:
            self._offset_ms += delta
            self._manual_ms = self._manual_ms + delta if self.mode == "manual" else self.now_ms()
            self._persist()
            return self.now_ms()

    def _persist(self) -> None:
        with self.store.tx() as tx:
            tx.set_meta("clock_offset_ms", str(self._offset_ms))
            tx.set_meta(
                "clock_manual_ms",
                str(self._manual_ms if self.mode == "manual" else self.now_ms()),
            )
