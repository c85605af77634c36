"""Send USDC wizard: source wallet → destination + amount → quote → status."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from desktop.display import money
from desktop.flows.money_flow import MoneyFlow, Step
from desktop.ui import theme
from desktop.ui.widgets.address_field import AddressField
from desktop.ui.widgets.money_field import MoneyField
from desktop.ui.wizards.base import MoneyWizard, choice_row
from desktop.ui.wizards.pickers import WalletPicker
from desktop.ui.wizards.quote_page import QuotePage
from desktop.ui.wizards.status_page import StatusPage


class SourcePage(QWizardPage):
    """The customer's wallet the money leaves from (Send and Withdraw)."""

    def __init__(self, wiz: MoneyWizard, title: str = "Send from") -> None:
        super().__init__()
        self.flow = wiz.flow
        self.setTitle(title)
        self.setSubTitle("Choose the customer's wallet the USDC leaves from.")
        lay = QVBoxLayout(self)
        self.picker = WalletPicker(wiz, label="Customer")
        self.picker.changed.connect(self._changed)
        lay.addWidget(self.picker)
        lay.addStretch(1)

    def initializePage(self) -> None:
        self.flow.step = Step.SOURCE

    def _changed(self) -> None:
        self.flow.update(
            customer_id=self.picker.customer_id(),
            source_wallet_id=self.picker.wallet_id(),
            source_balance=self.picker.balance(),
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.flow.request.source_check()) and not self.picker.loading


class DestinationPage(QWizardPage):
    def __init__(self, wiz: SendWizard) -> None:
        super().__init__()
        self.flow = wiz.flow
        self.setTitle("Send to")
        self.setSubTitle("Another OMS wallet or an external Polygon address, and the amount.")
        lay = QVBoxLayout(self)
        kinds, (self.to_address, self.to_wallet) = choice_row(
            self, "External address", "Another OMS wallet"
        )
        lay.addLayout(kinds)
        self.address = AddressField()
        lay.addWidget(self.address)
        self.dest_picker = WalletPicker(wiz, label="Recipient")
        self.dest_picker.hide()
        lay.addWidget(self.dest_picker)

        box = QGroupBox("Amount")
        form = QFormLayout(box)
        side, (self.send_exactly, self.receive_exactly) = choice_row(
            self, "I send exactly", "They receive exactly"
        )
        form.addRow(side)
        self.amount = MoneyField("usdc", with_max=True)
        form.addRow("Amount", self.amount)
        self.balance_label = QLabel("")
        form.addRow("Available", self.balance_label)
        self.note = QLabel(
            "Fees are taken from the amount sent. With “They receive exactly”, fees are "
            "added on top."
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet(theme.text_style("muted"))
        form.addRow(self.note)
        lay.addWidget(box)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(theme.text_style("error"))
        lay.addWidget(self.problems)
        lay.addStretch(1)

        for sig in (
            self.address.changed,
            self.amount.changed,
            self.dest_picker.changed,
            self.to_address.toggled,
            self.send_exactly.toggled,
        ):
            sig.connect(self._changed)

    def initializePage(self) -> None:
        self.flow.step = Step.DETAILS
        bal = self.flow.request.source_balance
        self.balance_label.setText(money(bal, "usdc") if bal is not None else "unknown")
        self._changed()

    def _changed(self, *_: Any) -> None:
        to_wallet = self.to_wallet.isChecked()
        self.address.setVisible(not to_wallet)
        self.dest_picker.setVisible(to_wallet)
        flow = self.flow
        if self.send_exactly.isChecked():
            self.amount.set_maximum(flow.request.source_balance)
        else:
            self.amount.maximum = None
            self.amount.max_button.setEnabled(False)
        flow.update(
            destination_kind="wallet" if to_wallet else "address",
            destination_wallet_id=self.dest_picker.wallet_id(),
            destination_address_text=self.address.text(),
            amount_text=self.amount.text(),
            fixed_side="source" if self.send_exactly.isChecked() else "destination",
        )
        dest = flow.request.destination_check()
        shown = to_wallet and flow.request.destination_wallet_id
        self.problems.setText(dest.message if shown else "")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.flow.request.is_ready() and not self.dest_picker.loading


class SendWizard(MoneyWizard):
    """Open with ``SendWizard(app_ctx, customer_id=…, wallet_id=…)`` and ``open()``."""

    def __init__(
        self,
        app_ctx: Any,
        customer_id: str = "",
        wallet_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(app_ctx, "Send USDC", MoneyFlow.send, parent)
        self.source_page = SourcePage(self)
        self.destination_page = DestinationPage(self)
        self.quote_page = QuotePage(self)
        self.status_page = StatusPage(self)
        for page in (self.source_page, self.destination_page, self.quote_page, self.status_page):
            self.addPage(page)
        if customer_id:
            self.source_page.picker.load(customer_id, select_wallet=wallet_id)
