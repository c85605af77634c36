"""Follow transactions and cash-ins until they reach a terminal status.

One poller per id (watching an id twice shares its poller), scheduled by a single task over a
heap of due times — hundreds of ids cost one timer, not hundreds of sleeping tasks. Polls run
with bounded concurrency (4 by default: on loopback that is still hundreds of polls a second,
and it keeps the event loop's iterations short — see tests/perf/bench_tracker.py).

Backoff (DESIGN.md): start at ``initial`` (≈1 s), grow ×``factor`` (1.5) up to ``cap`` (15 s)
while nothing changes, reset to ``initial`` on any change; on network errors and 5xx back off
further (doubling up to ``error_cap``); honour ``Retry-After``; every delay gets ±``jitter``.

Webhook events are hints (issue 16, DESIGN "Receiving webhooks"): ``apply_event`` gives a
verified ``transaction.*`` / ``cashIn.*`` event's object to the followers at once (never one
older than what they have), and while events flow (``attach_events(True)`` and an event in the
last ``hint_quiet`` seconds) polling is only a fallback: the normal delays scaled by
``hint_initial``/``initial`` (1 s → 30 s, 1.5 s → 45 s) up to ``hint_cap`` (60 s). When
events stop for ``hint_quiet`` seconds, or the source detaches, the normal schedule is back.

Consumers either register a callback (``watch``) or iterate (``updates``). Both receive the
model (``Transaction``/``CashIn``) each time its status, sub-status (or a few other visible
fields) change, starting with the first observation; iteration ends after a terminal status.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from . import errors, models

__all__ = ["Tracker", "WatchHandle"]

log = logging.getLogger("desktop.oms.tracker")

KINDS = {"transaction": "transaction", "cashIn": "cashIn", "cash_in": "cashIn", "cashin": "cashIn"}

Callback = Callable[[Any], Any]


def _signature(item: Any) -> tuple:
    if isinstance(item, models.CashIn):
        return (
            item.status,
            item.sub_status,
            item.transaction_id,
            item.deposit_instructions.code,
            item.deposit_instructions.expires_at,
        )
    return (item.status, item.sub_status, getattr(item, "tx_hash", None))


_END = object()


@dataclass(eq=False)
class _Watch:
    kind: str
    id: str
    interval: float
    callbacks: list[Callback] = field(default_factory=list)
    queues: list[asyncio.Queue] = field(default_factory=list)
    error_callbacks: list[Callback] = field(default_factory=list)
    last: Any = None
    last_sig: tuple | None = None
    generation: int = 0  # heap entries of older generations are ignored
    errors_in_row: int = 0
    task: asyncio.Task | None = None
    done: bool = False
    polls: int = 0

    @property
    def subscribers(self) -> int:
        return len(self.callbacks) + len(self.queues)


class WatchHandle:
    def __init__(self, tracker: Tracker, watch: _Watch, callback: Callback) -> None:
        self._tracker, self._watch, self._callback = tracker, watch, callback
        self.cancelled = False

    @property
    def latest(self) -> Any:
        return self._watch.last

    @property
    def done(self) -> bool:
        return self._watch.done

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._tracker._unsubscribe(self._watch, callback=self._callback)


class Tracker:
    def __init__(
        self,
        client: Any,
        *,
        clock: Callable[[], float] = time.monotonic,
        initial: float = 1.0,
        factor: float = 1.5,
        cap: float = 15.0,
        error_cap: float = 60.0,
        jitter: float = 0.2,
        concurrency: int = 4,
        rng: random.Random | None = None,
        hint_initial: float = 30.0,
        hint_cap: float = 60.0,
        hint_quiet: float = 60.0,
    ) -> None:
        self._client = client
        self._rng = rng or random.Random()
        self._clock = clock
        self.initial, self.factor, self.cap = initial, factor, cap
        self.error_cap, self.jitter = error_cap, jitter
        self._sem = asyncio.Semaphore(concurrency)
        self._watches: dict[tuple[str, str], _Watch] = {}
        self._heap: list[tuple[float, int, _Watch, int]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Future | None = None
        self._runner: asyncio.Task | None = None
        self._closed = False
        self.polls = 0  # requests made (diagnostics/benchmarks)
        self.hint_initial = hint_initial
        self.hint_cap, self.hint_quiet = hint_cap, hint_quiet
        self._events_attached = False
        self._last_event = float("-inf")
        self.hints = 0  # events that changed a followed object (diagnostics/benchmarks)

    # ------------------------------------------------------------------ public

    def watch(
        self,
        kind: str,
        id: str,
        callback: Callback,
        *,
        on_error: Callback | None = None,
    ) -> WatchHandle:
        """Call ``callback(model)`` on each change until terminal. ``on_error(exc)`` on a fatal
        error (unknown id, forbidden). The callback may be sync or return an awaitable."""
        w = self._subscribe(kind, id)
        w.callbacks.append(callback)
        if on_error is not None:
            w.error_callbacks.append(on_error)
        if w.last is not None:  # late subscriber: give it the current state right away
            self._deliver_one(callback, w.last)
        return WatchHandle(self, w, callback)

    async def updates(self, kind: str, id: str) -> AsyncIterator[Any]:
        """Async iterator of changes; ends after a terminal status; raises a fatal error."""
        w = self._subscribe(kind, id)
        q: asyncio.Queue = asyncio.Queue()
        w.queues.append(q)
        if w.last is not None:
            q.put_nowait(w.last)
            if w.done:
                q.put_nowait(_END)
        try:
            while True:
                item = await q.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._unsubscribe(w, queue=q)

    async def wait_terminal(self, kind: str, id: str) -> Any:
        last = None
        async for item in self.updates(kind, id):
            last = item
        return last

    @property
    def active(self) -> int:
        return sum(1 for w in self._watches.values() if not w.done)

    @property
    def in_flight(self) -> int:
        return sum(1 for w in self._watches.values() if w.task is not None and not w.task.done())

    @property
    def scheduled(self) -> int:
        return sum(1 for (_, _, w, gen) in self._heap if gen == w.generation and not w.done)

    # ------------------------------------------------------------------ webhook hints

    @property
    def events_flowing(self) -> bool:
        """Events arrive: polls are a slow fallback."""
        return self._events_attached and self._clock() - self._last_event < self.hint_quiet

    def attach_events(self, attached: bool) -> None:
        """A verified event source (the desk's webhook receiver) starts or stops. Detaching
        brings every follower back to the normal schedule at once."""
        was = self.events_flowing
        self._events_attached = attached
        if not attached:
            self._last_event = float("-inf")
            if was:
                for w in list(self._watches.values()):
                    if not w.done and (w.task is None or w.task.done()):
                        self._schedule(w, self._jittered(w.interval))

    def apply_event(self, event: models.Event) -> bool:
        """Apply a *verified* webhook event to the object it carries, if followed.

        Returns True when it changed a followed object (its followers got it). An event
        never moves an object backwards: one older than what a follower has (by
        ``updatedAt``) or about an object already terminal is ignored. A poll in flight for
        that object is discarded (its answer may predate the event); the next poll is the
        slow fallback.
        """
        if self._events_attached:
            self._last_event = self._clock()
        family = event.type.split(".", 1)[0] if event.type else ""
        kind = {"transaction": "transaction", "cashIn": "cashIn"}.get(family)
        if kind is None:
            return False
        item = event.resource
        expected = models.Transaction if kind == "transaction" else models.CashIn
        if not isinstance(item, expected) or not item.id:
            return False
        w = self._watches.get((kind, item.id))
        if w is None or w.done:
            return False
        if w.last is not None and (w.last.is_terminal or _older(item, w.last)):
            return False
        sig = _signature(item)
        if sig == w.last_sig:
            return False
        self.hints += 1
        w.last_sig, w.last = sig, item
        w.interval = self.initial
        w.generation += 1  # a poll in flight is now stale
        self._deliver(w, item)
        if item.is_terminal:
            self._finish(w)
        else:
            self._schedule(w, self._jittered(self._fallback(w.interval)))
        return True

    def _fallback(self, delay: float) -> float:
        """The next poll's delay: ``delay`` normally; slower while events flow, but never
        later than the normal delay after the moment events would count as stopped."""
        if not self.events_flowing:
            return delay
        slow = min(self.hint_cap, max(delay, delay * self.hint_initial / self.initial))
        until_quiet = max(0.0, self._last_event + self.hint_quiet - self._clock())
        return min(slow, until_quiet + delay)

    async def aclose(self) -> None:
        self._closed = True
        tasks = [w.task for w in self._watches.values() if w.task is not None]
        for w in list(self._watches.values()):
            self._stop(w)
        if self._runner is not None:
            self._runner.cancel()
            tasks.append(self._runner)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._heap.clear()

    # ------------------------------------------------------------------ subscription

    def _subscribe(self, kind: str, id: str) -> _Watch:
        if self._closed:
            raise RuntimeError("Tracker is closed")
        k = KINDS.get(kind)
        if k is None:
            raise ValueError(f"unknown kind {kind!r}: use 'transaction' or 'cashIn'")
        key = (k, id)
        w = self._watches.get(key)
        finished = w is not None and w.last is not None and w.last.is_terminal
        if w is None or (w.done and not finished):
            w = _Watch(k, id, self.initial)
            self._watches[key] = w
            self._schedule(w, 0.0)
        return w

    def _unsubscribe(self, w: _Watch, *, callback=None, queue=None) -> None:
        if callback is not None and callback in w.callbacks:
            w.callbacks.remove(callback)
        if queue is not None and queue in w.queues:
            w.queues.remove(queue)
        if w.subscribers == 0:
            self._stop(w)
            if self._watches.get((w.kind, w.id)) is w:
                del self._watches[(w.kind, w.id)]

    def _stop(self, w: _Watch) -> None:
        w.done = True
        w.generation += 1
        if w.task is not None and not w.task.done():
            w.task.cancel()

    # ------------------------------------------------------------------ scheduling

    def _schedule(self, w: _Watch, delay: float) -> None:
        if w.done or self._closed:
            return
        w.generation += 1
        due = self._clock() + delay
        heapq.heappush(self._heap, (due, next(self._seq), w, w.generation))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run())
        elif self._wake is not None and not self._wake.done() and self._heap[0][2] is w:
            self._wake.set_result(None)  # new earliest entry: re-arm the timer

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed:
            now = self._clock()
            while self._heap and self._heap[0][0] <= now:
                _, _, w, gen = heapq.heappop(self._heap)
                if gen != w.generation or w.done:
                    continue
                w.task = loop.create_task(self._poll(w))
            if not self._heap:
                if not any(w.task and not w.task.done() for w in self._watches.values()):
                    self._runner = None
                    return
                delay = None
            else:
                delay = max(0.0, self._heap[0][0] - now)
            self._wake = loop.create_future()
            handle = loop.call_later(delay, _resolve, self._wake) if delay is not None else None
            try:
                await self._wake
            finally:
                if handle is not None:
                    handle.cancel()
                self._wake = None

    def _jittered(self, delay: float) -> float:
        return delay * self._rng.uniform(1 - self.jitter, 1 + self.jitter)

    async def _poll(self, w: _Watch) -> None:
        gen = w.generation
        try:
            async with self._sem:
                if w.done or gen != w.generation:
                    return
                self.polls += 1
                w.polls += 1
                if w.kind == "cashIn":
                    item = await self._client.get_cash_in(w.id, retry=False)
                else:
                    item = await self._client.get_transaction(w.id, retry=False)
        except asyncio.CancelledError:
            raise
        except (errors.NotFound, errors.Forbidden, errors.ValidationError) as exc:
            self._fail(w, exc)
            return
        except errors.OmsError as exc:
            w.errors_in_row += 1
            base = max(w.interval, self.initial) * (2 ** min(w.errors_in_row, 8))
            delay = min(self.error_cap, base)
            retry_after = exc.retry_after if isinstance(exc, errors.RateLimited) else None
            if retry_after is not None:
                delay = max(delay, retry_after)
            log.info("poll %s %s failed (%s); next in %.1f s", w.kind, w.id, exc.code, delay)
            self._after_poll(w, gen, delay)
            return
        except Exception as exc:  # a bug must not kill the scheduler
            log.exception("poll %s %s crashed", w.kind, w.id)
            self._fail(w, exc)
            return
        if w.done or gen != w.generation:
            return  # an event applied meanwhile (its state is at least as new)
        w.errors_in_row = 0
        if _older(item, w.last):  # a replica behind what an event already told us
            self._after_poll(w, gen, self._fallback(w.interval))
            return
        sig = _signature(item)
        if sig != w.last_sig:
            w.last_sig, w.last = sig, item
            w.interval = self.initial
            self._deliver(w, item)
        else:
            w.last = item
            w.interval = min(self.cap, w.interval * self.factor)
        if item.is_terminal:
            self._finish(w)
            return
        self._after_poll(w, gen, self._fallback(w.interval))

    def _finish(self, w: _Watch) -> None:
        w.done = True
        w.generation += 1
        for q in w.queues:
            q.put_nowait(_END)
        self._forget(w)

    def _after_poll(self, w: _Watch, gen: int, delay: float) -> None:
        if gen == w.generation and not w.done:
            self._schedule(w, self._jittered(delay))

    def _fail(self, w: _Watch, exc: BaseException) -> None:
        w.done = True
        for cb in w.error_callbacks:
            self._deliver_one(cb, exc)
        for q in w.queues:
            q.put_nowait(exc)
        self._forget(w)

    def _forget(self, w: _Watch) -> None:
        """A finished watch holds nothing: a long-running app may follow thousands of ids."""
        w.callbacks.clear()
        w.error_callbacks.clear()
        if self._watches.get((w.kind, w.id)) is w:
            del self._watches[(w.kind, w.id)]

    def _deliver(self, w: _Watch, item: Any) -> None:
        for cb in list(w.callbacks):
            self._deliver_one(cb, item)
        for q in w.queues:
            q.put_nowait(item)

    @staticmethod
    def _deliver_one(cb: Callback, item: Any) -> None:
        try:
            result = cb(item)
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                task.add_done_callback(_log_callback_error)
        except Exception:
            log.exception("tracker callback failed")


def _older(item: Any, last: Any) -> bool:
    """Is ``item`` an older state than ``last`` (both carry ``updatedAt``)?"""
    new_at = getattr(item, "updated_at", None)
    old_at = getattr(last, "updated_at", None) if last is not None else None
    return new_at is not None and old_at is not None and new_at < old_at


def _resolve(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


def _log_callback_error(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("tracker callback failed", exc_info=task.exception())
