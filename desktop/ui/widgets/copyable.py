"""A selectable, elided value with a copy-to-clipboard button."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from desktop.ui import theme


class CopyableValue(QWidget):
    copied = Signal(str)

    def __init__(self, value: str = "", *, monospace: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if monospace:
            self.label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lay.addWidget(self.label, 1)
        self.button = QToolButton()
        self.button.setIcon(theme.icon("copy"))
        self.button.setAutoRaise(True)
        self.button.setToolTip("Copy to clipboard")
        self.button.clicked.connect(self.copy)
        lay.addWidget(self.button)
        self.set_value(value)

    def set_value(self, value: str) -> None:
        self._value = value or ""
        self.label.setText(self._value or "—")
        self.button.setEnabled(bool(self._value))

    def value(self) -> str:
        return self._value

    def _reset_tip(self) -> None:
        self.button.setToolTip("Copy to clipboard")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._value)
        self.button.setToolTip("Copied")
        QTimer.singleShot(1500, self.button, self._reset_tip)  # context: dies with the button
        self.copied.emit(self._value)
