"""A selectable value (id, hash, address, deposit code) with a copy-to-clipboard button.

Long values are elided in the middle; `big=True` shows a deposit code large enough to read
out to a customer across a counter.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from desktop.ui import theme


class CopyableValue(QWidget):
    copied = Signal(str)

    def __init__(
        self,
        value: str | None = "",
        *,
        monospace: bool = True,
        big: bool = False,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMinimumWidth(60)  # elided in the middle when narrow
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if monospace or big:
            font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            if big:
                font.setPointSize(max(font.pointSize(), 10) * 2 + 4)
                font.setWeight(QFont.Weight.Bold)
                font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
            self.label.setFont(font)
        lay.addWidget(self.label, 1)
        self.button = QToolButton()
        theme.set_icon(self.button, "copy")
        self.button.setAutoRaise(True)
        self.button.setToolTip("Copy to clipboard")
        self.button.setAccessibleName("Copy to clipboard")
        self.button.clicked.connect(self.copy)
        lay.addWidget(self.button)
        self.set_value(value)

    def set_value(self, value: str | None) -> None:
        self._value = value or ""
        self.label.setToolTip(self._value)
        self.button.setEnabled(bool(self._value))
        self._elide()

    def sizeHint(self):
        hint = super().sizeHint()
        full = self.label.fontMetrics().horizontalAdvance(self._value or "—") + 8
        hint.setWidth(full + self.button.sizeHint().width() + 4)
        return hint

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        text = self._value or "—"
        width = max(self.label.width(), 40)
        self.label.setText(
            self.label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, width)
        )

    def value(self) -> str:
        return self._value

    def _reset_tip(self) -> None:
        self.button.setToolTip("Copy to clipboard")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._value)
        self.button.setToolTip("Copied")
        QTimer.singleShot(1500, self.button, self._reset_tip)  # context: dies with the button
        from desktop.ui.widgets.toast import show_toast

        self.toast = show_toast(self, "Copied")  # a short toast near what was copied
        self.copied.emit(self._value)
