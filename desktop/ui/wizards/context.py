"""What the money wizards and the transactions view need from the application.

``MoneyContext`` bundles the client, tracker, outbox and the *application's* TaskScope
(money-moving calls live there, so closing a wizard never loses a submission), plus the
injected monotonic clock. ``MoneyHub`` is the one place that submits through the outbox
and follows transactions and cash-ins with the tracker; views and wizards listen to its
signals, so a transaction started in a wizard that was closed keeps updating the
transactions view.

``money_context_from(session)`` makes one MoneyContext per shell session.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.oms import models
from desktop.tasks import TaskScope

log = logging.getLogger(__name__)

__all__ = ["MoneyContext", "MoneyHub", "money_context_from", "resume_in_flight"]


class MoneyHub(QObject):
    """Submits through the outbox and publishes every transaction / cash-in it learns of."""

    transactionChanged = Signal(object)  # models.Transaction
    cashInChanged = Signal(object)  # models.CashIn
    submissionFailed = Signal(str, object)  # idempotency key, exception
    notice = Signal(str)

    def __init__(self, ctx: MoneyContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.transactions: dict[str, Any] = {}
        self.cash_ins: dict[str, Any] = {}
        self._watches: dict[tuple[str, str], Any] = {}
        self.submissions: dict[str, asyncio.Task] = {}  # key → task
        #: cash-in id → (server Date, monotonic receipt) of the response that set its code (D18)
        self.code_stamps: dict[str, tuple[Any, float]] = {}

    def stamp(self, ci_id: str) -> None:
        """Remember the server time of the response just received for this cash-in."""
        client = self.ctx.client
        self.code_stamps[ci_id] = (getattr(client, "last_server_date", None), self.ctx.clock())

    # ---- publishing -----------------------------------------------------
    def publish_transaction(self, txn: Any) -> None:
        self.transactions[txn.id] = txn
        self.transactionChanged.emit(txn)

    def publish_cash_in(self, ci: Any) -> None:
        self.cash_ins[ci.id] = ci
        self.cashInChanged.emit(ci)
        if getattr(ci, "transaction_id", None):
            self.track_transaction(ci.transaction_id)

    # ---- tracking -------------------------------------------------------
    def _watch(self, kind: str, ident: str, publish: Callable[[Any], None]) -> None:
        if (kind, ident) in self._watches or self.ctx.tracker is None:
            return

        def on_update(model: Any, *_: Any) -> None:
            if model is None or isinstance(model, BaseException):
                return
            publish(model)
            if getattr(model, "is_terminal", False):
                self._watches.pop((kind, ident), None)

        try:
            self._watches[(kind, ident)] = self.ctx.tracker.watch(kind, ident, on_update)
        except Exception:  # a closed tracker during shutdown
            log.exception("could not watch %s %s", kind, ident)

    def track_transaction(self, txn_id: str) -> None:
        self._watch("transaction", txn_id, self.publish_transaction)

    def track_many(self, txn_ids: list[str], spread_ms: int = 8) -> None:
        """Track many transactions, starting their pollers a few ms apart so hundreds of
        rows do not poll in lock-step (one burst of responses per cycle stalls the loop)."""
        from PySide6.QtCore import QTimer

        fresh = [i for i in txn_ids if ("transaction", i) not in self._watches]
        for n, txn_id in enumerate(fresh):
            if n == 0:
                self.track_transaction(txn_id)
            else:
                QTimer.singleShot(n * spread_ms, self, lambda i=txn_id: self.track_transaction(i))

    def track_cash_in(self, ci_id: str) -> None:
        self._watch("cashIn", ci_id, self.publish_cash_in)

    def is_tracking(self, kind: str, ident: str) -> bool:
        return (kind, ident) in self._watches

    def stop_all(self) -> None:
        for handle in list(self._watches.values()):
            try:
                handle.cancel()
            except Exception:
                pass
        self._watches.clear()

    # ---- money-moving calls (application scope) ---------------------------
    def submit_transaction(self, quote_id: str, key: str) -> asyncio.Task:
        """POST /transactions through the outbox in the application's scope.

        The same key is never submitted twice concurrently: a second call returns the
        running task. The result is published and tracked whether or not anyone still
        waits for it (the wizard may have been closed).
        """
        running = self.submissions.get(key)
        if running is not None and not running.done():
            return running

        async def run() -> Any:
            txn = await self.ctx.outbox.submit_transaction(self.ctx.client, quote_id, key=key)
            self.publish_transaction(txn)
            self.track_transaction(txn.id)
            return txn

        def on_error(exc: BaseException) -> None:
            self.submissionFailed.emit(key, exc)

        task = self.ctx.scope.spawn(run(), name=f"submit {quote_id}", on_error=on_error)
        self.submissions[key] = task
        return task

    def submit_cash_in(self, body: dict, key: str | None = None) -> asyncio.Task:
        async def run() -> Any:
            ci = await self.ctx.outbox.submit_cash_in(self.ctx.client, body, key=key)
            self.stamp(ci.id)
            self.publish_cash_in(ci)
            self.track_cash_in(ci.id)
            return ci

        def on_error(exc: BaseException) -> None:
            self.submissionFailed.emit(key or "", exc)

        task = self.ctx.scope.spawn(run(), name="cash-in", on_error=on_error)
        if key:
            self.submissions[key] = task
        return task


@dataclass
class MoneyContext:
    client: Any
    tracker: Any
    outbox: Any
    scope: TaskScope
    is_sandbox: bool  # never guessed: it decides whether sandbox-only steps appear
    clock: Callable[[], float] = time.monotonic
    hub: MoneyHub | None = field(default=None, repr=False)
    resumed: bool = False  # in-flight work of this session already picked up again

    def __post_init__(self) -> None:
        if self.hub is None:
            self.hub = MoneyHub(self)


def money_context_from(session: Any) -> MoneyContext:
    """The session's MoneyContext, made once and kept on the session (dies with it).

    ``session`` is the shell's ``desktop.app.Session`` (client, tracker, outbox, scope,
    is_sandbox); tests and benchmarks may pass a ready MoneyContext.
    """
    if isinstance(session, MoneyContext):
        return session
    ctx = getattr(session, "_money_ctx", None)
    if ctx is None:
        ctx = MoneyContext(
            client=session.client,
            tracker=session.tracker,
            outbox=session.outbox,
            scope=session.scope,
            is_sandbox=session.is_sandbox,
        )
        session._money_ctx = ctx
    return ctx


async def _resume(ctx: MoneyContext) -> str:
    hub = ctx.hub
    assert hub is not None
    parts: list[str] = []
    if ctx.outbox is not None:
        report = await ctx.outbox.replay(ctx.client)
        resent, failed = report.resent, report.failed
        unknown, stale = report.still_pending, report.stale
        for entry in resent:
            model = entry.result
            if isinstance(model, models.CashIn):
                hub.publish_cash_in(model)
                hub.track_cash_in(model.id)
            elif isinstance(model, models.Transaction):
                hub.publish_transaction(model)
                hub.track_transaction(model.id)
        if resent:
            parts.append(f"{len(resent)} interrupted submission(s) were completed")
        if failed:
            parts.append(f"{len(failed)} interrupted submission(s) were refused by the server")
        if unknown:
            parts.append(f"{len(unknown)} could not be confirmed yet and will be retried")
        if stale:
            parts.append(f"{len(stale)} older than 24 h need checking by hand")
    count = 0
    async for txn in ctx.client.iter_transactions(status="processing"):
        hub.publish_transaction(txn)
        hub.track_transaction(txn.id)
        count += 1
    cash = 0
    for status in ("pending", "processing"):
        async for ci in ctx.client.iter_cash_ins(status=status, limit=100):
            hub.publish_cash_in(ci)
            hub.track_cash_in(ci.id)
            cash += 1
    if count or cash:
        parts.append(f"following {count} transaction(s) and {cash} cash-in(s) still in flight")
    return "; ".join(parts)


def resume_in_flight(app_ctx: Any) -> asyncio.Task:
    """On start: replay the outbox, then track every transaction and cash-in still in flight.

    Runs in the application's scope; the hub emits ``notice`` with a one-line summary
    (the shell shows it in a banner or status bar) when there was anything to resume.
    """
    ctx = money_context_from(app_ctx)

    async def run() -> str:
        text = await _resume(ctx)
        if text and ctx.hub is not None:
            ctx.hub.notice.emit(text[0].upper() + text[1:] + ".")
        return text

    return ctx.scope.spawn(run(), name="resume in-flight", on_error=lambda e: _report(ctx, e))


def _report(ctx: MoneyContext, exc: BaseException) -> None:
    if ctx.hub is not None:
        ctx.hub.notice.emit(f"Could not resume in-flight work: {exc}")
    else:  # pragma: no cover
        sys.excepthook(type(exc), exc, exc.__traceback__)
