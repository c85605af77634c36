"""A selectable id / hash / code with a Copy button (optionally big, for deposit codes)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class CopyableId(QWidget):
    copied = Signal(str)

    def __init__(self, value: str = "", *, big: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        if big:
            font.setPointSize(max(font.pointSize(), 10) * 2 + 4)
            font.setWeight(QFont.Weight.Bold)
            font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
        self.label.setFont(font)
        self.label.setWordWrap(not big)
        lay.addWidget(self.label, 1)
        self.button = QPushButton("Copy")
        self.button.setToolTip("Copy to clipboard")
        self.button.clicked.connect(self.copy)
        lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.set_value(value)

    def set_value(self, value: str | None) -> None:
        self._value = value or ""
        self.label.setText(self._value or "—")
        self.button.setEnabled(bool(self._value))

    def value(self) -> str:
        return self._value

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._value)
        self.button.setText("Copied")
        self.copied.emit(self._value)
