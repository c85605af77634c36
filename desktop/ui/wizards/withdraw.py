"""Withdraw to bank wizard (cryptoToFiat): wallet → bank account + rail + amount → quote → status.

External accounts are early access on OMS: against a sandbox profile the operator can
register one here (routing number checked with the ABA checksum before any request);
against OMS the operator enters a known account id.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from desktop.display import money
from desktop.flows.money_flow import MoneyFlow, Step
from desktop.flows.state import RAIL_INFO
from desktop.flows.validators import (
    check_account_number,
    check_routing_number,
)
from desktop.oms import new_idempotency_key
from desktop.ui import theme
from desktop.ui.op import Op
from desktop.ui.widgets.money_field import MoneyField
from desktop.ui.wizards.base import Banner, MoneyWizard, choice_row
from desktop.ui.wizards.quote_page import QuotePage
from desktop.ui.wizards.send import SourcePage
from desktop.ui.wizards.status_page import StatusPage


class RegisterAccountBox(QGroupBox):
    """Sandbox only: register a US bank account with checked routing/account numbers."""

    def __init__(self, page: AccountPage) -> None:
        super().__init__("Register a bank account (sandbox)")
        self.page = page
        form = QFormLayout(self)
        self.bank_name = QLineEdit("Sandbox Bank")
        self.holder = QLineEdit()
        self.routing = QLineEdit()
        self.routing.setPlaceholderText("9 digits, e.g. 021000021")
        self.routing.setAccessibleName("routing number")
        self.account = QLineEdit()
        self.account.setPlaceholderText("4–17 digits")
        self.account.setAccessibleName("account number")
        self.routing_msg = QLabel()
        self.routing_msg.setStyleSheet(theme.text_style("error"))
        self.account_msg = QLabel()
        self.account_msg.setStyleSheet(theme.text_style("error"))
        form.addRow("Bank name", self.bank_name)
        form.addRow("Account holder", self.holder)
        form.addRow("Routing number", self.routing)
        form.addRow("", self.routing_msg)
        form.addRow("Account number", self.account)
        form.addRow("", self.account_msg)
        self.register_button = QPushButton("Register account")
        self.register_button.clicked.connect(self.register)
        form.addRow("", self.register_button)
        self.routing.textChanged.connect(self._validate)
        self.account.textChanged.connect(self._validate)
        self.holder.textChanged.connect(self._validate)
        self._validate()

    def _validate(self, *_: Any) -> bool:
        r = check_routing_number(self.routing.text())
        a = check_account_number(self.account.text())
        self.routing_msg.setText("" if r or not self.routing.text() else r.message)
        self.account_msg.setText("" if a or not self.account.text() else a.message)
        self.routing_msg.setVisible(bool(self.routing_msg.text()))
        self.account_msg.setVisible(bool(self.account_msg.text()))
        ok = bool(r and a and self.holder.text().strip() and self.bank_name.text().strip())
        self.register_button.setEnabled(ok)
        return ok

    def register(self) -> None:
        if not self._validate():
            return
        wiz = self.page.wiz
        body = {
            "type": "usBank",
            "network": self.page.network(),
            "bankDetails": {
                "bankName": self.bank_name.text().strip(),
                "routingNumber": check_routing_number(self.routing.text()).value,
                "accountNumber": check_account_number(self.account.text()).value,
                "accountHolderName": self.holder.text().strip(),
            },
        }
        customer_id = wiz.flow.request.customer_id
        client = wiz.ctx.client

        async def run() -> Any:
            return await client.create_external_account(
                customer_id, body, idempotency_key=new_idempotency_key()
            )

        def done(acc: Any) -> None:
            self.account.clear()
            self._validate()
            self.page.banner.show_message(f"Registered {acc.id}.", "success")
            self.page.load_accounts(select=acc.id)

        def failed(exc: BaseException) -> None:
            self._validate()
            self.page.banner.show_message(str(exc), "error")

        Op(wiz.scope, run, name="register account").busy(self.register_button).success(
            done
        ).failure(failed).run()


class AccountPage(QWizardPage):
    def __init__(self, wiz: WithdrawWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.accounts: list[Any] = []
        self._listing = 0  # only the newest listing fills the list
        self.setTitle("Withdraw to")
        self.setSubTitle("The customer's bank account, the rail and the amount.")
        lay = QVBoxLayout(self)
        self.banner = Banner()
        lay.addWidget(self.banner)
        form = QFormLayout()
        self.account_combo = QComboBox()
        self.account_combo.setAccessibleName("bank account")
        form.addRow("Bank account", self.account_combo)
        self.manual_id = QLineEdit()
        self.manual_id.setPlaceholderText("cpUsBank_… (early access)")
        self.manual_id.setAccessibleName("bank account id")
        self.manual_row_label = QLabel("Or account id")
        form.addRow(self.manual_row_label, self.manual_id)
        lay.addLayout(form)
        self.register_box = RegisterAccountBox(self)
        lay.addWidget(self.register_box)

        rail = QGroupBox("Rail")
        rl = QVBoxLayout(rail)
        row, (self.ach, self.wire) = choice_row(self, "ACH", "Wire")
        rl.addLayout(row)
        self.rail_info = QLabel()
        self.rail_info.setWordWrap(True)
        rl.addWidget(self.rail_info)
        lay.addWidget(rail)

        amount_box = QGroupBox("Amount (USD, 2 decimals)")
        af = QFormLayout(amount_box)
        self.amount = MoneyField("usd", with_max=True)
        self.amount.unit.setText("USDC → USD")
        af.addRow("Send", self.amount)
        self.balance_label = QLabel()
        af.addRow("Available", self.balance_label)
        lay.addWidget(amount_box)
        lay.addStretch(1)

        self.account_combo.currentIndexChanged.connect(self._account_picked)
        for sig in (
            self.account_combo.currentIndexChanged,
            self.manual_id.textChanged,
            self.ach.toggled,
            self.amount.changed,
        ):
            sig.connect(self._changed)

    def _account_picked(self, *_: Any) -> None:
        # Default the rail to the one the account was registered for (changeable).
        acc = next((a for a in self.accounts if a.id == self.account_combo.currentData()), None)
        if acc is not None and acc.network in ("ach", "wire"):
            (self.wire if acc.network == "wire" else self.ach).setChecked(True)

    def network(self) -> str:
        return "wire" if self.wire.isChecked() else "ach"

    def account_id(self) -> str:
        manual = self.manual_id.text().strip()
        return manual or (self.account_combo.currentData() or "")

    def initializePage(self) -> None:
        self.wiz.flow.step = Step.DETAILS
        sandbox = self.wiz.ctx.is_sandbox
        self.register_box.setVisible(sandbox)
        self.manual_row_label.setText("Or account id" if sandbox else "Account id (early access)")
        bal = self.wiz.flow.request.source_balance
        self.balance_label.setText(money(bal, "usdc") if bal is not None else "unknown")
        # cryptoToFiat amounts have 2 places: Max is the balance rounded down to cents.
        self.amount.set_maximum(
            bal.quantize(Decimal("0.01"), rounding=ROUND_DOWN) if bal is not None else None
        )
        self.load_accounts()
        self._changed()

    def load_accounts(self, select: str | None = None) -> None:
        wiz = self.wiz
        customer_id = wiz.flow.request.customer_id
        client = wiz.ctx.client
        self._listing += 1
        listing = self._listing

        async def run() -> Any:
            return await client.list_external_accounts(customer_id, limit=100)

        def failed(exc: BaseException) -> None:
            # Not callable on OMS yet (early access): the operator types an id instead.
            self.banner.show_message(
                f"Bank accounts could not be listed ({exc}). Enter a known account id.",
                "warning",
            )

        def listed(page: Any) -> None:
            if listing != self._listing:
                return  # a newer listing (after a registration) is on its way
            self.accounts = list(page.data)
            self.account_combo.blockSignals(True)
            self.account_combo.clear()
            for acc in self.accounts:
                b = acc.bank_details
                self.account_combo.addItem(
                    f"{b.bank_name or 'Bank'} {b.account_number or ''} · "
                    f"{b.account_holder_name or ''} · {(acc.network or '').upper()} · {acc.id}",
                    acc.id,
                )
            if select:
                self.account_combo.setCurrentIndex(max(0, self.account_combo.findData(select)))
            self.account_combo.blockSignals(False)
            self._changed()

        # Busy shown, not blocking: the listing after a registration must always start.
        Op(wiz.scope, run, name="list accounts").busy(self.account_combo.setDisabled).success(
            listed
        ).failure(failed).run()

    def _changed(self, *_: Any) -> None:
        self.wiz.flow.update(
            external_account_id=self.account_id(),
            network=self.network(),
            amount_text=self.amount.text(),
        )
        self.rail_info.setText(
            RAIL_INFO[self.network()]
            + "  The other rail: "
            + RAIL_INFO["ach" if self.network() == "wire" else "wire"]
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.wiz.flow.request.is_ready()


class WithdrawWizard(MoneyWizard):
    def __init__(
        self,
        app_ctx: Any,
        customer_id: str = "",
        wallet_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(app_ctx, "Withdraw to bank", MoneyFlow.withdraw, parent)
        self.source_page = SourcePage(self, "Withdraw from")
        self.account_page = AccountPage(self)
        self.quote_page = QuotePage(self)
        self.status_page = StatusPage(self)
        for page in (self.source_page, self.account_page, self.quote_page, self.status_page):
            self.addPage(page)
        if customer_id:
            self.source_page.picker.load(customer_id, select_wallet=wallet_id)
