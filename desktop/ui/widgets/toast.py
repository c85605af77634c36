"""A short toast near what was just done ("Copied"), gone by itself (issue 14, item 8).

One floating label per window, placed just below the widget it speaks of, read out by a
screen reader through its accessible name; it never takes focus and never blocks.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from desktop.ui import theme

TOAST_MS = 1500

__all__ = ["TOAST_MS", "Toast", "show_toast"]


class Toast(QLabel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bg, fg = theme.colors().success
        self.setStyleSheet(
            f"QLabel#toast {{ background: {bg}; color: {fg}; border-radius: 6px;"
            " padding: 3px 10px; font-weight: 600; }"
        )
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.hide)
        self.hide()

    def show_near(self, anchor: QWidget, text: str, ms: int = TOAST_MS) -> None:
        self.setText(text)
        self.setAccessibleName(text)
        self.adjustSize()
        host = self.parentWidget()
        below = anchor.mapTo(host, QPoint(0, anchor.height() + 2))
        x = min(max(0, below.x()), max(0, host.width() - self.width()))
        y = (
            below.y()
            if below.y() + self.height() <= host.height()
            else below.y() - (anchor.height() + self.height() + 4)
        )
        self.move(x, max(0, y))
        self.raise_()
        self.show()
        self.timer.start(ms)


def show_toast(anchor: QWidget, text: str = "Copied") -> Toast:
    """Show ``text`` just below ``anchor`` in its window for a moment."""
    host = anchor.window()
    toast = host.findChild(Toast, "toast", Qt.FindChildOption.FindDirectChildrenOnly)
    if toast is None:
        toast = Toast(host)
    toast.show_near(anchor, text)
    return toast
