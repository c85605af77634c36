"""The desk's garbage-collector policy, in one place (issue 15.4).

The app applies it once its first screen is up (``desktop.app``), and every benchmark
applies the same call at the same point (``tests/perf/bench_ui.py``, ``bench_tracker.py``,
``bench_transactions.py``), so a benchmark measures the pauses the app would have.

What stalls the GUI thread is the cyclic collector walking every tracked object. So:

- ``gc.freeze()`` once start-up is done: the Qt bindings, modules and the window go to the
  permanent generation and are never walked again (measured: 50–260 ms full collections
  while paging 100,000 customers without it);
- a first threshold of 1,000 (default 700): the cost of a gen-0 pass is what it frees
  (cycles of parsed JSON, responses, futures), so a larger one (5,000 before) gave fewer but
  longer pauses — measured in the tracker benchmark, worst in-process blocking 19.6–28.2 ms
  with 5,000 against 10.7–12.1 ms with 1,000, worst gen-0 pass 13–26 ms against 5–8 ms;
- full (gen-2) passes only when the collector's own heuristic asks for one *and* only over
  what survived since the last full pass: after each full collection the survivors are
  frozen too (``_refreeze``), so the next one walks only newer objects. Frozen objects are
  still freed by reference counting; what a frozen object can no longer do is be collected
  as part of a *cycle*. To bound that, everything is unfrozen and collected once in a while
  at a quiet moment (``collect_when_idle``, which the app calls from an idle timer).

Before that point the collector is off (``pause_during_startup``, the first thing
``python -m desktop`` does): start-up allocates long-lived objects only, so every pass would
walk them all for nothing; one full pass landed in the first paint of the placeholder rows
(28 ms measured, inside the creation of a 170-member PySide6 enum). Reference counting still
frees everything that is not a cycle, and ``apply_after_startup`` collects the cycles once.

The module sources that PySide6's import hook read into ``linecache`` are dropped at the
same moment (memory, not GC, but the same "start-up is over" point).

Nothing here imports Qt.
"""

from __future__ import annotations

import gc
import linecache
import time

#: (gen0, gen1, gen2) thresholds once start-up is done.
THRESHOLDS = (1000, 20, 20)
#: Unfreeze and run a full collection at most this often (seconds), when idle.
FULL_COLLECT_EVERY_S = 300.0

#: If start-up never ends (no profile opens), the collector comes back after this long.
STARTUP_PAUSE_MAX_S = 10.0

_state = {"applied": False, "last_full": 0.0}


def pause_during_startup() -> None:
    """No cyclic collection until ``apply_after_startup`` (the app calls it once the first
    rows are painted, or after ``STARTUP_PAUSE_MAX_S`` at the latest)."""
    gc.disable()


def _refreeze(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()  # survivors of a full pass: not walked again until collect_when_idle


def apply_after_startup(
    *, refreeze: bool = True, thresholds: tuple[int, int, int] | None = None
) -> None:
    """Call once the first screen is shown (the app) or the set-up is done (benchmarks).
    ``refreeze`` and ``thresholds`` differ from the defaults only in A/B benchmark runs."""
    linecache.clearcache()  # sources PySide6's import hook read (13 MB measured)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*(thresholds or THRESHOLDS))
    gc.enable()  # off since pause_during_startup, if it was called
    if refreeze and not _state["applied"]:
        gc.callbacks.append(_refreeze)
        _state["applied"] = True
    _state["last_full"] = time.monotonic()


def collect_when_idle(now: float | None = None) -> bool:
    """At a quiet moment: unfreeze, collect everything (cycles among long-lived objects
    included), freeze again. Does nothing more often than ``FULL_COLLECT_EVERY_S``.
    Returns True when it collected."""
    now = time.monotonic() if now is None else now
    if now - _state["last_full"] < FULL_COLLECT_EVERY_S or not gc.get_freeze_count():
        return False
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _state["last_full"] = now
    return True


def reset() -> None:
    """Back to the interpreter's defaults (tests)."""
    if _state["applied"]:
        gc.callbacks.remove(_refreeze)
        _state["applied"] = False
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    gc.enable()
