"""Offline detection and self-recovery.

Any NetworkError reported by a view turns the monitor offline; it then probes the
server (``probe()``: ``GET /sandbox/health`` on a sandbox, a one-item list otherwise)
with exponential backoff until it answers, and turns online again. While online, a
slow heartbeat notices a server that went away while the window sat idle.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QObject, Signal

from desktop.oms import errors
from desktop.tasks import TaskScope

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]


class ConnectionMonitor(QObject):
    went_offline = Signal(str)  # message
    came_online = Signal()
    retry_scheduled = Signal(float)  # seconds until the next probe
    #: A probe failed for a reason other than the network (e.g. the embedded sandbox
    #: cannot start): what it said, for the offline banner.
    probe_failed = Signal(str)

    def __init__(
        self,
        probe: Probe | None = None,
        *,
        first_delay: float = 0.5,
        max_delay: float = 10.0,
        heartbeat: float = 15.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.scope = TaskScope("connectivity")
        self.probe = probe
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.heartbeat = heartbeat
        self._online = True
        self._poller: asyncio.Task | None = None
        self._beat: asyncio.Task | None = None
        self.probes = 0

    @property
    def online(self) -> bool:
        return self._online

    def set_probe(self, probe: Probe | None) -> None:
        self.stop()
        self.probe = probe
        self._online = True
        if probe is not None and self.heartbeat > 0:
            self._beat = self.scope.spawn(self._heartbeat(), name="connectivity.heartbeat")

    def stop(self) -> None:
        self.scope.cancel_all()
        self._poller = None
        self._beat = None

    def report(self, exc: BaseException) -> None:
        """A request failed; network failures switch to offline and start probing."""
        if not isinstance(exc, errors.NetworkError) or self.probe is None:
            return
        if self._online:
            self._online = False
            log.warning("server unreachable: %s", exc)
            self.went_offline.emit(str(exc))
        if self._poller is None or self._poller.done():
            self._poller = self.scope.spawn(self._poll(), name="connectivity.poll")

    def check_now(self) -> None:
        """Probe immediately (the banner's Retry)."""
        if self._poller is not None and not self._poller.done():
            self._poller.cancel()
        self._poller = self.scope.spawn(self._poll(immediate=True), name="connectivity.poll")

    async def _poll(self, immediate: bool = False) -> None:
        delay = 0.0 if immediate else self.first_delay
        while True:
            if delay:
                self.retry_scheduled.emit(delay)
                await asyncio.sleep(delay)
            self.probes += 1
            try:
                await self.probe()  # type: ignore[misc]
            except asyncio.CancelledError:
                raise
            except Exception as e:  # still down (or something else is wrong: keep probing)
                log.debug("probe failed: %s", type(e).__name__)
                if not isinstance(e, errors.NetworkError):
                    self.probe_failed.emit(str(e))
                delay = min(self.max_delay, max(self.first_delay, delay * 2)) * random.uniform(
                    0.9, 1.1
                )
                continue
            if not self._online:
                self._online = True
                log.info("server reachable again")
                self.came_online.emit()
            return

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            if not self._online or self.probe is None:
                continue
            try:
                await self.probe()
            except asyncio.CancelledError:
                raise
            except errors.NetworkError as e:
                self.report(e)
            except Exception:
                pass
