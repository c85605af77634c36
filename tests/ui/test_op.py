"""Op: the one way UI code runs background work (busy state, errors, cancellation)."""

from __future__ import annotations

import asyncio
import sys

from PySide6.QtWidgets import QProgressBar, QPushButton

from desktop.oms import errors
from desktop.tasks import TaskScope
from desktop.ui.op import Op
from desktop.ui.widgets.banner import BannerArea


def test_success_restores_busy_and_refuses_a_second_start(qtbot):
    button, bar = QPushButton("Save"), QProgressBar()
    qtbot.addWidget(button)
    gate = asyncio.Event()
    seen = []

    async def work():
        await gate.wait()
        return 42

    scope = TaskScope("t")
    task = Op(scope, work).busy(button, show=bar).success(seen.append).run()
    assert not button.isEnabled() and Op.is_busy(button) and bar.isVisibleTo(bar)
    assert Op(scope, work).busy(button).run() is None  # no double submit
    gate.set()
    qtbot.waitUntil(task.done, timeout=2000)
    assert seen == [42] and button.isEnabled() and not Op.is_busy(button)
    assert not bar.isVisibleTo(bar)


def test_failure_goes_to_the_banner_with_a_retry_that_runs_again(qtbot):
    area = BannerArea()
    qtbot.addWidget(area)
    calls = []

    async def work():
        calls.append(1)
        raise errors.OmsError("the server said no")

    task = Op(TaskScope("t"), work).failure(area, label="Save").run()
    qtbot.waitUntil(task.done, timeout=2000)
    assert "Save failed: the server said no" in area.get("error").text
    area.get("error").buttons["Retry"].click()
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)


def test_cancel_with_the_owner_restores_busy_and_is_no_error(qtbot, monkeypatch):
    button = QPushButton("Go")
    qtbot.addWidget(button)
    hook = []
    monkeypatch.setattr(sys, "excepthook", lambda *a: hook.append(a))
    scope = TaskScope("owner")
    task = Op(scope, lambda: asyncio.sleep(30)).busy(button).failure(hook.append).run()
    assert not button.isEnabled()
    scope.cancel_all()  # the owner closes
    # A task cancelled before its body ran is restored by its done-callback, which asyncio
    # runs just after the task is done: wait for both.
    qtbot.waitUntil(lambda: task.done() and button.isEnabled(), timeout=2000)
    assert task.cancelled() and hook == []


def test_a_bug_is_not_a_failure_it_reaches_the_excepthook(qtbot, monkeypatch):
    hook, routed = [], []
    monkeypatch.setattr(sys, "excepthook", lambda *a: hook.append(a[0]))

    async def work():
        raise KeyError("bug")

    task = Op(TaskScope("t"), work).failure(routed.append).run()
    qtbot.waitUntil(task.done, timeout=2000)
    assert routed == [] and hook == [KeyError]
