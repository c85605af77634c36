"""Process-wide runtime state of the sandbox: the store, the clock and the settings.

`RT` is filled by app.create_app(); resource modules read it at request time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .clock import SandboxClock
    from .store import Store


@dataclass
class Runtime:
    store: Store = None  # type: ignore[assignment]
    clock: SandboxClock = None  # type: ignore[assignment]
    quote_ttl_s: float = 30.0
    token_ttl_s: float = 3600.0
    data_dir: str = ""
    default_account: str | None = None
    workers: int = 1
    rate_limit: float | None = None  # requests/s per bearer token and worker (None: off)
    extra: dict = field(default_factory=dict)

    def now_ms(self) -> int:
        return self.clock.now_ms()


RT = Runtime()
