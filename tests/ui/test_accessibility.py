"""Issue 14, item 6: what a screen reader gets. Every focusable widget of every window,
dialog and wizard page has an accessible name (Qt's own: the accessible name, the text, or
the form label that is its buddy), and changing values describe themselves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QWidget

from tests.support.walk import demo_customer, each_dialog, each_tab, each_wizard_page


def spoken_name(w: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(w)
    return (iface.text(QAccessible.Text.Name) if iface is not None else "").strip()


def unnamed(root: QWidget) -> list[str]:
    """Focusable widgets a screen reader would announce without a name."""
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        # Any focus at all (a selectable label takes a click): AT-SPI calls it focusable.
        if w.focusPolicy() == Qt.FocusPolicy.NoFocus or not w.isVisibleTo(root):
            continue
        if isinstance(w.parentWidget(), QAbstractScrollArea) and w is w.parentWidget().viewport():
            continue
        if isinstance(w.parentWidget(), QAbstractSpinBox):
            continue  # a spin box's own editor: the spin box is what a reader announces
        if not spoken_name(w):
            out.append(
                f"{type(w).__name__} {w.objectName()!r} in {type(w.parentWidget()).__name__}"
            )
    return out


def test_every_tab_and_dialog_is_named(qtbot, window, tmp_path):
    """The main window with each tab shown (each Developers pane), and every dialog and
    secondary window: Settings, Receive, the endpoint dialog, the production confirmation,
    a customer's transactions window, ..."""
    c = demo_customer(qtbot, window)
    for where, _tab in each_tab(qtbot, window):
        assert unnamed(window) == [], where
    for name, dlg in each_dialog(window, c, tmp_path):
        assert unnamed(dlg) == [], name


def test_every_wizard_page_is_named(qtbot, window):
    c = demo_customer(qtbot, window)
    for where, wiz, pid in each_wizard_page(qtbot, window, c):
        assert unnamed(wiz.page(pid)) == [], where


def test_changing_values_describe_themselves(qtbot, window):
    demo_customer(qtbot, window)
    story = window.detail.story
    assert story.status.accessibleDescription() == story.story.status
