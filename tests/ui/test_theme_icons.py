"""SVG icons are drawn when first painted, at the size asked, and look as drawn up front."""

from __future__ import annotations

import gc

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QToolButton

from desktop.ui import theme


def _drawn_up_front(name: str, size: int) -> QPixmap:
    svg = (theme.ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")
    if name != "oms-desk":
        svg = svg.replace(theme._ICON_INK, theme.colors().text)
    pm = QPixmap(QSize(size, size))
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    QSvgRenderer(QByteArray(svg.encode())).render(p, QRectF(0, 0, size, size))
    p.end()
    return pm


def test_every_icon_draws_the_same_pixels_as_before(qtbot):
    theme.apply_theme(QApplication.instance(), "light")
    names = [p.stem for p in sorted(theme.ICON_DIR.glob("*.svg"))]
    assert len(names) > 10
    for name in names:
        ic = theme.icon(name)
        assert not ic.isNull()
        assert [s.width() for s in ic.availableSizes()] == list(theme.ICON_SIZES)
        for size in (16, 24, 48):
            want = _drawn_up_front(name, size).toImage()
            got = ic.pixmap(size).toImage().convertToFormat(want.format())
            assert got == want, (name, size)
    disabled = theme.icon("refresh").pixmap(QSize(24, 24), QIcon.Mode.Disabled).toImage()
    normal = theme.icon("refresh").pixmap(24).toImage()
    assert not disabled.isNull() and disabled != normal.convertToFormat(disabled.format())
    assert theme.icon("no-such-icon").isNull()


def test_an_icon_copy_changed_by_qt_survives_its_original(qtbot):
    """Changing a copy makes Qt clone the engine: the clone must live as long as Qt keeps
    it (a Python engine deleted with its wrapper crashed the process)."""
    theme.icon.cache_clear()
    button = QToolButton()
    qtbot.addWidget(button)
    button.setIcon(theme.icon("refresh"))
    theme.icon.cache_clear()
    gc.collect()
    copies = []
    for _ in range(50):
        copy = QIcon(button.icon())
        copy.addPixmap(button.icon().pixmap(16))  # detaches: the engine is cloned
        copies.append(copy)
    gc.collect()
    assert all(c.pixmap(20).size() == QSize(20, 20) for c in copies)
    del copies
    gc.collect()
    extra = QIcon(button.icon())
    extra.addPixmap(button.icon().pixmap(16))
    assert len(theme._clones) <= 2  # the ones Qt deleted are let go
    assert not button.icon().pixmap(24).isNull()
