"""The one way UI code runs background work, shaped like Anki's ``CollectionOp``::

    Op(self.scope, lambda: api.create_wallet(cid, idempotency_key=key), name="wallet.create")
        .busy(self.create_button, show=self.progress)
        .success(self._created)
        .failure(self.banners, label="Create wallet")
        .run()

* The work runs as a task of ``scope`` (the owner's TaskScope): it is cancelled with its
  owner, and cancellation is never an error.
* ``busy(...)`` disables widgets (and shows indicators, or calls ``fn(bool)``) while it
  runs; they are restored in ``finally``, however the task ends. A widget an op keeps busy
  cannot start a second op: ``run()`` returns ``None`` (no double submit).
* Errors of the ``catch`` types (default: ``OmsError``) go to ``failure``: a function, or a
  banner area, which shows the message with a Retry that runs the same work again.
  Anything else is a bug and goes to ``sys.excepthook``.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from desktop.oms import errors
from desktop.tasks import TaskScope

__all__ = ["Op", "error_text"]

_BUSY_PROPERTY = "opBusy"


class _Banners(Protocol):
    def set(self, key: str, text: str, kind: str = ..., actions: Any = ..., **kw: Any) -> Any: ...

    def remove(self, key: str) -> None: ...


def error_text(exc: BaseException) -> str:
    """The operator-facing text of an error (server message and code, bounded)."""
    if isinstance(exc, errors.OmsError):
        text = str(exc)
        code = getattr(exc, "code", None)
        if code and code not in text:
            text = f"{text} ({code})"
    else:
        text = str(exc) or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "…"


class Op:
    """A builder for one piece of background work; ``run()`` starts it."""

    def __init__(
        self,
        scope: TaskScope,
        work: Callable[[], Awaitable[Any]] | Coroutine[Any, Any, Any],
        *,
        name: str = "op",
    ) -> None:
        self._scope = scope
        self._work = work
        self._name = name
        self._busy: list[Any] = []
        self._show: list[Any] = []
        self._success: Callable[[Any], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None
        self._catch: tuple[type[BaseException], ...] = (errors.OmsError,)
        self._restored = True
        self.task: asyncio.Task | None = None

    # ---- building ---------------------------------------------------------------
    def busy(self, *targets: Any, show: Any = ()) -> Op:
        """Disable ``targets`` (widgets or actions; a callable gets ``fn(True/False)``) and
        show ``show`` (an indicator, or several) while the work runs."""
        self._busy.extend(targets)
        self._show.extend(show if isinstance(show, list | tuple) else [show])
        return self

    def success(self, fn: Callable[[Any], None]) -> Op:
        self._success = fn
        return self

    def failure(
        self,
        target: Callable[[BaseException], None] | _Banners,
        *,
        label: str | None = None,
        key: str = "error",
        retry: bool = True,
        catch: tuple[type[BaseException], ...] | None = None,
    ) -> Op:
        """Route errors to ``target(exc)``, or to a banner area (``key``; "label failed: …"
        and a Retry button unless ``retry=False``)."""
        if catch is not None:
            self._catch = catch
        if callable(target) and not hasattr(target, "set"):
            self._failure = target
            return self
        banners = target

        def show(exc: BaseException) -> None:
            text = f"{label} failed: {error_text(exc)}" if label else error_text(exc)
            actions = [("Retry", self.again)] if retry and callable(self._work) else []
            banners.set(key, text, "error", actions)

        self._failure = show
        return self

    # ---- running ----------------------------------------------------------------
    @staticmethod
    def is_busy(widget: Any) -> bool:
        """True while an op keeps ``widget`` busy."""
        try:
            return bool(widget.property(_BUSY_PROPERTY))
        except (AttributeError, RuntimeError):
            return False

    def _set_busy(self, on: bool) -> None:
        for t in self._busy:
            try:
                if hasattr(t, "setEnabled") and hasattr(t, "property"):
                    count = int(t.property(_BUSY_PROPERTY) or 0) + (1 if on else -1)
                    t.setProperty(_BUSY_PROPERTY, max(count, 0))
                    t.setEnabled(count <= 0)
                elif callable(t):
                    t(on)
            except RuntimeError:  # the widget was deleted meanwhile
                pass
        for w in self._show:
            try:
                w.setVisible(on)
            except RuntimeError:
                pass

    def _restore(self) -> None:
        if not self._restored:
            self._restored = True
            self._set_busy(False)

    def _coroutine(self) -> Awaitable[Any]:
        work = self._work
        if callable(work):
            return work()
        self._work = None  # a coroutine runs once: no Retry
        return work

    def run(self) -> asyncio.Task | None:
        """Start the work; ``None`` if a busy target is already busy or the scope closed."""
        if self._scope.closed or any(self.is_busy(t) for t in self._busy):
            if inspect.iscoroutine(self._work):
                self._work.close()
            return None
        if self._work is None:
            return None
        self._restored = False
        self._set_busy(True)
        awaitable = self._coroutine()

        async def body() -> Any:
            try:
                result = await awaitable
            except asyncio.CancelledError:
                raise
            except self._catch as exc:
                self._restore()
                if self._failure is None:
                    raise
                self._failure(exc)
                return None
            finally:
                self._restore()
            if self._success is not None:
                self._success(result)
            return result

        task = self._scope.spawn(body(), name=self._name, on_error=_to_excepthook)

        def done(t: asyncio.Task) -> None:
            self._restore()
            if t.cancelled() and inspect.iscoroutine(awaitable):
                awaitable.close()  # cancelled before it started: never awaited

        task.add_done_callback(done)
        self.task = task
        return task

    def again(self) -> asyncio.Task | None:
        """Run the same work once more (a Retry button)."""
        return self.run()


def _to_excepthook(exc: BaseException) -> None:
    sys.excepthook(type(exc), exc, exc.__traceback__)
