"""An external EVM address entry: trims pasted whitespace, checks EIP-55 as typed."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.flows.validators import Check, check_address
from desktop.ui import theme


class AddressField(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("0x… (40 hex characters)")
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.edit.setAccessibleName("destination address")
        self.edit.setMaxLength(200)
        lay.addWidget(self.edit)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.edit.textChanged.connect(self._on_text)
        self.edit.editingFinished.connect(self.normalise)

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def check(self) -> Check:
        return check_address(self.edit.text())

    def value(self) -> str | None:
        res = self.check()
        return res.value if res else None

    def _on_text(self, text: str) -> None:
        stripped = "".join(text.split())
        if stripped != text:
            # A paste with spaces or a newline: keep only the address.
            pos = self.edit.cursorPosition()
            self.edit.blockSignals(True)
            self.edit.setText(stripped)
            self.edit.setCursorPosition(min(pos, len(stripped)))
            self.edit.blockSignals(False)
        res = self.check()
        if not stripped:
            self.message.setText("")
        elif res:
            self.message.setStyleSheet(theme.text_style("success"))
            self.message.setText(
                "✓ Valid address" + (" (checksum verified)" if stripped != stripped.lower() else "")
            )
        else:
            self.message.setStyleSheet(theme.text_style("error"))
            self.message.setText(res.message)
        self.changed.emit()

    def normalise(self) -> None:
        """On leaving the field, show the checksummed form of a valid address."""
        res = self.check()
        if res and res.value != self.edit.text():
            self.edit.setText(res.value)
