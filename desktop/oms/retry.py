"""The retry policy as a pure function: (attempt, Retry-After, elapsed) → delay or give up.

No clock and no sleeping here: the client measures elapsed time and sleeps; the random
source for jitter is passed in, so a test can seed it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy", "retry_delay"]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # total tries of one request (first + retries)
    base: float = 0.3  # first backoff, seconds
    cap: float = 8.0  # largest single backoff
    deadline: float = 30.0  # no retry starts later than this after the first try
    max_retry_after: float = 60.0  # a longer Retry-After is raised to the caller instead

    def delay(
        self,
        attempt: int,
        retry_after: float | None,
        elapsed: float,
        rng: random.Random | None = None,
    ) -> float | None:
        return retry_delay(self, attempt, retry_after, elapsed, rng)


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    retry_after: float | None,
    elapsed: float,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait before the next try, or None to give up.

    ``attempt``: 0 for the first try that just failed, 1 for the second, …
    ``retry_after``: the server's ``Retry-After`` in seconds, if it sent one.
    ``elapsed``: seconds since the first try started.

    Without a hint the delay is exponential (``base·2^attempt``, at most ``cap``) with "equal"
    jitter in [½, 1] of it; with a hint it is the hint plus up to ``min(1 s, base)`` so that
    clients told the same second do not return together. Gives up when the tries are spent,
    when the hint exceeds ``max_retry_after``, or when the wait would end past ``deadline``.
    """
    uniform = (rng or random).uniform
    if attempt + 1 >= policy.attempts:
        return None
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return None
        delay = retry_after + uniform(0, min(1.0, policy.base))
    else:
        delay = min(policy.cap, policy.base * (2**attempt)) * uniform(0.5, 1.0)
    if elapsed + delay > policy.deadline:
        return None
    return delay
