"""A line edit's placeholder that is never cut off: the long form (with its shortcut)
where it fits, the short form where the box is narrow (a 1024-px window); the shortcut
then lives in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLineEdit, QToolButton


def text_room(edit: QLineEdit) -> int:
    """Pixels a line edit has for text: its width less the frame, margins and the icon
    buttons of its actions (search icon, clear button)."""
    icons = sum(b.width() for b in edit.findChildren(QToolButton))
    m = edit.textMargins()
    return edit.width() - icons - m.left() - m.right() - 12


class FittingPlaceholder(QObject):
    """Keeps ``edit``'s placeholder to ``long`` when it fits, else ``short``."""

    def __init__(self, edit: QLineEdit, long: str, short: str) -> None:
        super().__init__(edit)
        self.edit = edit
        self.set_texts(long, short)
        edit.installEventFilter(self)

    def set_texts(self, long: str, short: str) -> None:
        self.long, self.short = long, short
        self.fit()

    def fit(self) -> None:
        fits = self.edit.fontMetrics().horizontalAdvance(self.long) <= text_room(self.edit)
        self.edit.setPlaceholderText(self.long if fits else self.short)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.edit and event.type() in (QEvent.Type.Resize, QEvent.Type.FontChange):
            self.fit()
        return False


def fit_placeholder(edit: QLineEdit, long: str, short: str) -> FittingPlaceholder:
    """Give ``edit`` a placeholder that is never clipped (see module doc)."""
    found = edit.findChild(FittingPlaceholder)
    if found is not None:
        found.set_texts(long, short)
        return found
    return FittingPlaceholder(edit, long, short)


__all__ = ["FittingPlaceholder", "fit_placeholder", "text_room"]
