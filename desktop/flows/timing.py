"""Countdown arithmetic for quotes and deposit codes (contract D5, D18). No Qt.

``remaining = expires_at − server_date − (monotonic_now − received_monotonic)``:
the server's ``Date`` header is the reference, the local wall clock and timezone never
enter, and the remaining time is always *recomputed* from a monotonic deadline (never a
decremented counter), so a stalled event loop cannot make a countdown lie.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Clock", "Deadline"]

Clock = Callable[[], float]


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock after which something (a quote, a code) is gone."""

    at_monotonic: float
    clock: Clock = time.monotonic

    @classmethod
    def from_server(
        cls,
        expires_at: datetime,
        server_date: datetime | None,
        received_monotonic: float,
        clock: Clock = time.monotonic,
        date_resolution: float = 0.0,
    ) -> Deadline:
        """Deadline from a response: ``expiresAt`` and that response's ``Date`` (D18).

        An HTTP ``Date`` header has whole seconds: the server's real "now" lies up to
        ``date_resolution`` after it. The UI passes 1.0 so it never shows a quote as valid
        for longer than the server will accept it (a late 409 is handled; a surprise is not).

        Without a server date (should not happen) the lifetime is unknown: the deadline is
        the receipt itself, so the UI asks for a fresh quote rather than trust a guess.
        """
        if server_date is None:
            return cls(received_monotonic, clock)
        lifetime = (expires_at - server_date).total_seconds()
        if server_date.microsecond == 0:
            lifetime -= date_resolution
        return cls(received_monotonic + lifetime, clock)

    def remaining(self, now: float | None = None) -> float:
        """Seconds left (never negative)."""
        now = self.clock() if now is None else now
        return max(0.0, self.at_monotonic - now)

    def expired(self, now: float | None = None) -> bool:
        return self.remaining(now) <= 0.0

    def ms_to_next_tick(self, now: float | None = None) -> int:
        """Milliseconds until the displayed whole second changes (for a single-shot timer)."""
        left = self.remaining(now)
        if left <= 0:
            return 0
        frac = left - math.floor(left)
        return max(1, math.ceil((frac if frac > 0 else 1.0) * 1000))
