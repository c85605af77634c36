"""An amount entry: text field + asset label + optional Max button + inline message.

Validation is the pure ``check_amount`` (D6); the field never holds a float.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.display import money
from desktop.flows.validators import Check, check_amount
from desktop.ui import theme


class MoneyField(QWidget):
    changed = Signal()

    def __init__(
        self,
        asset: str = "usdc",
        *,
        with_max: bool = False,
        placeholder: str = "0.00",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.asset = asset
        self.maximum: Decimal | None = None
        self.maximum_label = "the available balance"
        self.extra_check = None  # optional callable(Decimal) -> Check
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(6)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setAccessibleName("amount")
        row.addWidget(self.edit, 1)
        self.unit = QLabel(asset.upper())
        row.addWidget(self.unit)
        self.max_button = QPushButton("Max")
        self.max_button.setVisible(with_max)
        self.max_button.clicked.connect(self.fill_max)
        row.addWidget(self.max_button)
        outer.addLayout(row)
        self.message = QLabel()
        self.message.setStyleSheet(theme.text_style("error"))
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        self.edit.textChanged.connect(self._on_text)

    def set_asset(self, asset: str) -> None:
        self.asset = asset
        self.unit.setText(asset.upper())
        self._on_text()

    def set_maximum(self, maximum: Decimal | None, label: str = "the available balance") -> None:
        self.maximum = maximum
        self.maximum_label = label
        self.max_button.setEnabled(maximum is not None and maximum > 0)
        self._update_message()

    def fill_max(self) -> None:
        if self.maximum is not None:
            self.edit.setText(format(self.maximum, "f"))

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def check(self) -> Check:
        res = check_amount(
            self.edit.text(), self.asset, maximum=self.maximum, maximum_label=self.maximum_label
        )
        if res and self.extra_check is not None:
            return self.extra_check(res.value)
        return res

    def value(self) -> Decimal | None:
        res = self.check()
        return res.value if res else None

    def _update_message(self) -> None:
        res = self.check()
        # Do not nag about an empty field; say what is wrong once something is typed.
        self.message.setText("" if res or not self.edit.text().strip() else res.message)

    def _on_text(self, *_):
        self._update_message()
        self.changed.emit()

    @staticmethod
    def describe(amount: Decimal | None, asset: str) -> str:
        return money(amount, asset)
