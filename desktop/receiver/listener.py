"""The desk's live console endpoint: register it, run the receiver, forward what arrives.

``open()``: remove what a previous run left behind (the ids remembered in the log, and any
endpoint whose URL carries this log's token — a crash may come between the create call and
remembering its id), start the receiver, register ``receiver.url`` for all events with its
own secret, remember the endpoint id durably. ``aclose()``: delete the endpoint, forget it,
stop the receiver. Both are idempotent.

Recorded deliveries come from the receiver's thread; ``_from_thread`` posts them to the
asyncio loop that opened the listener (the app's loop), where verified events go to the
tracker as hints (``Tracker.apply_event``) and then to the subscribers (the console, the hub).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from desktop.oms import errors

from .log import EventLog, Received
from .verify import Verdict

if TYPE_CHECKING:  # starlette and uvicorn come when a console starts listening (start-up)
    from .server import Receiver

__all__ = ["Listener", "remove_stale_endpoints"]

log = logging.getLogger(__name__)

Subscriber = Callable[[Received, Verdict], None]


def _ours(url: str | None, token: str) -> bool:
    try:
        return bool(url) and urlsplit(url or "").path.startswith(f"/oms-desk/{token}")
    except ValueError:
        return False


async def remove_stale_endpoints(client: Any, event_log: EventLog, account: str) -> list[str]:
    """Delete the endpoints an earlier run of this desk registered and did not remove (a
    crash): the ids it remembered, and any endpoint whose URL path carries the log's token.
    Returns the ids removed."""
    token = await asyncio.to_thread(lambda: event_log.token)
    ids = set(await asyncio.to_thread(event_log.remembered_endpoints, account))
    after: str | None = None
    while True:
        page = await client.list_webhooks(limit=100, starting_after=after)
        ids.update(h.id for h in page.data if _ours(h.url, token))
        if not page.has_more or not page.data:
            break
        after = page.data[-1].id
    removed: list[str] = []
    for endpoint_id in sorted(ids):
        try:
            await client.delete_webhook(endpoint_id)
            removed.append(endpoint_id)
        except errors.NotFound:
            pass
        await asyncio.to_thread(event_log.forget_endpoint, endpoint_id)
    if removed:
        log.info("removed %d webhook endpoint(s) left by an earlier run", len(removed))
    return removed


class Listener:
    def __init__(self, client: Any, event_log: EventLog, *, tracker: Any = None) -> None:
        self.client = client
        self.log = event_log
        self.tracker = tracker
        self.receiver: Receiver | None = None
        self.endpoint_id: str | None = None
        self.account: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: list[Subscriber] = []
        self.applied = 0  # verified events given to the tracker (diagnostics)
        #: called with each verified event the tracker did not take (a fact for the hub)
        self.on_fact: Callable[[Any], None] | None = None

    @property
    def url(self) -> str | None:
        return self.receiver.url if self.receiver is not None else None

    @property
    def running(self) -> bool:
        return self.endpoint_id is not None and self.receiver is not None

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)

        return unsubscribe

    async def open(self) -> str:
        """Start receiving; returns the endpoint id. Safe to call twice."""
        if self.endpoint_id is not None:
            return self.endpoint_id
        self._loop = asyncio.get_running_loop()
        self.account = await self.client.account_scope()
        await remove_stale_endpoints(self.client, self.log, self.account)
        token = await asyncio.to_thread(lambda: self.log.token)
        from .server import Receiver

        receiver = Receiver(self.log, self._from_thread, path=f"/oms-desk/{token}")
        await asyncio.to_thread(receiver.start)
        self.receiver = receiver
        try:
            hook = await self.client.create_webhook(receiver.url, [])  # [] = every event
        except BaseException:
            await asyncio.to_thread(receiver.stop)
            self.receiver = None
            raise
        receiver.set_secret(hook.secret or "")
        self.endpoint_id = hook.id
        await asyncio.to_thread(self.log.remember_endpoint, self.account, hook.id, receiver.url)
        if self.tracker is not None and hasattr(self.tracker, "attach_events"):
            self.tracker.attach_events(True)
        return hook.id

    async def aclose(self) -> None:
        """Remove the endpoint, then stop the receiver. Never raises for a gone endpoint."""
        if self.tracker is not None and hasattr(self.tracker, "attach_events"):
            self.tracker.attach_events(False)
        endpoint_id, self.endpoint_id = self.endpoint_id, None
        try:
            if endpoint_id is not None:
                try:
                    await self.client.delete_webhook(endpoint_id)
                except errors.NotFound:
                    pass
                await asyncio.to_thread(self.log.forget_endpoint, endpoint_id)
        finally:
            receiver, self.receiver = self.receiver, None
            if receiver is not None:
                await asyncio.to_thread(receiver.stop)

    # ---- hand-over from the receiver's thread ---------------------------------------
    def _from_thread(self, rec: Received, verdict: Verdict) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._deliver, rec, verdict)
        except RuntimeError:  # the loop is closing
            pass

    def _deliver(self, rec: Received, verdict: Verdict) -> None:
        if verdict.valid and verdict.event is not None:
            taken = False
            if self.tracker is not None:
                try:
                    taken = bool(self.tracker.apply_event(verdict.event))
                except Exception:
                    log.exception("tracker could not apply %s", rec.webhook_id)
            if taken:
                self.applied += 1  # its followers (the hub among them) got it
            elif self.on_fact is not None:
                try:
                    self.on_fact(verdict.event.resource)
                except Exception:
                    log.exception("webhook fact not published")
        for fn in list(self._subscribers):
            try:
                fn(rec, verdict)
            except Exception:
                log.exception("webhook subscriber failed")
