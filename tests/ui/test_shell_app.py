"""Start-up and shutdown: the embedded sandbox child is started, reused and stopped,
the self-test works, and no child outlives the app (in-process and as a process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import psutil
import pytest
from PySide6.QtWidgets import QApplication

from desktop import __version__
from desktop.app import DeskApp
from desktop.config import EMBEDDED_PROFILE_NAME


def _gone(pid: int, timeout: float = 15.0) -> bool:
    try:
        p = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return True
    try:
        p.wait(timeout)
    except psutil.TimeoutExpired:
        return False
    except psutil.NoSuchProcess:
        pass
    return True


def test_embedded_sandbox_started_connected_and_stopped_on_close(
    qtbot, desk_home, ui_loop, tmp_path
):
    desk = DeskApp(QApplication.instance(), desk_home, sandbox_data=str(tmp_path / "sb"))
    task = ui_loop.create_task(desk.amain())
    qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=60000)
    w = desk.window
    assert w.windowTitle() == f"OMS Desk — {EMBEDDED_PROFILE_NAME} — SANDBOX"
    assert w.badge.text() == "SANDBOX"
    child = desk.sandbox.proc
    assert child is not None and child.poll() is None
    assert desk.sandbox.info.owned
    # --parent-pid is passed so the child also dies if we are killed.
    assert str(os.getpid()) in psutil.Process(child.pid).cmdline()

    w.close()  # the one way out: closing the window
    qtbot.waitUntil(task.done, timeout=30000)
    assert task.result() == 0
    assert child.poll() is not None, "the sandbox child must be stopped"
    assert _gone(child.pid)
    assert desk.scope.closed and desk.scope.is_idle()
    assert w.scope.is_idle() and w.detail.scope.is_idle()
    assert desk.session is None
    w.deleteLater()


def _popen(args, env_extra, tmp_path):
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        OMS_DESK_HOME=str(tmp_path / "home"),
        PYTHONUNBUFFERED="1",
        **env_extra,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _read_line(proc, timeout: float = 60.0) -> dict:
    box: list[str] = []
    t = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    assert box and box[0].strip(), f"no line from the app: {proc.stderr.read()[-2000:]}"
    return json.loads(box[0])


def test_version_flag(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "desktop", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"OMS Desk {__version__}"


def test_self_test_exits_zero_and_leaves_no_child(tmp_path):
    proc = _popen(["--self-test"], {}, tmp_path)
    line = _read_line(proc)
    assert line["selfTest"] == "ok" and line["customers"] > 0
    assert proc.wait(60) == 0
    assert _gone(line["sandboxPid"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_no_orphan_sandbox_when_the_app_is_terminated_or_killed(tmp_path, sig):
    proc = _popen(["--sandbox-data", str(tmp_path / "sb")], {"OMS_DESK_ANNOUNCE": "1"}, tmp_path)
    line = _read_line(proc)
    pid = line["sandboxPid"]
    assert psutil.pid_exists(pid)
    assert psutil.Process(pid).ppid() == proc.pid
    proc.send_signal(sig)
    code = proc.wait(30)
    if sig == signal.SIGTERM:
        assert code == 0, proc.stderr.read()[-2000:]
        assert "Traceback" not in proc.stderr.read()
    # SIGTERM: the app stops its child; SIGKILL: the child notices (--parent-pid) and exits.
    assert _gone(pid, 20.0)


def test_second_instance_reuses_the_running_sandbox(tmp_path):
    first = _popen(["--sandbox-data", str(tmp_path / "sb")], {"OMS_DESK_ANNOUNCE": "1"}, tmp_path)
    try:
        a = _read_line(first)
        second = _popen(
            ["--sandbox-data", str(tmp_path / "sb")], {"OMS_DESK_ANNOUNCE": "1"}, tmp_path / "2"
        )
        b = _read_line(second)
        assert b["sandboxPid"] == a["sandboxPid"]  # exit code 3 path: reuse, do not own
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
        assert psutil.pid_exists(a["sandboxPid"]), (
            "the second app must not stop a server it does not own"
        )
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(30)
    assert _gone(a["sandboxPid"])


def test_embedded_sandbox_that_dies_is_restarted_and_the_window_recovers(
    qtbot, desk_home, ui_loop, tmp_path
):
    desk = DeskApp(QApplication.instance(), desk_home, sandbox_data=str(tmp_path / "sb"))
    task = ui_loop.create_task(desk.amain())
    try:
        qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=60000)
        w = desk.window
        w.monitor.first_delay = 0.05
        rows = w.model.rowCount()
        url = desk.sandbox.info.base_url
        old = desk.sandbox.proc
        old.kill()  # a crash
        old.wait(10)
        w.refresh()
        qtbot.waitUntil(lambda: w.banners.has("offline"), timeout=20000)
        qtbot.waitUntil(lambda: not w.banners.has("offline"), timeout=60000)
        assert desk.sandbox.proc is not old and desk.sandbox.running
        assert desk.sandbox.info.base_url == url  # same port: the client keeps working
        qtbot.waitUntil(lambda: w.model.rowCount() == rows and w.model.error is None, timeout=20000)
        child = desk.sandbox.proc
    finally:
        desk.window.close()
        qtbot.waitUntil(task.done, timeout=30000)
        desk.window.deleteLater()
    assert _gone(child.pid)


def test_sandbox_launched_before_qt_is_adopted_and_a_failing_one_says_why(
    qtbot, desk_home, ui_loop, tmp_path
):
    """desktop.__main__ launches the child before Qt is imported and hands it over: the app
    adopts that very process; one that cannot start gives a clear error, not a hang."""
    import argparse

    from desktop.__main__ import launch_sandbox_early

    args = argparse.Namespace(
        self_test=False, profile=None, sandbox_data=str(tmp_path / "bad"), sandbox_args=["--nope"]
    )
    early = launch_sandbox_early(args)
    assert early is not None and early[0].proc is not None
    desk = DeskApp(
        QApplication.instance(), desk_home, sandbox_data=str(tmp_path / "bad"), prestarted=early
    )
    task = ui_loop.create_task(desk.amain())
    try:
        banners = desk.window.banners
        qtbot.waitUntil(
            lambda: banners.has("session") and "Could not" in banners.get("session").text,
            timeout=60000,
        )
        text = banners.get("session").text
        assert "did not start" in text and "sandbox-stderr.log" in text
        assert desk.session is None and early[0].proc is None  # nothing left running
    finally:
        desk.window.close()
        qtbot.waitUntil(task.done, timeout=30000)
        desk.window.deleteLater()


def test_sandbox_launched_early_is_the_one_the_app_uses(qtbot, desk_home, ui_loop, tmp_path):
    import argparse

    from desktop.__main__ import launch_sandbox_early

    args = argparse.Namespace(
        self_test=False, profile=None, sandbox_data=str(tmp_path / "sb"), sandbox_args=[]
    )
    early = launch_sandbox_early(args)
    pid = early[0].proc.pid
    desk = DeskApp(
        QApplication.instance(), desk_home, sandbox_data=str(tmp_path / "sb"), prestarted=early
    )
    task = ui_loop.create_task(desk.amain())
    qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=60000)
    assert desk.sandbox is early[0] and desk.sandbox.info.pid == pid and desk.sandbox.info.owned
    desk.window.close()
    qtbot.waitUntil(task.done, timeout=30000)
    desk.window.deleteLater()
    assert _gone(pid)


def test_the_collector_comes_back_when_start_up_never_ends(
    qtbot, desk_home, ui_loop, tmp_path, monkeypatch
):
    """``python -m desktop`` pauses the cyclic GC until the first rows are painted; a profile
    that never opens (here: a sandbox that cannot start) must not leave it off for good."""
    import gc

    from desktop import gc_policy

    monkeypatch.setattr(gc_policy, "STARTUP_PAUSE_MAX_S", 0.2)
    desk = DeskApp(
        QApplication.instance(),
        desk_home,
        sandbox_data=str(tmp_path / "bad"),
        sandbox_extra=("--nope",),
    )
    gc_policy.pause_during_startup()
    task = ui_loop.create_task(desk.amain())
    try:
        assert not gc.isenabled()
        qtbot.waitUntil(lambda: desk.window.banners.has("session"), timeout=60000)
        qtbot.waitUntil(gc.isenabled, timeout=10000)
        assert not desk._start_up_over and desk.session is None  # no rows: the deadline
        assert gc.get_threshold() == gc_policy.THRESHOLDS and gc.get_freeze_count() > 0
    finally:
        gc.enable()
        desk.window.close()
        qtbot.waitUntil(task.done, timeout=30000)
        desk.window.deleteLater()
