"""Every colour comes from theme.py, and text on it is readable: WCAG contrast ≥ 4.5:1 in
both themes, read from the QPalette the app installs and from the theme's kind colours."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette

from desktop.ui import theme

MIN_CONTRAST = 4.5
ROLE = QPalette.ColorRole
PALETTE_PAIRS = (
    (ROLE.WindowText, ROLE.Window),
    (ROLE.Text, ROLE.Base),
    (ROLE.Text, ROLE.AlternateBase),
    (ROLE.ButtonText, ROLE.Button),
    (ROLE.HighlightedText, ROLE.Highlight),
    (ROLE.PlaceholderText, ROLE.Base),
    (ROLE.PlaceholderText, ROLE.Window),
    (ROLE.Link, ROLE.Base),
    (ROLE.ToolTipText, ROLE.ToolTipBase),
)


def _luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def contrast(fg: str | QColor, bg: str | QColor) -> float:
    a, b = _luminance(QColor(fg)), _luminance(QColor(bg))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def test_contrast_formula_matches_wcag_examples():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just fails AA


@pytest.mark.parametrize("colors", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_palette_text_is_readable(colors):
    p = theme.make_palette(colors)
    low = [
        (fg.name, bg.name, round(contrast(p.color(fg), p.color(bg)), 2))
        for fg, bg in PALETTE_PAIRS
        if contrast(p.color(fg), p.color(bg)) < MIN_CONTRAST
    ]
    assert not low, low


@pytest.mark.parametrize("colors", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_banner_badge_and_status_colours_are_readable(colors):
    low = []
    for kind in ("error", "warning", "info", "success", "sandbox_badge", "production_badge"):
        bg, fg = getattr(colors, kind)
        if contrast(fg, bg) < MIN_CONTRAST:
            low.append((kind, "strip"))
    for kind in ("error", "warning", "info", "success"):  # text_style(): coloured text
        for surface in ("window", "base", "alt_base", "button"):
            if contrast(getattr(colors, kind)[1], getattr(colors, surface)) < MIN_CONTRAST:
                low.append((kind, surface))
    for surface in ("window", "base", "alt_base", "button"):
        if contrast(colors.muted, getattr(colors, surface)) < MIN_CONTRAST:
            low.append(("muted", surface))
    assert not low, low


def test_text_style_follows_the_current_theme(qapp):
    theme.apply_theme(qapp, "dark")
    try:
        assert theme.DARK.error[1] in theme.text_style("error")
    finally:
        theme.apply_theme(qapp, "light")
    assert theme.LIGHT.error[1] in theme.text_style("error")


def test_views_and_widgets_take_colours_from_the_theme():
    """No hex colour literal outside theme.py in views, widgets and wizards."""
    ui = Path(theme.__file__).parent
    files = [*ui.glob("*.py"), *(ui / "widgets").glob("*.py"), *(ui / "wizards").glob("*.py")]
    literal = re.compile(r"#[0-9a-fA-F]{6}\b")
    found = [
        f"{f.name}:{n}"
        for f in files
        if f.name not in ("theme.py", "qr.py")  # qr.py: black-on-white is the QR spec
        for n, line in enumerate(f.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert not found, found
