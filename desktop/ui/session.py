"""One session per open profile: client, tracker, outbox, task scope and the change hub.

The composition root (``desktop.app``) builds a ``Session`` when a profile opens and
closes it when the profile closes. Every view, dialog and wizard of that profile gets this
one object; nothing copies its fields. Recovery after a crash — replaying the outbox and
following work still in flight — is the session's job (``resume()``), never a tab's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from desktop.oms import models
from desktop.tasks import TaskScope
from desktop.ui.hub import ChangeHub, Notice

log = logging.getLogger(__name__)

__all__ = ["Session"]


@dataclass(eq=False)
class Session:
    """What every view and wizard of one open profile shares."""

    client: Any  # desktop.oms.client.OmsClient
    tracker: Any  # desktop.oms.tracker.Tracker (the only poller)
    outbox: Any  # desktop.oms.outbox.Outbox
    scope: TaskScope  # money-moving calls live here: closing a wizard never loses one
    is_sandbox: bool  # never guessed: it decides whether sandbox-only steps appear
    profile: Any = None  # desktop.config.Profile
    clock: Callable[[], float] = time.monotonic
    probe_fn: Callable[[], Awaitable[object]] | None = field(default=None, repr=False)
    #: finds transactions the desk did not start (deposits, D22); built from the client
    feed: Any = None  # desktop.oms.feed.TransactionFeed
    hub: ChangeHub = field(init=False, repr=False)
    resumed: bool = False

    def __post_init__(self) -> None:
        if self.feed is None and self.client is not None:
            from desktop.oms.feed import TransactionFeed

            self.feed = TransactionFeed(self.client, tracker=self.tracker)
        self.hub = ChangeHub(self)

    @property
    def current_profile(self) -> Any:
        return self.profile

    async def probe(self) -> object:
        """A cheap request that tells whether the server answers (offline monitor)."""
        if self.probe_fn is not None:
            return await self.probe_fn()
        return await self.client.list_customers(limit=1)

    # ---- recovery ----------------------------------------------------------------
    def resume(self) -> asyncio.Task | None:
        """Replay the outbox, then follow every transaction and cash-in still in flight.

        Once per session. The hub emits a ``Notice`` summing up the outbox replay, one per
        final entry (shown once, then acknowledged so it never comes back), and
        ``followingChanged`` while resumed work is still in flight.
        """
        if self.resumed or self.scope.closed:
            return None
        self.resumed = True

        def failed(exc: BaseException) -> None:
            self.hub.notice.emit(
                Notice("resume-error", f"Could not resume in-flight work: {exc}", "warning")
            )

        return self.scope.spawn(self._resume(), name="resume in-flight", on_error=failed)

    async def _resume(self) -> str:
        hub = self.hub
        parts: list[str] = []
        if self.outbox is not None:
            report = await self.outbox.replay(self.client)
            for entry in report.resent:
                model = entry.result
                if isinstance(model, models.CashIn):
                    hub.publish_cash_in(model)
                    hub.follow_resumed("cashIn", model.id, interrupted=True)
                elif isinstance(model, models.Transaction):
                    hub.publish_transaction(model)
                    hub.follow_resumed("transaction", model.id, interrupted=True)
            if report.resent:
                parts.append(f"{len(report.resent)} interrupted submission(s) were completed")
            if report.failed:
                parts.append(
                    f"{len(report.failed)} interrupted submission(s) were refused by the server"
                )
            if report.still_pending:
                parts.append(
                    f"{len(report.still_pending)} could not be confirmed yet and will be retried"
                )
            if report.stale:
                parts.append(f"{len(report.stale)} older than 24 h need checking by hand")
        if parts:
            text = "; ".join(parts)
            hub.notice.emit(Notice("resume", text[0].upper() + text[1:] + ".", "info"))
        if self.outbox is not None:
            await self._final_entries()
        async for txn in self.client.iter_transactions(status="processing"):
            hub.publish_transaction(txn)
            hub.follow_resumed("transaction", txn.id)
        for status in ("pending", "processing"):
            async for ci in self.client.iter_cash_ins(status=status, limit=100):
                hub.publish_cash_in(ci)
                hub.follow_resumed("cashIn", ci.id)
        return "; ".join(parts)

    async def _final_entries(self) -> None:
        """Refused and stale entries of this account: one notice each, then acknowledged."""
        from desktop.oms.outbox import EntryState

        scope = await self.client.account_scope()
        entries = await asyncio.to_thread(
            self.outbox.entries, EntryState.FAILED, EntryState.STALE, scope=scope
        )
        for e in entries:
            what = "A send" if e.kind == "transaction" else "A cash-in"
            if e.state is EntryState.FAILED:
                text = (
                    f"{what} submitted before the restart (key {e.key}) was refused: "
                    f"{e.error_message or e.error_code or 'no reason given'}."
                )
                kind = "error"
            else:
                text = (
                    f"{what} submitted before the restart (key {e.key}) could not be confirmed "
                    "within 24 h: check it by hand."
                )
                kind = "warning"
            self.hub.notice.emit(Notice(f"outbox:{e.key}", text, kind, e.quote_id))
            await asyncio.to_thread(self.outbox.acknowledge, e.key)

    # ---- closing ------------------------------------------------------------------
    async def aclose(self) -> None:
        """Cancel the session's work, stop following, close the tracker and the client."""
        await self.scope.aclose()
        self.hub.stop_all()
        if self.feed is not None:
            await self.feed.aclose()
        if self.tracker is not None:
            try:
                await self.tracker.aclose()
            except Exception:
                log.exception("tracker close failed")
        await self.client.aclose()
