"""Light and dark palettes, SVG icons from resources/icons, shared colours."""

from __future__ import annotations

import functools
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
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


@functools.lru_cache(maxsize=256)
def icon(name: str, color: str | None = None) -> QIcon:
    """An SVG icon from resources/icons, recoloured for the current palette."""
    path = ICON_DIR / f"{name}.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_text(encoding="utf-8")
    if name != "oms-desk":
        svg = svg.replace(_ICON_INK, color or _current.text)
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    ic = QIcon()
    for size in (16, 20, 24, 32, 48):
        ic.addPixmap(_render(renderer, size))
    return ic


def _render(renderer: QSvgRenderer, size: int) -> QPixmap:
    dpr = (
        QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1
    )
    pm = QPixmap(QSize(size, size) * dpr)
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    renderer.render(painter, QRectF(0, 0, size * dpr, size * dpr))
    painter.end()
    pm.setDevicePixelRatio(dpr)
    return pm


def app_icon() -> QIcon:
    return icon("oms-desk")
