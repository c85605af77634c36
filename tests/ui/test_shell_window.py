"""Window state persistence (clamped to the screen), themes, environment badge."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop.ui import theme
from desktop.ui.main_window import MainWindow


def test_geometry_splitter_and_columns_persist_and_are_clamped(qtbot, tmp_path):
    ini = str(tmp_path / "w.ini")
    w = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    w.show()
    w.splitter.setSizes([300, 500])
    w.table.setColumnWidth(1, 333)
    sizes = w.splitter.sizes()
    w.save_state()
    w.close()
    w.deleteLater()

    w2 = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    w2.show()
    assert w2.table.columnWidth(1) == 333
    assert all(abs(a - b) <= 2 for a, b in zip(w2.splitter.sizes(), sizes, strict=True))
    w2.close()
    w2.deleteLater()

    # A geometry saved on a bigger or vanished screen comes back inside the visible one.
    avail: QRect = QGuiApplication.primaryScreen().availableGeometry()
    w3 = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    w3.setGeometry(
        avail.right() + 2000, avail.bottom() + 2000, avail.width() * 3, avail.height() * 3
    )
    w3.save_state()
    w3.deleteLater()
    w4 = MainWindow(QSettings(ini, QSettings.Format.IniFormat))
    g = w4.geometry()
    assert g.width() <= avail.width() and g.height() <= avail.height()
    assert avail.intersects(g) and avail.contains(g.center())
    w4.deleteLater()


def test_light_and_dark_palettes_and_badge(qtbot, tmp_path):
    app = QApplication.instance()
    w = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    try:
        w.set_theme("dark")
        assert theme.is_dark()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert not theme.icon("refresh").isNull()
        w.set_theme("light")
        assert not theme.is_dark()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
        w.badge.set_environment("PRODUCTION", "Live")
        assert w.badge.text() == "PRODUCTION"
        assert theme.colors().production_badge[0] in w.badge.styleSheet()
    finally:
        w.deleteLater()
