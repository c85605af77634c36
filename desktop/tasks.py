"""TaskScope: owns asyncio tasks and cancels them together with their owner.

Widgets spawn coroutines here instead of using ``qasync.asyncSlot``: a dialog owns a
scope and cancels it in ``done()``; the application owns one for its lifetime.
Unhandled exceptions are routed to ``sys.excepthook`` (logged, never swallowed).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class TaskScope:
    """A set of tasks with spawn / cancel_all / aclose / is_idle."""

    def __init__(self, name: str = "scope") -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._idle_callbacks: list[Callable[[], None]] = []

    def spawn(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        name: str | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> asyncio.Task[T]:
        """Start ``coro`` as a task owned by this scope.

        ``on_error`` receives the exception of a failed task; without it the
        exception goes to ``sys.excepthook``. Cancellation is never an error.
        """
        if self._closed:
            coro.close()
            raise RuntimeError(f"TaskScope {self.name!r} is closed")
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)

        def _done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled():
                exc = t.exception()
                if exc is not None:
                    if on_error is not None:
                        try:
                            on_error(exc)
                        except Exception:  # pragma: no cover - defensive
                            sys.excepthook(*sys.exc_info())
                    else:
                        sys.excepthook(type(exc), exc, exc.__traceback__)
            if not self._tasks:
                for cb in list(self._idle_callbacks):
                    cb()

        task.add_done_callback(_done)
        return task

    @property
    def tasks(self) -> frozenset[asyncio.Task[Any]]:
        return frozenset(self._tasks)

    def is_idle(self) -> bool:
        return not self._tasks

    def on_idle(self, callback: Callable[[], None]) -> None:
        self._idle_callbacks.append(callback)

    def cancel_all(self) -> int:
        """Request cancellation of every running task; returns how many."""
        n = 0
        for t in list(self._tasks):
            if not t.done():
                t.cancel()
                n += 1
        return n

    async def drain(self, timeout: float = 5.0) -> None:
        """Cancel every task and wait for them; the scope stays usable."""
        pending = [t for t in self._tasks if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def aclose(self, timeout: float = 5.0) -> None:
        """Cancel every task and wait (bounded) until they have finished."""
        self._closed = True
        pending = [t for t in self._tasks if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            _done, still = await asyncio.wait(pending, timeout=timeout)
            for t in still:  # pragma: no cover - a task that ignores cancellation
                log.warning("task %s did not finish within %.1fs of cancel", t.get_name(), timeout)

    @property
    def closed(self) -> bool:
        return self._closed
