"""Receive USDC into a wallet (D22): a deposit address with its QR code and a copy button,
under the network warning "USDC on Polygon only".

The wallet's deposit address is looked up, or created when the operator asks. Transfers
to it are not started by the desk: the session's TransactionFeed finds them and the hub
publishes them, so they appear here (as "Receive", with the sender's address), in the
customer's transactions and on the Transactions tab. On a sandbox profile "Simulate
incoming USDC" plays the sender.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.display import money
from desktop.flows.explain import explain_error
from desktop.flows.inbound import deposit_summary, early_access_text, explain_deposit_refusal
from desktop.flows.validators import check_address
from desktop.oms import errors, new_idempotency_key
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.op import Op
from desktop.ui.widgets import mnemonics
from desktop.ui.widgets.copyable import CopyableValue
from desktop.ui.widgets.money_field import MoneyField
from desktop.ui.widgets.qr import QrWidget
from desktop.ui.wizards.base import Banner

__all__ = ["NETWORK_WARNING", "ReceiveDialog"]

NETWORK_WARNING = (
    "USDC on Polygon only. Any other token, or USDC sent on another network "
    "(Ethereum, Base, Tron…), does not arrive and cannot be recovered."
)


class ReceiveDialog(QDialog):
    def __init__(
        self,
        session: Any,
        customer_id: str,
        wallet_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.hub = session.hub
        self.customer_id = customer_id
        self.wallet_id = wallet_id
        self.scope = TaskScope("receive")
        self.deposit_address: Any = None
        self.state = "looking"  # looking, none, found, unavailable, error
        self.receives: dict[str, Any] = {}
        self.setWindowTitle("Receive USDC")
        self.resize(640, 640)
        lay = QVBoxLayout(self)
        head = QLabel(f"Receive USDC into wallet <b>{wallet_id}</b>")
        head.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(head)
        self.warning = QLabel(NETWORK_WARNING)
        self.warning.setWordWrap(True)
        self.warning.setObjectName("networkWarning")
        c = theme.colors()
        bg, fg = c.warning
        self.warning.setStyleSheet(
            f"background: {bg}; color: {fg}; padding: 8px; border-radius: 4px; font-weight: bold;"
        )
        lay.addWidget(self.warning)
        self.banner = Banner()
        lay.addWidget(self.banner)

        row = QHBoxLayout()
        self.message = QLabel("Looking up the wallet's deposit address…")
        self.message.setWordWrap(True)
        row.addWidget(self.message, 1)
        self.create_button = QPushButton("Create deposit address")
        self.create_button.setAutoDefault(False)
        self.create_button.clicked.connect(self.create_address)
        row.addWidget(self.create_button)
        lay.addLayout(row)

        self.address_box = QGroupBox("Deposit address")
        al = QHBoxLayout(self.address_box)
        self.qr = QrWidget("", size=180)
        al.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        self.address = CopyableValue()
        font = self.address.label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.Bold)
        self.address.label.setFont(font)
        self.address.label.setAccessibleName("deposit address")
        right.addWidget(self.address)
        self.address_note = QLabel()
        self.address_note.setWordWrap(True)
        self.address_note.setStyleSheet(theme.text_style("muted"))
        right.addWidget(self.address_note)
        right.addStretch(1)
        al.addLayout(right, 1)
        lay.addWidget(self.address_box)

        self.sim_box = QGroupBox("Simulate incoming USDC (sandbox)")
        sf = QFormLayout(self.sim_box)
        self.sim_amount = MoneyField("usdc")
        self.sim_amount.set_text("25.00")
        sf.addRow("Amount", self.sim_amount)
        self.sim_from = QLineEdit()
        self.sim_from.setPlaceholderText("sender's address (optional), 0x…")
        self.sim_from.setAccessibleName("sender address")
        sf.addRow("From", self.sim_from)
        self.sim_button = QPushButton("Simulate incoming USDC")
        self.sim_button.setAutoDefault(False)
        self.sim_button.clicked.connect(self.simulate)
        self.sim_result = QLabel()
        self.sim_result.setWordWrap(True)
        sf.addRow(self.sim_button, self.sim_result)
        lay.addWidget(self.sim_box)
        self.sim_box.setVisible(bool(session.is_sandbox))

        self.list_box = QGroupBox("Received at this address")
        ll = QVBoxLayout(self.list_box)
        self.receive_list = QListWidget()
        self.receive_list.setWordWrap(True)
        ll.addWidget(self.receive_list)
        lay.addWidget(self.list_box, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        mnemonics.assign(self)  # every button (issue 14)

        self.hub.transactionChanged.connect(self._on_txn)
        self.hub.watch_deposits(customer_id)
        self._watching = True
        self._render()
        self.look_up()

    # ---- lifecycle ---------------------------------------------------------------------
    def done(self, result: int) -> None:
        self.scope.cancel_all()
        if self._watching:
            self._watching = False
            self.hub.unwatch_deposits(self.customer_id)
        try:
            self.hub.transactionChanged.disconnect(self._on_txn)
        except (RuntimeError, TypeError):
            pass
        super().done(result)

    # ---- the deposit address -------------------------------------------------------------
    def look_up(self) -> None:
        client = self.session.client
        cid, wid = self.customer_id, self.wallet_id

        async def run() -> list[Any]:
            return [d async for d in client.iter_deposit_addresses(cid)]

        def found(das: list[Any]) -> None:
            mine = [d for d in das if d.wallet_id == wid and str(d.status) != "deleted"]
            self.deposit_address = mine[0] if mine else None
            self.state = "found" if mine else "none"
            self._render()
            for t in list(self.hub.transactions.values()):
                self._on_txn(t)

        Op(self.scope, run, name="deposit addresses").success(found).failure(self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, errors.NotFound):
            self.state = "unavailable"
        else:
            self.state = "error"
            self.banner.show_message(explain_error(exc), "error")
        self._render()

    def create_address(self) -> None:
        client = self.session.client
        key = new_idempotency_key()

        async def run() -> Any:
            return await client.create_deposit_address(
                self.customer_id, self.wallet_id, idempotency_key=key
            )

        def created(da: Any) -> None:
            self.deposit_address = da
            self.state = "found"
            self.banner.show_message("Deposit address created.", "success")
            self.hub.accountsChanged.emit(self.customer_id)
            self._render()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, errors.NotFound):
                self._failed(exc)
                return
            self.banner.show_message(
                f"Could not create a deposit address: {explain_error(exc)}", "error"
            )

        Op(self.scope, run, name="create deposit address").busy(self.create_button).success(
            created
        ).failure(failed).run()

    # ---- simulation (sandbox) ------------------------------------------------------------
    def simulate(self) -> None:
        da = self.deposit_address
        amount = self.sim_amount.value()
        sender = self.sim_from.text().strip()
        if da is None or amount is None:
            self.sim_result.setText("Enter the amount.")
            return
        if sender:
            check = check_address(sender)
            if not check:
                self.sim_result.setText(check.message)
                return
            sender = check.value
        client = self.session.client
        key = new_idempotency_key()

        async def run() -> Any:
            return await client.sandbox_simulate_crypto_deposit(
                da.id, amount, from_address=sender or None, idempotency_key=key
            )

        def sent(txn: Any) -> None:
            self.sim_result.setStyleSheet(theme.text_style("success"))
            self.sim_result.setText(f"{money(amount, 'usdc')} sent to the deposit address.")
            self.hub.deposit_started(txn, self.customer_id)
            self._on_txn(txn)

        def refused(exc: BaseException) -> None:
            self.sim_result.setStyleSheet(theme.text_style("error"))
            self.sim_result.setText(explain_deposit_refusal(exc))

        Op(self.scope, run, name="simulate USDC").busy(self.sim_button).success(sent).failure(
            refused
        ).run()

    # ---- receives ----------------------------------------------------------------------
    def _on_txn(self, txn: Any) -> None:
        da = self.deposit_address
        if da is None or getattr(txn, "deposit_address_id", None) != da.id:
            return
        known = self.receives.get(txn.id)
        if known is not None and known.is_terminal and not txn.is_terminal:
            return
        self.receives[txn.id] = txn
        self._render_receives()

    def _render_receives(self) -> None:
        self.receive_list.clear()
        items = sorted(
            self.receives.values(),
            key=lambda t: (t.created_at is not None, t.created_at, t.id),
            reverse=True,
        )
        for t in items:
            self.receive_list.addItem(deposit_summary(t))
        if not items:
            self.receive_list.addItem(
                "Nothing received yet: a transfer appears here as it arrives."
            )

    def _render(self) -> None:
        da = self.deposit_address
        texts = {
            "looking": "Looking up the wallet's deposit address…",
            "none": "This wallet has no deposit address yet. Create one to receive USDC "
            "from outside OMS.",
            "unavailable": early_access_text("depositAddresses"),
            "error": "The deposit address could not be loaded.",
            "found": "Give the customer this address (or let them scan the code).",
        }
        self.message.setText(texts.get(self.state, ""))
        self.create_button.setVisible(self.state == "none")
        self.address_box.setVisible(da is not None)
        self.list_box.setVisible(da is not None)
        self.sim_box.setEnabled(da is not None)
        if da is not None:
            self.address.set_value(da.address or "")
            self.qr.set_text(da.address or "")
            self.address_note.setText(
                f"{da.id} · {da.status} · credits wallet {da.wallet_id}. "
                "Each transfer arrives as its own “Receive”, without fees."
            )
            self._render_receives()
