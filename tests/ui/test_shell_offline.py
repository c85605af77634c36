"""Losing the server shows an offline banner; it recovers by itself when it returns."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import QSettings

from desktop.ui.main_window import MainWindow
from tests.support.qt import close_window, make_ctx
from tests.support.sandbox import start_sandbox


def test_offline_banner_and_recovery_when_sandbox_restarts(qtbot, tmp_path):
    data = tmp_path / "sb"
    sb = start_sandbox(data, "--demo")
    port = urlsplit(sb.base_url).port
    w = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    w.monitor.first_delay = 0.05  # probe quickly (backoff grows from here)
    w.monitor.max_delay = 0.5
    ctx = make_ctx(sb)
    try:
        w.set_session(ctx)
        w.show()
        qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=15000)
        rows = w.model.rowCount()

        sb.stop()
        w.refresh()  # F5 while the server is gone
        qtbot.waitUntil(lambda: w.banners.has("offline"), timeout=20000)
        assert not w.monitor.online
        banner = w.banners.get("offline")
        assert "Retry now" in banner.buttons and not banner.closable
        qtbot.waitUntil(lambda: w.model.error is not None, timeout=20000)
        probes = w.monitor.probes
        qtbot.waitUntil(lambda: w.monitor.probes > probes + 1, timeout=10000)  # keeps trying

        sb = start_sandbox(data, "--port", str(port))  # same data, same address
        qtbot.waitUntil(lambda: not w.banners.has("offline"), timeout=20000)
        assert w.monitor.online
        qtbot.waitUntil(lambda: w.model.rowCount() == rows and w.model.error is None, timeout=15000)
        assert not w.banners.has("customers")
    finally:
        close_window(qtbot, w, ctx)
        sb.stop()


def test_offline_banner_says_why_when_the_probe_knows(qtbot, tmp_path):
    """A probe that fails with more than "unreachable" (the embedded sandbox cannot start)
    puts what it said in the offline banner; Retry stays."""
    from desktop.oms import errors

    sb = start_sandbox(tmp_path / "sb", "--demo")
    w = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    w.monitor.first_delay = 0.05
    w.monitor.max_delay = 0.2
    ctx = make_ctx(sb)
    said = "the embedded sandbox stopped: cannot start: a sandbox module failed to import"

    async def probe():
        raise RuntimeError(said)

    try:
        w.set_session(ctx)
        w.show()
        qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=15000)
        w.monitor.set_probe(probe)
        with qtbot.waitSignal(w.monitor.probe_failed, timeout=10000) as sig:
            w.monitor.report(errors.NetworkError("connection refused"))
        assert sig.args == [said]
        banner = w.banners.get("offline")
        assert said in banner.text and banner.kind == "error"
        assert "Retry now" in banner.buttons and not banner.closable
    finally:
        close_window(qtbot, w, ctx)
        sb.stop()
