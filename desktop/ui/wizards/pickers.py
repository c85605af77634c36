"""Customer + wallet picker used by every money wizard (loads through the wizard's scope)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.display import money
from desktop.oms import errors
from desktop.ui import theme
from desktop.ui.op import Op


class WalletPicker(QWidget):
    """Customer id → that customer's wallets with their balances."""

    changed = Signal()
    loaded = Signal()

    def __init__(self, wizard: Any, *, label: str = "Customer", parent: QWidget | None = None):
        super().__init__(parent)
        self.wizard = wizard
        self.customer: Any = None
        self.wallets: list[Any] = []
        self.balances: dict[str, Decimal | None] = {}
        self.loading = False
        self._generation = 0
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText("cst_…")
        self.customer_edit.setAccessibleName(f"{label} id")
        row.addWidget(self.customer_edit, 1)
        self.load_button = QPushButton("Load")
        self.load_button.clicked.connect(lambda: self.load(self.customer_edit.text()))
        row.addWidget(self.load_button)
        form.addRow(label, row)
        self.name_label = QLabel("")
        form.addRow("", self.name_label)
        self.combo = QComboBox()
        self.combo.setAccessibleName(f"{label} wallet")
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form.addRow("Wallet", self.combo)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.text_style("error"))
        form.addRow("", self.message)
        self.customer_edit.returnPressed.connect(lambda: self.load(self.customer_edit.text()))

    # ---- values -------------------------------------------------------------
    def customer_id(self) -> str:
        return self.customer.id if self.customer is not None else ""

    def wallet_id(self) -> str:
        w = self.combo.currentData()
        return w or ""

    def balance(self) -> Decimal | None:
        return self.balances.get(self.wallet_id())

    def wallet(self) -> Any:
        wid = self.wallet_id()
        return next((w for w in self.wallets if w.id == wid), None)

    # ---- loading ------------------------------------------------------------
    def load(self, customer_id: str, select_wallet: str | None = None) -> None:
        customer_id = (customer_id or "").strip()
        self.customer_edit.setText(customer_id)
        if not customer_id:
            return
        self._generation += 1
        gen = self._generation
        self.loading = True
        self.message.setText("")
        self.name_label.setText("Loading…")
        self.changed.emit()
        client = self.wizard.ctx.client

        async def run() -> tuple[Any, list, dict]:
            customer = await client.get_customer(customer_id)
            page = await client.list_wallets(customer_id, limit=100)
            balances: dict[str, Decimal | None] = {}
            for w in page.data:
                try:
                    balances[w.id] = (await client.get_balance(w.id)).balance
                except errors.OmsError:  # one unknown balance does not hide the wallet
                    balances[w.id] = None
            return customer, list(page.data), balances

        def loaded(result: tuple[Any, list, dict]) -> None:
            if gen == self._generation:  # a later load supersedes this one
                self._show(*result, select_wallet)

        def failed(exc: BaseException) -> None:
            if gen == self._generation:
                self._fail(str(exc))

        # Not busy-blocking: a later load (another customer id) supersedes this one.
        Op(self.wizard.scope, run, name="load wallets").success(loaded).failure(
            failed, catch=(Exception,)
        ).run()

    def _fail(self, text: str) -> None:
        self.loading = False
        self.customer = None
        self.wallets = []
        self.combo.clear()
        self.name_label.setText("")
        self.message.setText(text)
        self.changed.emit()
        self.loaded.emit()

    def _show(self, customer: Any, wallets: list, balances: dict, select: str | None) -> None:
        self.loading = False
        self.customer = customer
        self.wallets = wallets
        hub = getattr(self.wizard, "hub", None)
        if hub is not None:  # a fact learned here is the session's (names in notices)
            hub.publish_customer(customer)
        self.balances = balances
        self.name_label.setText(customer.display_name)
        self.combo.blockSignals(True)
        self.combo.clear()
        for w in wallets:
            bal = balances.get(w.id)
            text = f"{w.id}  ·  {(w.asset or '').upper()} on {w.chain or ''}  ·  " + (
                money(bal, w.asset or "usdc") if bal is not None else "balance unknown"
            )
            self.combo.addItem(text, w.id)
        if select:
            idx = self.combo.findData(select)
            if idx >= 0:
                self.combo.setCurrentIndex(idx)
        self.combo.blockSignals(False)
        if not wallets:
            self.message.setText("This customer has no wallet yet.")
        self.changed.emit()
        self.loaded.emit()
