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
