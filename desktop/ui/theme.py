"""Light and dark palettes, SVG icons from resources/icons, shared colours."""

from __future__ import annotations

import functools
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication


def resources_dir() -> Path:
    base = getattr(sys, "_MEIPASS", None)
    if base:
        return Path(base) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


ICON_DIR = resources_dir() / "icons"
_ICON_INK = "#1f2937"  # the stroke colour the SVG files are drawn with


@dataclass(frozen=True)
class Colors:
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    button: str
    highlight: str
    highlight_text: str
    link: str
    border: str
    # banners: (background, foreground)
    error: tuple[str, str]
    warning: tuple[str, str]
    info: tuple[str, str]
    success: tuple[str, str]
    sandbox_badge: tuple[str, str]
    production_badge: tuple[str, str]


LIGHT = Colors(
    window="#f5f6f8",
    base="#ffffff",
    alt_base="#f7f8fa",
    text="#1f2937",
    muted="#5b6270",  # ≥ 4.5:1 on every light background (the test reads the palette)
    button="#eef0f3",
    highlight="#7b3fe4",
    highlight_text="#ffffff",
    link="#5b21b6",
    border="#d5d9e0",
    error=("#fde8e8", "#9b1c1c"),
    warning=("#fdf6b2", "#723b13"),
    info=("#e1effe", "#1e429f"),
    success=("#def7ec", "#03543f"),
    sandbox_badge=("#f59e0b", "#1f1300"),
    production_badge=("#dc2626", "#ffffff"),
)
DARK = Colors(
    window="#1e2126",
    base="#16181c",
    alt_base="#1b1e23",
    text="#e5e7eb",
    muted="#9ca3af",
    button="#2a2e35",
    highlight="#7c4ddf",  # white text on it ≥ 4.5:1
    highlight_text="#ffffff",
    link="#c4b5fd",
    border="#3a3f47",
    error=("#4c1d1d", "#fecaca"),
    warning=("#4a3b0c", "#fde68a"),
    info=("#1e2a4a", "#bfdbfe"),
    success=("#0f3d2e", "#a7f3d0"),
    sandbox_badge=("#f59e0b", "#1f1300"),
    production_badge=("#dc2626", "#ffffff"),
)

_current = LIGHT


def colors() -> Colors:
    return _current


def is_dark() -> bool:
    return _current is DARK


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    try:
        return hints.colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # pragma: no cover - Qt < 6.5
        return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def make_palette(c: Colors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, v in (
        (role.Window, c.window),
        (role.WindowText, c.text),
        (role.Base, c.base),
        (role.AlternateBase, c.alt_base),
        (role.Text, c.text),
        (role.Button, c.button),
        (role.ButtonText, c.text),
        (role.Highlight, c.highlight),
        (role.HighlightedText, c.highlight_text),
        (role.Link, c.link),
        (role.ToolTipBase, c.base),
        (role.ToolTipText, c.text),
        (role.PlaceholderText, c.muted),
        (role.BrightText, "#ffffff"),
    ):
        p.setColor(r, QColor(v))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(c.muted))
    return p


def apply_theme(app: QApplication, mode: str = "system") -> Colors:
    """mode: "system", "light" or "dark". Returns the colours in use."""
    global _current
    dark = system_prefers_dark() if mode == "system" else mode == "dark"
    _current = DARK if dark else LIGHT
    if mode == "system" and sys.platform in ("darwin", "win32"):
        pass  # the native style follows the OS light/dark setting by itself
    else:
        app.setStyle("Fusion")
        app.setPalette(make_palette(_current))
    # No application-wide style sheet: it routes every paint (the big tables too) through
    # QStyleSheetStyle, ~30 % slower scrolling (measured). Containers that need the
    # rules below call ``style_widget()``.
    app.setStyleSheet("")
    icon.cache_clear()
    for obj in list(_iconed):  # icons are drawn in the palette's text colour: redraw them
        try:
            obj.setIcon(icon(str(obj.property("iconName"))))
        except RuntimeError:  # deleted
            _iconed.discard(obj)
    for w in list(_styled):
        try:
            w.setStyleSheet(stylesheet(_current))
        except RuntimeError:  # deleted
            _styled.discard(w)
    return _current


_styled: weakref.WeakSet = weakref.WeakSet()
_iconed: weakref.WeakSet = weakref.WeakSet()


def text_style(kind: str, *, bold: bool = False) -> str:
    """A style sheet colouring text by meaning ("error", "success", "info", "warning",
    "muted") in the current palette: readable (≥ 4.5:1) on the window and base colours."""
    c = _current
    color = c.muted if kind == "muted" else getattr(c, kind)[1]
    return f"color: {color};" + (" font-weight: bold;" if bold else "")


def set_icon(obj, name: str) -> None:
    """Give a button or action the icon ``name`` in the palette's text colour, redrawn
    whenever the theme changes."""
    obj.setProperty("iconName", name)
    obj.setIcon(icon(name))
    _iconed.add(obj)


def style_widget(w) -> None:
    """Apply the shared rules (headings, field errors, group boxes) to a container."""
    w.setStyleSheet(stylesheet(_current))
    _styled.add(w)


def stylesheet(c: Colors) -> str:
    return f"""
QToolBar {{ spacing: 4px; border: none; padding: 2px 6px; }}
QLabel[role="heading"] {{ font-size: 15px; font-weight: 600; }}
QLabel[role="muted"] {{ color: {c.muted}; }}
QLabel[role="fieldError"] {{ color: {c.error[1]}; }}
QGroupBox {{ font-weight: 600; border: 1px solid {c.border}; border-radius: 6px; margin-top: 10px;
  padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"], QDateEdit[invalid="true"] {{
  border: 1px solid {c.error[1]}; border-radius: 3px; }}
"""


#: The sizes an icon says it has (menus 16, tool bars 24, …); any other is drawn exactly.
ICON_SIZES = (16, 20, 24, 32, 48)


@functools.lru_cache(maxsize=256)
def icon(name: str, color: str | None = None) -> QIcon:
    """An SVG icon from resources/icons, recoloured for the current palette.

    Drawn when, and at the size, it is first painted (``SvgIconEngine``): drawing every
    icon at five sizes up front cost 6.5 ms before the window showed (16 icons, 80
    pixmaps) for the 8 pixmaps its first paint uses (menus and other tabs come later)."""
    path = ICON_DIR / f"{name}.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_text(encoding="utf-8")
    if name != "oms-desk":
        svg = svg.replace(_ICON_INK, color or _current.text)
    return QIcon(SvgIconEngine(svg.encode()))


class SvgIconEngine(QIconEngine):
    """A QIcon drawn from SVG bytes on demand, one pixmap per size, scale and mode, as
    Qt's pixmap icons are: the modes other than Normal (disabled, selected) are the
    style's generated variants of the Normal pixmap."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderer: QSvgRenderer | None = None
        self._pixmaps: dict[tuple[int, int, float, QIcon.Mode], QPixmap] = {}

    def _render(self, size: QSize, scale: float) -> QPixmap:
        if self._renderer is None:
            self._renderer = QSvgRenderer(QByteArray(self._svg))
        pm = QPixmap(size * scale)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        self._renderer.render(painter, QRectF(0, 0, size.width() * scale, size.height() * scale))
        painter.end()
        pm.setDevicePixelRatio(scale)
        return pm

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float):
        key = (size.width(), size.height(), scale, mode)
        pm = self._pixmaps.get(key)
        if pm is None:
            if size.isEmpty():
                return QPixmap()
            if mode == QIcon.Mode.Normal:
                pm = self._render(size, scale)
            else:
                from PySide6.QtWidgets import QStyleOption

                normal = self.scaledPixmap(size, QIcon.Mode.Normal, state, scale)
                style = QApplication.style()
                pm = style.generatedIconPixmap(mode, normal, QStyleOption()) if style else normal
            self._pixmaps[key] = pm
        return pm

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        screen = QGuiApplication.primaryScreen()
        return self.scaledPixmap(size, mode, state, screen.devicePixelRatio() if screen else 1.0)

    def paint(self, painter: QPainter, rect, mode: QIcon.Mode, state: QIcon.State) -> None:
        device = painter.device()
        scale = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        side = min(size.width(), size.height())
        return QSize(side, side)  # square and scalable: as large as asked

    def availableSizes(self, mode=QIcon.Mode.Normal, state=QIcon.State.Off) -> list[QSize]:
        return [QSize(s, s) for s in ICON_SIZES]

    def isNull(self) -> bool:
        return not self._svg

    def key(self) -> str:
        return "oms-desk-svg"

    def clone(self) -> QIconEngine:
        # The QIcon that asks (a copy being changed) owns and deletes the clone, but PySide
        # would delete it with its Python wrapper as soon as this returns (a crash): keep
        # the wrapper until Qt has deleted the engine.
        import shiboken6

        _clones[:] = [e for e in _clones if shiboken6.isValid(e)]
        engine = SvgIconEngine(self._svg)
        _clones.append(engine)
        return engine


_clones: list[SvgIconEngine] = []  # engines cloned for Qt, until Qt deletes them


def app_icon() -> QIcon:
    return icon("oms-desk")
