"""Fund by bank transfer (D22): the customer's virtual account for the chosen wallet.

The page renders from the wizard's ``MoneyFlow`` (``va_*``, ``deposits``): it shows the
wallet's virtual account, or creates one when the operator asks; the deposit instructions
large and copyable field by field, and "Copy all" as text the customer pastes into their
bank; the fees and timing of ACH and wire. A deposit is not started by the desk: it
arrives whenever the customer's bank sends it, found by the session's TransactionFeed and
published through the hub, so it appears here, in the customer's transactions and on the
Transactions tab; its end raises a notice. On a sandbox profile "Simulate incoming ACH /
wire" plays the customer's bank.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from desktop.display import money
from desktop.flows.explain import explain_error
from desktop.flows.inbound import (
    BANK_RAILS,
    deposit_summary,
    early_access_text,
    estimate_bank_deposit,
    explain_deposit_refusal,
)
from desktop.flows.money_flow import FlowError
from desktop.oms import errors, new_idempotency_key
from desktop.ui import theme
from desktop.ui.op import Op
from desktop.ui.widgets.copyable import CopyableValue
from desktop.ui.widgets.money_field import MoneyField
from desktop.ui.wizards.base import Banner, MoneyWizard, choice_row

__all__ = ["INSTRUCTION_FIELDS", "BankPage"]

#: The deposit instructions, field by field: (label, attribute of BankDepositInstructions).
INSTRUCTION_FIELDS: tuple[tuple[str, str], ...] = (
    ("Bank", "bank_name"),
    ("Routing number", "routing_number"),
    ("Account number", "account_number"),
    ("Account holder", "account_holder_name"),
    ("Memo", "bank_memo"),
)


class BankPage(QWizardPage):
    def __init__(self, wiz: MoneyWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.flow = wiz.flow
        self.setTitle("Fund by bank transfer")
        self.setSubTitle(
            "The customer sends USD from their own bank to these details, by ACH or wire. "
            "Every deposit becomes USDC in the wallet, with no quote and no code."
        )
        self.setFinalPage(True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Close")
        lay = QVBoxLayout(self)
        self.banner = Banner()
        lay.addWidget(self.banner)

        self.state = QLabel()
        self.state.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.state, 1)
        self.create_button = QPushButton("Create bank account details")
        self.create_button.setAutoDefault(False)
        self.create_button.clicked.connect(self.create_account)
        row.addWidget(self.create_button)
        lay.addLayout(row)

        self.instructions = QGroupBox("Deposit instructions")
        form = QFormLayout(self.instructions)
        self.fields: dict[str, CopyableValue] = {}
        for label, attr in INSTRUCTION_FIELDS:
            value = CopyableValue()
            font = value.label.font()
            font.setPointSizeF(font.pointSizeF() * 1.5)
            font.setWeight(QFont.Weight.Bold)
            value.label.setFont(font)
            value.label.setAccessibleName(label)
            self.fields[attr] = value
            form.addRow(label, value)
        copy_row = QHBoxLayout()
        self.copy_all_button = QPushButton("Copy all")
        self.copy_all_button.setAutoDefault(False)
        theme.set_icon(self.copy_all_button, "copy")
        self.copy_all_button.clicked.connect(self.copy_all)
        copy_row.addWidget(self.copy_all_button)
        self.va_status = QLabel()
        copy_row.addWidget(self.va_status, 1)
        form.addRow(copy_row)
        lay.addWidget(self.instructions)

        fees_box = QGroupBox("Fees and timing")
        fl = QVBoxLayout(fees_box)
        fees = QLabel(
            "\n".join(r.text() for r in BANK_RAILS.values())
            + "\nThe customer's own bank may charge for sending."
        )
        fees.setWordWrap(True)
        self.fees = fees
        fl.addWidget(fees)
        lay.addWidget(fees_box)

        self.sim_box = QGroupBox("Simulate incoming ACH / wire (sandbox)")
        sf = QFormLayout(self.sim_box)
        rails, (self.sim_ach, self.sim_wire) = choice_row(self, "ACH", "Wire")
        sf.addRow("Rail", rails)
        self.sim_amount = MoneyField("usd")
        self.sim_amount.unit.setText("USD")
        self.sim_amount.set_text("100.00")
        sf.addRow("Amount", self.sim_amount)
        self.sim_estimate = QLabel()
        self.sim_estimate.setWordWrap(True)
        sf.addRow("Customer gets", self.sim_estimate)
        self.sim_button = QPushButton("Simulate incoming ACH")
        self.sim_button.setAutoDefault(False)
        self.sim_button.clicked.connect(self.simulate)
        self.sim_result = QLabel()
        self.sim_result.setWordWrap(True)
        sf.addRow(self.sim_button, self.sim_result)
        hint = QLabel("An amount of exactly 66.66 is reversed by the sending bank.")
        hint.setStyleSheet(theme.text_style("muted"))
        sf.addRow(hint)
        lay.addWidget(self.sim_box)
        for sig in (self.sim_amount.changed, self.sim_ach.toggled):
            sig.connect(self._sim_changed)

        self.deposits_box = QGroupBox("Deposits to this account")
        dl = QVBoxLayout(self.deposits_box)
        self.deposit_list = QListWidget()
        self.deposit_list.setWordWrap(True)
        self.deposit_list.setAlternatingRowColors(True)
        dl.addWidget(self.deposit_list)
        lay.addWidget(self.deposits_box, 1)
        self._render()

    # ---- the page ------------------------------------------------------------------
    _watching = ""  # the customer whose deposits this page asked the hub to watch

    def stop_timers(self) -> None:
        """The wizard closes (``MoneyWizard.done``): stop watching the deposits."""
        if self._watching:
            self.wiz.hub.unwatch_deposits(self._watching)
            self._watching = ""

    def nextId(self) -> int:
        return -1

    def isComplete(self) -> bool:
        return True

    def initializePage(self) -> None:
        wiz = self.wiz
        self.sim_box.setVisible(wiz.ctx.is_sandbox)
        wiz.link(wiz.hub.transactionChanged, self._on_txn)
        cid = self.flow.request.customer_id
        if cid != self._watching:
            self.stop_timers()
            wiz.hub.watch_deposits(cid)
            self._watching = cid
        if self.flow.va_lookup_needed():
            self.look_up()
        self._sim_changed()
        self._render()

    def look_up(self) -> None:
        flow = self.flow
        wallet = flow.va_looking()
        cid = flow.request.customer_id
        client = self.wiz.ctx.client

        async def run() -> list[Any]:
            return [v async for v in client.iter_virtual_accounts(cid)]

        def found(vas: list[Any]) -> None:
            if flow.va_listed(vas, wallet):
                self._render()
                self._catch_up()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, errors.NotFound):
                flow.va_unavailable(wallet)
                self._render()
            else:
                flow.va_state = "error"
                self.banner.show_message(
                    f"Could not load the bank account details: {explain_error(exc)}", "error"
                )
                self._render()

        self._render()
        Op(self.wiz.scope, run, name="virtual accounts").success(found).failure(failed).run()

    def create_account(self) -> None:
        flow = self.flow
        st = flow.request
        client = self.wiz.ctx.client
        key = new_idempotency_key()

        async def run() -> Any:
            return await client.create_virtual_account(
                st.customer_id, st.wallet_id, idempotency_key=key
            )

        def created(va: Any) -> None:
            flow.va_changed(va)
            self.banner.show_message(
                "Bank account details created: give them to the customer.", "success"
            )
            self._render()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, errors.NotFound):
                flow.va_unavailable(st.wallet_id)
                self._render()
                return
            self.banner.show_message(
                f"Could not create bank account details: {explain_error(exc)}", "error"
            )

        Op(self.wiz.scope, run, name="create virtual account").busy(self.create_button).success(
            created
        ).failure(failed).run()

    def copy_all(self) -> None:
        va = self.flow.virtual_account
        if va is None:
            return
        QGuiApplication.clipboard().setText(va.deposit_instructions.as_text())
        self.banner.show_message("Copied all deposit instructions.", "info")

    # ---- simulation (sandbox) --------------------------------------------------------
    @property
    def rail(self) -> str:
        return "ach_in" if self.sim_ach.isChecked() else "wire_in"

    def _sim_changed(self, *_: Any) -> None:
        name = BANK_RAILS[self.rail].name
        self.sim_button.setText(f"Simulate incoming {name if name == 'ACH' else 'wire'}")
        value = self.sim_amount.value()
        if value is None:
            self.sim_estimate.setText("—")
            return
        est = estimate_bank_deposit(value, self.rail)
        self.sim_estimate.setText(f"≈ {money(est.net_usdc, 'usdc')} (fee {money(est.fee, 'usd')})")

    def simulate(self) -> None:
        flow = self.flow
        try:
            amount, key = flow.simulate_deposit(self.sim_amount.text(), self.rail)
        except FlowError as exc:
            self.sim_result.setStyleSheet(theme.text_style("error"))
            self.sim_result.setText(str(exc))
            return
        va = flow.virtual_account
        rail = self.rail
        hub = self.wiz.hub
        client = self.wiz.ctx.client

        async def run() -> Any:
            return await client.sandbox_simulate_bank_deposit(
                va.id, amount, rail, idempotency_key=key
            )

        def sent(txn: Any) -> None:
            self.sim_result.setStyleSheet(theme.text_style("success"))
            self.sim_result.setText(
                f"{BANK_RAILS[rail].name} of {money(amount, 'usd')} sent by the customer's bank."
            )
            hub.deposit_started(txn, flow.request.customer_id)
            self._on_txn(txn)

        def refused(exc: BaseException) -> None:
            self.sim_result.setStyleSheet(theme.text_style("error"))
            self.sim_result.setText(explain_deposit_refusal(exc))

        Op(self.wiz.scope, run, name="simulate bank deposit").busy(self.sim_button).success(
            sent
        ).failure(refused).run()

    # ---- deposits ----------------------------------------------------------------------
    def _catch_up(self) -> None:
        """Deposits to this account the hub already knows (e.g. from the customer pane)."""
        for txn in list(self.wiz.hub.transactions.values()):
            self.flow.on_deposit(txn)
        self._render_deposits()

    def _on_txn(self, txn: Any) -> None:
        if self.flow.on_deposit(txn):
            self._render_deposits()

    def _render_deposits(self) -> None:
        deposits = sorted(
            self.flow.deposits.values(),
            key=lambda t: (t.created_at is not None, t.created_at, t.id),
            reverse=True,
        )
        self.deposit_list.clear()
        for t in deposits:
            self.deposit_list.addItem(deposit_summary(t))
        if not deposits:
            self.deposit_list.addItem("No deposit yet: it appears here as soon as it arrives.")

    def _render(self) -> None:
        flow = self.flow
        state = flow.va_state
        va = flow.virtual_account
        self.create_button.setVisible(state == "none")
        self.instructions.setVisible(va is not None)
        self.deposits_box.setVisible(va is not None)
        self.sim_box.setEnabled(va is not None)
        texts = {
            "looking": "Looking up the bank account details of this wallet…",
            "none": "This wallet has no bank account details yet. Create them once; the "
            "customer can then fund the wallet from their bank at any time.",
            "unavailable": early_access_text("virtualAccounts"),
            "error": "The bank account details could not be loaded.",
        }
        if va is not None:
            paused = not flow.va_active
            self.state.setText(
                f"Wallet {flow.request.wallet_id} receives bank deposits to these details."
                + (
                    " The account is PAUSED: deposits are refused until it is resumed."
                    if paused
                    else ""
                )
            )
            self.state.setStyleSheet(theme.text_style("warning") if paused else "")
            di = va.deposit_instructions
            for _label, attr in INSTRUCTION_FIELDS:
                self.fields[attr].set_value(getattr(di, attr) or "")
            self.va_status.setText(f"{va.id} · {va.status}")
            self._render_deposits()
        else:
            self.state.setText(texts.get(state, ""))
            self.state.setStyleSheet("")
