"""Send USDC wizard: source wallet → destination + amount → quote → status.

The destination is another OMS wallet, a typed address, or one of the customer's saved
addresses picked by label (D23: the send then names the saved address itself). A typed
address that only resembles a saved one is named in a warning (address poisoning) and
needs the operator's confirmation. After a completed send to a new address the status
page offers to save it. Where the server has no saved addresses (early access, 404) the
wizard says so and sends to typed addresses as before.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from desktop.display import money
from desktop.flows.explain import explain_error
from desktop.flows.inbound import (
    SavedAddress,
    check_new_saved,
    early_access_text,
    lookalike_warning,
)
from desktop.flows.money_flow import MoneyFlow, Step
from desktop.oms import errors, new_idempotency_key
from desktop.ui import theme
from desktop.ui.op import Op
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
        self.setSubTitle(
            "An external Polygon address, a saved one picked by label, or another OMS wallet; "
            "and the amount."
        )
        lay = QVBoxLayout(self)
        kinds, (self.to_address, self.to_saved, self.to_wallet) = choice_row(
            self, "External address", "Saved address", "Another OMS wallet"
        )
        lay.addLayout(kinds)
        self.wiz = wiz
        self.saved_loaded_for: str | None = None
        self.address = AddressField()
        lay.addWidget(self.address)
        self.saved_combo = QComboBox()
        self.saved_combo.setAccessibleName("saved address")
        self.saved_combo.setObjectName("savedAddressPicker")
        self.saved_combo.hide()
        lay.addWidget(self.saved_combo)
        self.saved_note = QLabel("")
        self.saved_note.setWordWrap(True)
        self.saved_note.setStyleSheet(theme.text_style("muted"))
        lay.addWidget(self.saved_note)
        self.lookalike = QLabel("")
        self.lookalike.setWordWrap(True)
        self.lookalike.setObjectName("lookalikeWarning")
        bg, fg = theme.colors().warning
        self.lookalike.setStyleSheet(
            f"background: {bg}; color: {fg}; padding: 6px; border-radius: 4px;"
        )
        self.lookalike.hide()
        lay.addWidget(self.lookalike)
        self.lookalike_ok = QCheckBox(
            "I checked every character with the customer: send to this other address"
        )
        self.lookalike_ok.hide()
        lay.addWidget(self.lookalike_ok)
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
            self.to_saved.toggled,
            self.send_exactly.toggled,
            self.saved_combo.currentIndexChanged,
            self.lookalike_ok.toggled,
        ):
            sig.connect(self._changed)

    def initializePage(self) -> None:
        self.flow.step = Step.DETAILS
        bal = self.flow.request.source_balance
        self.balance_label.setText(money(bal, "usdc") if bal is not None else "unknown")
        if self.saved_loaded_for != self.flow.request.customer_id:
            self.load_saved()
        self._changed()

    # ---- saved addresses (D23) -------------------------------------------------------
    def load_saved(self) -> None:
        cid = self.flow.request.customer_id
        self.saved_loaded_for = cid
        client = self.wiz.ctx.client
        self.saved_note.setText("Loading saved addresses…")

        async def run() -> list:
            return [a async for a in client.iter_saved_addresses(cid)]

        def loaded(items: list) -> None:
            if cid != self.flow.request.customer_id:
                return
            self.flow.saved_listed([SavedAddress.of(a) for a in items])
            self._render_saved()

        def failed(exc: BaseException) -> None:
            if cid != self.flow.request.customer_id:
                return
            self.flow.saved_unavailable()
            self._render_saved(
                early_access_text("savedAddresses")
                if isinstance(exc, errors.NotFound)
                else f"Saved addresses could not be loaded: {explain_error(exc)}"
            )

        Op(self.wiz.scope, run, name="saved addresses").success(loaded).failure(failed).run()

    def _render_saved(self, problem: str = "") -> None:
        saved = self.flow.request.saved
        picked = self.flow.request.destination_saved_id
        self.saved_combo.blockSignals(True)
        self.saved_combo.clear()
        for s in saved:
            self.saved_combo.addItem(f"{s.label}  —  {s.address}", s.id)
        idx = self.saved_combo.findData(picked) if picked else (0 if saved else -1)
        self.saved_combo.setCurrentIndex(idx)
        self.saved_combo.blockSignals(False)
        self.to_saved.setEnabled(bool(saved))
        if problem:
            self.to_saved.setToolTip(problem)
            self.to_address.setChecked(True)
        self.saved_note.setText(
            problem
            or ("" if saved else "No saved address yet: after a send, the address can be saved.")
        )
        self._changed()

    def _changed(self, *_: Any) -> None:
        to_wallet = self.to_wallet.isChecked()
        to_saved = self.to_saved.isChecked()
        self.address.setVisible(not to_wallet and not to_saved)
        self.saved_combo.setVisible(to_saved)
        self.dest_picker.setVisible(to_wallet)
        flow = self.flow
        if self.send_exactly.isChecked():
            self.amount.set_maximum(flow.request.source_balance)
        else:
            self.amount.maximum = None
            self.amount.max_button.setEnabled(False)
        typed = self.address.text()
        if typed != flow.request.destination_address_text:
            self.lookalike_ok.setChecked(False)  # a confirmation is for one address
        flow.update(
            destination_kind="wallet" if to_wallet else "saved" if to_saved else "address",
            destination_wallet_id=self.dest_picker.wallet_id(),
            destination_address_text=typed,
            destination_saved_id=self.saved_combo.currentData() or "",
            lookalike_confirmed=self.lookalike_ok.isChecked(),
            amount_text=self.amount.text(),
            fixed_side="source" if self.send_exactly.isChecked() else "destination",
        )
        dest = flow.request.destination_check()
        shown = to_wallet and flow.request.destination_wallet_id
        self.problems.setText(dest.message if shown else "")
        similar = flow.request.poisoning()
        self.lookalike.setVisible(similar is not None)
        self.lookalike_ok.setVisible(similar is not None)
        if similar is not None:
            self.lookalike.setText(lookalike_warning(typed, similar))
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
        self.status_page = SendStatusPage(self)
        for page in (self.source_page, self.destination_page, self.quote_page, self.status_page):
            self.addPage(page)
        if customer_id:
            self.source_page.picker.load(customer_id, select_wallet=wallet_id)


class SaveAddressBox(QGroupBox):
    """Offered after a completed send to an address the customer has not saved (D23)."""

    def __init__(self, wiz: SendWizard) -> None:
        super().__init__("Save this address?")
        self.wiz = wiz
        self.flow = wiz.flow
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("Label, e.g. Cold wallet")
        self.label_edit.setAccessibleName("address label")
        self.label_edit.setMaxLength(64)
        row.addWidget(self.label_edit, 1)
        self.save_button = QPushButton("Save address")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        form.addRow("Label", row)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        form.addRow(self.result)
        self.hide()

    def refresh(self) -> None:
        if self.flow.offer_save():
            self.show()
        elif not self.result.text():
            self.hide()

    def save(self) -> None:
        st = self.flow.request
        check = check_new_saved(st.destination_address_text, self.label_edit.text(), st.saved)
        if not check:
            self.result.setStyleSheet(theme.text_style("error"))
            self.result.setText(check.message)
            return
        address, label = check.value
        cid = st.customer_id
        client = self.wiz.ctx.client
        key = new_idempotency_key()

        async def run() -> Any:
            return await client.create_saved_address(cid, address, label, idempotency_key=key)

        def saved(account: Any) -> None:
            entry = SavedAddress.of(account)
            self.flow.saved_added(entry)
            self.result.setStyleSheet(theme.text_style("success"))
            self.result.setText(f"Saved as “{entry.label}”: pick it by label next time.")
            self.label_edit.setEnabled(False)
            self.save_button.setEnabled(False)
            self.wiz.hub.saved_address_added(cid, entry.id, entry.label)

        def failed(exc: BaseException) -> None:
            self.result.setStyleSheet(theme.text_style("error"))
            if isinstance(exc, errors.NotFound):
                self.result.setText(early_access_text("savedAddresses"))
            else:
                self.result.setText(f"Not saved: {explain_error(exc)}")

        Op(self.wiz.scope, run, name="save address").busy(self.save_button).success(saved).failure(
            failed
        ).run()


class SendStatusPage(StatusPage):
    """The status page, with the offer to save a new address once the send completed."""

    def __init__(self, wiz: SendWizard) -> None:
        super().__init__(wiz)
        self.save_box = SaveAddressBox(wiz)
        lay = self.layout()
        lay.insertWidget(lay.count() - 1, self.save_box)

    def render(self, txn: Any) -> None:
        super().render(txn)
        saved = self.flow.request.saved_destination()
        if saved is not None:
            self.to_label.setText(f"{saved.label} — {saved.address}")
        self.save_box.refresh()
