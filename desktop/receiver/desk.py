"""The session's webhook state: the profile's event log, and the listener while a console runs.

The composition root (``desktop.app``) makes one per session and closes it with the session;
the Developers view starts and stops the listener. ``cleanup()`` runs when a sandbox profile
opens: an endpoint left registered by a crash is removed then, not when the console next
opens. Nothing here imports Qt; ``publish`` is the hub's (verified facts go in once).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .listener import Listener, Subscriber, remove_stale_endpoints
from .log import EventLog

__all__ = ["DeskWebhooks", "log_path_for"]

log = logging.getLogger(__name__)


def log_path_for(data_dir: Path | str, profile_name: str) -> Path:
    """The profile's event log file in the app's data dir."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", profile_name).strip("._") or "profile"
    return Path(data_dir) / "webhooks" / f"{safe}.sqlite3"


class DeskWebhooks:
    def __init__(
        self,
        client: Any,
        tracker: Any,
        log_path: Path | str,
        *,
        publish: Callable[[Any], None] | None = None,
        can_listen: bool = True,
    ) -> None:
        self.client = client
        self.tracker = tracker
        self.log_path = Path(log_path)
        self.publish = publish
        self.can_listen = can_listen  # a real OMS cannot reach a desktop: sandbox only
        self._log: EventLog | None = None
        self.listener: Listener | None = None
        self._subscribers: list[Subscriber] = []
        self._lock = asyncio.Lock()
        self.closed = False

    async def event_log(self) -> EventLog:
        if self._log is None:
            self._log = await asyncio.to_thread(EventLog, self.log_path)
        return self._log

    @property
    def running(self) -> bool:
        return self.listener is not None and self.listener.running

    @property
    def url(self) -> str | None:
        return self.listener.url if self.listener is not None else None

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)
        if self.listener is not None:
            self.listener.subscribe(fn)

        def unsubscribe() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)
            if self.listener is not None:
                self.listener._subscribers[:] = [
                    s for s in self.listener._subscribers if s is not fn
                ]

        return unsubscribe

    async def cleanup(self) -> list[str]:
        """Remove endpoints a crashed run left registered (sandbox profiles)."""
        if not self.can_listen or self.closed:
            return []
        async with self._lock:
            if self.listener is not None:
                return []
            event_log = await self.event_log()
            return await remove_stale_endpoints(
                self.client, event_log, await self.client.account_scope()
            )

    async def start(self) -> str:
        """Run the receiver and register its endpoint; returns the endpoint id."""
        if not self.can_listen:
            raise RuntimeError("the live console needs a sandbox profile")
        if self.closed:
            raise RuntimeError("the session is closed")
        async with self._lock:
            if self.listener is not None and self.listener.endpoint_id is not None:
                return self.listener.endpoint_id
            listener = Listener(self.client, await self.event_log(), tracker=self.tracker)
            listener.on_fact = self.publish
            for fn in self._subscribers:
                listener.subscribe(fn)
            endpoint_id = await listener.open()
            self.listener = listener
            return endpoint_id

    async def stop(self) -> None:
        """Remove the endpoint and stop the receiver (the log stays)."""
        async with self._lock:
            listener, self.listener = self.listener, None
            if listener is not None:
                await listener.aclose()

    async def aclose(self) -> None:
        """With the session: stop listening, close the log. Never raises."""
        self.closed = True
        try:
            await asyncio.wait_for(self.stop(), 10)
        except Exception:
            log.exception("webhook endpoint not removed on close (removed on the next start)")
        if self._log is not None:
            event_log, self._log = self._log, None
            await asyncio.to_thread(event_log.close)


KEYRING_SERVICE = "oms-desk-webhooks"


async def keep_secret_in_keyring(endpoint_id: str, secret: str) -> bool:
    """Store an endpoint's secret in the OS keyring, only when asked. False when no OS
    keyring is usable: it is then kept nowhere (never in a file)."""
    import keyring

    from desktop.secrets import backend_usable

    if not await asyncio.to_thread(backend_usable):
        return False
    try:
        await asyncio.to_thread(keyring.set_password, KEYRING_SERVICE, endpoint_id, secret)
    except Exception as exc:
        log.warning("keyring write failed (%s)", type(exc).__name__)
        return False
    return True
