"""Find transactions the desk did not start: deposits to a virtual account or a deposit
address (D22) appear by themselves, so nobody holds their ids to track.

``TransactionFeed`` watches a customer's transactions: it lists ``GET /transactions
?customerId=…`` newest first until it meets an id it already knows, and publishes what is new
(oldest first). A new transaction that is still processing is then followed by the
``Tracker`` until it is terminal, so subscribers see it appear and then complete.

The first look at a customer only learns what exists (nothing is "new" then), unless
``include_existing`` asks for the processing ones too. Polling backs off like the tracker:
``initial`` (2 s), ×``factor`` up to ``cap`` while nothing is new, back to ``initial`` when
something is; errors back off further (doubling up to ``error_cap``), honouring Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import errors, models

__all__ = ["FeedHandle", "TransactionFeed"]

log = logging.getLogger("desktop.oms.feed")

Callback = Callable[[models.Transaction], Any]
KNOWN_MAX = 2_000  # ids remembered per customer (only the newest matter)
PAGE_LIMIT = 25
MAX_PAGES = 20  # a gap larger than this is not walked: the oldest of it is dropped


@dataclass(eq=False)
class _Customer:
    id: str
    known: set[str] = field(default_factory=set)
    order: deque = field(default_factory=deque)
    primed: bool = False
    callbacks: list[Callback] = field(default_factory=list)
    error_callbacks: list[Callback] = field(default_factory=list)
    task: asyncio.Task | None = None
    watches: list = field(default_factory=list)  # tracker handles of new transactions
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def learn(self, txn_id: str) -> None:
        if txn_id in self.known:
            return
        self.known.add(txn_id)
        self.order.append(txn_id)
        while len(self.order) > KNOWN_MAX:
            self.known.discard(self.order.popleft())


class FeedHandle:
    def __init__(self, feed: TransactionFeed, customer: _Customer, callback: Callback) -> None:
        self._feed, self._customer, self._callback = feed, customer, callback
        self.cancelled = False

    @property
    def running(self) -> bool:
        """Whether the customer is still being watched (False after a fatal error)."""
        task = self._customer.task
        return not self.cancelled and task is not None and not task.done()

    def poke(self) -> None:
        """Look now (e.g. after a webhook hint or a simulated deposit)."""
        self._customer.wake.set()

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._feed._unsubscribe(self._customer, self._callback)


class TransactionFeed:
    def __init__(
        self,
        client: Any,
        *,
        tracker: Any = None,
        initial: float = 2.0,
        factor: float = 1.5,
        cap: float = 15.0,
        error_cap: float = 60.0,
        jitter: float = 0.2,
        page_limit: int = PAGE_LIMIT,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._rng = rng or random.Random()
        self._tracker = tracker
        self.initial, self.factor, self.cap = initial, factor, cap
        self.error_cap, self.jitter = error_cap, jitter
        self.page_limit = page_limit
        self._customers: dict[str, _Customer] = {}
        self._closed = False
        self.polls = 0  # list requests made (diagnostics)

    # ------------------------------------------------------------------ one look

    async def poll(
        self, customer_id: str, *, include_existing: bool = False
    ) -> list[models.Transaction]:
        """Look once: the customer's transactions not seen before, oldest first.

        The first look at a customer learns the newest page and returns nothing (or, with
        ``include_existing``, the ones still processing)."""
        c = self._customer(customer_id)
        if not c.primed:
            page = await self._list(customer_id, None)
            for t in page.data:
                c.learn(t.id)
            c.primed = True
            if include_existing:
                return [t for t in reversed(page.data) if not t.is_terminal]
            return []
        fresh: list[models.Transaction] = []
        cursor = None
        for _ in range(MAX_PAGES):
            page = await self._list(customer_id, cursor)
            met_known = False
            for t in page.data:
                if t.id in c.known:
                    met_known = True
                    break
                fresh.append(t)
            if met_known or not page.has_more or not page.next_cursor:
                break
            cursor = page.next_cursor
        fresh.reverse()
        for t in fresh:
            c.learn(t.id)
        return fresh

    async def _list(self, customer_id: str, cursor: str | None) -> models.Page:
        self.polls += 1
        return await self._client.list_transactions(
            customer_id=customer_id, limit=self.page_limit, starting_after=cursor
        )

    # ------------------------------------------------------------------ subscriptions

    def subscribe(
        self,
        customer_id: str,
        callback: Callback,
        *,
        on_error: Callback | None = None,
        include_existing: bool = False,
    ) -> FeedHandle:
        """Call ``callback(transaction)`` for each new transaction of the customer, and again
        on each change of a new one still processing (through the tracker), until cancelled.
        ``on_error(exc)`` once if the customer cannot be read (unknown, forbidden)."""
        if self._closed:
            raise RuntimeError("TransactionFeed is closed")
        c = self._customer(customer_id)
        c.callbacks.append(callback)
        if on_error is not None:
            c.error_callbacks.append(on_error)
        if c.task is None or c.task.done():
            c.task = asyncio.get_running_loop().create_task(self._run(c, include_existing))
        return FeedHandle(self, c, callback)

    def poke(self, customer_id: str) -> None:
        """Look at this customer now: a hint (a `transaction.*` webhook event, a simulated
        deposit) that something may be new. Polling stays the source of truth."""
        c = self._customers.get(customer_id)
        if c is not None:
            c.wake.set()

    def note_known(self, customer_id: str, transaction_id: str) -> None:
        """A transaction the desk started itself (e.g. a send): never report it as new."""
        self._customer(customer_id).learn(transaction_id)

    async def aclose(self) -> None:
        self._closed = True
        tasks = [c.task for c in self._customers.values() if c.task is not None]
        for c in self._customers.values():
            for h in c.watches:
                h.cancel()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._customers.clear()

    def _customer(self, customer_id: str) -> _Customer:
        c = self._customers.get(customer_id)
        if c is None:
            c = self._customers[customer_id] = _Customer(customer_id)
        return c

    def _unsubscribe(self, c: _Customer, callback: Callback) -> None:
        if callback in c.callbacks:
            c.callbacks.remove(callback)
        if not c.callbacks:
            for h in c.watches:
                h.cancel()
            c.watches.clear()
            if c.task is not None:
                c.task.cancel()
                c.task = None

    async def _run(self, c: _Customer, include_existing: bool) -> None:
        interval = self.initial
        errors_in_row = 0
        while not self._closed:
            c.wake.clear()  # a poke from now on makes the next wait end at once
            try:
                fresh = await self.poll(c.id, include_existing=include_existing)
            except asyncio.CancelledError:
                raise
            except (errors.NotFound, errors.Forbidden, errors.ValidationError) as exc:
                for cb in list(c.error_callbacks):
                    _deliver(cb, exc)
                return
            except errors.OmsError as exc:
                errors_in_row += 1
                delay = min(self.error_cap, interval * 2**errors_in_row)
                if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
                log.info("feed of %s failed (%s); next in %.1f s", c.id, exc.code, delay)
                await self._sleep(c, delay)
                continue
            except Exception:
                log.exception("feed of %s crashed", c.id)
                return
            errors_in_row = 0
            for t in fresh:
                self._publish(c, t)
            interval = self.next_interval(interval, bool(fresh))
            await self._sleep(c, interval)

    def next_interval(self, interval: float, found_new: bool) -> float:
        """Back to ``initial`` when something was new, else ×``factor`` up to ``cap``."""
        return self.initial if found_new else min(self.cap, interval * self.factor)

    def jittered(self, delay: float) -> float:
        return delay * self._rng.uniform(1 - self.jitter, 1 + self.jitter)

    def _publish(self, c: _Customer, txn: models.Transaction) -> None:
        for cb in list(c.callbacks):
            _deliver(cb, txn)
        if self._tracker is not None and not txn.is_terminal:
            first = [True]

            def changed(t: models.Transaction) -> None:
                if first[0]:  # the tracker's first observation: already published above
                    first[0] = False
                    if t.status == txn.status and t.sub_status == txn.sub_status:
                        return
                for cb in list(c.callbacks):
                    _deliver(cb, t)

            c.watches = [h for h in c.watches if not h.done]
            c.watches.append(self._tracker.watch("transaction", txn.id, changed))

    async def _sleep(self, c: _Customer, delay: float) -> None:
        try:
            await asyncio.wait_for(c.wake.wait(), self.jittered(delay))
        except TimeoutError:
            pass


def _deliver(cb: Callback, item: Any) -> None:
    try:
        result = cb(item)
        if asyncio.iscoroutine(result):
            task = asyncio.ensure_future(result)
            _pending.add(task)
            task.add_done_callback(_finished)
    except Exception:
        log.exception("feed callback failed")


_pending: set[asyncio.Future] = set()  # callbacks' tasks, kept alive until they finish


def _finished(task: asyncio.Future) -> None:
    _pending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("feed callback failed", exc_info=task.exception())
