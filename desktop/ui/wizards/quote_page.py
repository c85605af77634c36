"""The shared quote page: creates the quote, shows every figure, counts down to expiry.

* ``isComplete()`` = a quote is present, time is left (monotonic deadline per D18) and,
  for 10,000 USDC or more, the operator typed the amount. ``completeChanged`` is emitted
  on arrival, on expiry and as the confirmation is typed; ``validatePage()`` re-checks.
* At expiry Next is disabled and "Get new quote" appears; the new quote is shown with
  what changed from the old one, side by side.
* When the server answers ``quote_expired`` at confirm, the status page brings the user
  back here (``expired_at_server``): a fresh quote is fetched and the change explained.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from desktop.display import delta, money, rate
from desktop.oms import errors
from desktop.ui.widgets.countdown import CountdownLabel
from desktop.ui.wizards.state import ConfirmState, FieldChange, diff_quotes, new_idempotency_key
from desktop.ui.wizards.timing import Deadline

_EMPTY = "—"


class QuotePage(QWizardPage):
    """Shared by the Send and Withdraw wizards. ``body_fn`` builds the POST /quotes body."""

    def __init__(self, body_fn: Callable[[], dict], *, action: str = "Send") -> None:
        super().__init__()
        self.body_fn = body_fn
        self.action = action
        self.setTitle("Review the quote")
        self.setSubTitle("Rates and fees are locked until the quote expires.")
        self.setButtonText(
            QWizard.WizardButton.NextButton,
            "Confirm and send" if action == "Send" else "Confirm withdrawal",
        )
        self.quote: Any = None
        self.previous_quote: Any = None
        self.deadline: Deadline | None = None
        self.loading = False
        self.error: BaseException | None = None
        self._body: dict | None = None
        self.confirm = ConfirmState()
        self.fetch_count = 0

        lay = QVBoxLayout(self)
        from desktop.ui.wizards.base import Banner

        self.banner = Banner()
        lay.addWidget(self.banner)

        top = QHBoxLayout()
        self.countdown = CountdownLabel("Quote expires in", expired_text="Quote expired")
        font = self.countdown.font()
        font.setPointSize(font.pointSize() + 3)
        self.countdown.setFont(font)
        top.addWidget(self.countdown, 1)
        self.new_quote_button = QPushButton("Get new quote")
        self.new_quote_button.clicked.connect(self.request_new_quote)
        self.new_quote_button.hide()
        top.addWidget(self.new_quote_button)
        lay.addLayout(top)

        sides = QHBoxLayout()
        self.source_box = QGroupBox("Customer pays")
        self.source_form = QFormLayout(self.source_box)
        self.dest_box = QGroupBox("Recipient gets")
        self.dest_form = QFormLayout(self.dest_box)
        sides.addWidget(self.source_box, 1)
        sides.addWidget(self.dest_box, 1)
        lay.addLayout(sides)
        self.fields: dict[str, QLabel] = {}
        for key, label in (
            ("src_gross", "Amount (gross)"),
            ("fee_oms", "OMS fee"),
            ("fee_gas", "Network gas"),
            ("fee_developer", "Developer fee"),
            ("fee_rail", "Bank rail fee"),
            ("fee_total", "Total fees"),
            ("src_net", "After fees (net)"),
        ):
            self.fields[key] = self._value_label()
            self.source_form.addRow(label, self.fields[key])
        for key, label in (
            ("dst_gross", "Amount (gross)"),
            ("dst_fees", "Fees on arrival"),
            ("dst_net", "Receives (net)"),
            ("rate_x", "Exchange rate"),
            ("rate_eff", "Effective rate"),
        ):
            self.fields[key] = self._value_label()
            self.dest_form.addRow(label, self.fields[key])
        self.fields["dst_to"] = QLabel(_EMPTY)
        self.fields["dst_to"].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields["dst_to"].setWordWrap(True)
        lay.addWidget(self.fields["dst_to"])
        self.fields["dst_net"].setStyleSheet("font-weight: bold;")
        self.fields["src_gross"].setStyleSheet("font-weight: bold;")

        self.changes = QLabel()
        self.changes.setWordWrap(True)
        self.changes.setTextFormat(Qt.TextFormat.RichText)
        self.changes.hide()
        lay.addWidget(self.changes)

        self.confirm_box = QGroupBox("Large amount: confirm by typing it")
        cform = QFormLayout(self.confirm_box)
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setAccessibleName("type amount to confirm")
        self.confirm_edit.textChanged.connect(self._on_confirm_text)
        self.confirm_hint = QLabel()
        cform.addRow(self.confirm_hint, self.confirm_edit)
        self.confirm_box.hide()
        lay.addWidget(self.confirm_box)
        lay.addStretch(1)

        self.countdown.expired.connect(self._on_expired)

    @staticmethod
    def _value_label() -> QLabel:
        lab = QLabel(_EMPTY)
        lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return lab

    # ---- wizard protocol --------------------------------------------------
    def initializePage(self) -> None:
        body = self.body_fn()
        if self.quote is not None and body == self._body and not self.is_expired():
            return  # coming back to a still-valid quote for the same request
        self.previous_quote = self.quote  # a re-quote shows what changed
        self.fetch(body)

    def cleanupPage(self) -> None:  # Back: the quote stays usable if we return unchanged
        self.banner.clear_message()

    def isComplete(self) -> bool:
        return (
            self.quote is not None
            and not self.loading
            and not self.is_expired()
            and self.confirm.check().ok
        )

    def validatePage(self) -> bool:
        self.countdown.refresh()  # re-check expiry now, not at the last tick
        if self.is_expired():
            self._on_expired()
            return False
        if not self.confirm.check().ok:
            self.banner.show_message(self.confirm.check().message, "warning")
            return False
        # One idempotency key per user-initiated confirm of this quote (D3).
        wiz = self.wizard()
        if getattr(wiz, "submit_key_for", None) != self.quote.id:
            wiz.submit_key = new_idempotency_key("txn")
            wiz.submit_key_for = self.quote.id
        return True

    def stop_timers(self) -> None:
        self.countdown.stop()

    # ---- quote handling ---------------------------------------------------
    def is_expired(self) -> bool:
        return self.deadline is None or self.deadline.expired()

    def request_new_quote(self) -> None:
        self.previous_quote = self.quote
        self.fetch(self.body_fn())

    def expired_at_server(self) -> None:
        """The server said quote_expired at confirm: fetch a fresh one and explain."""
        self.previous_quote = self.quote
        self.deadline = None
        self.fetch(
            self.body_fn(),
            note="The quote expired before it could be sent — nothing was sent. "
            "Here is a fresh quote; check the figures and confirm again.",
        )

    def fetch(self, body: dict, note: str = "") -> None:
        wiz = self.wizard()
        self.loading = True
        self.error = None
        self.new_quote_button.setEnabled(False)
        self.banner.show_message(note or "Getting a quote…", "warning" if note else "info")
        self.completeChanged.emit()

        async def run() -> None:
            try:
                quote = await wiz.ctx.client.create_quote(
                    body, idempotency_key=new_idempotency_key("qt")
                )
            except errors.OmsError as exc:  # (a cancelled wizard touches no widget)
                self._on_error(exc)
                return
            self.loading = False
            self.new_quote_button.setEnabled(True)
            self._body = body
            self.set_quote(quote, note=note)

        wiz.spawn(run(), name="create quote", on_error=self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        self.loading = False
        self.error = exc
        self.new_quote_button.setEnabled(True)
        self.new_quote_button.setText("Try again")
        self.new_quote_button.show()
        self.banner.show_message(explain_error(exc), "error")
        self.completeChanged.emit()

    def set_quote(self, quote: Any, note: str = "") -> None:
        self.quote = quote
        self.fetch_count += 1
        clock = self.wizard().ctx.clock
        received = quote.received_monotonic if quote.received_monotonic is not None else clock()
        if quote.expires_at is not None:
            self.deadline = Deadline.from_server(
                quote.expires_at, quote.server_date, received, clock, date_resolution=1.0
            )
        else:
            self.deadline = None
        self.render(quote)
        old = self.previous_quote
        changes = diff_quotes(old.raw, quote.raw) if old is not None else []
        self.show_changes(old, changes)
        if note:
            self.banner.show_message(note, "warning")
        else:
            self.banner.clear_message()
        self.new_quote_button.setText("Get new quote")
        self.new_quote_button.setVisible(False)
        gross = quote.source.amount_gross
        self.confirm = ConfirmState(amount=gross, typed=self.confirm_edit.text())
        self.confirm_box.setVisible(self.confirm.required)
        if self.confirm.required:
            self.confirm_hint.setText(
                f"Type {money(gross)} to confirm sending {money(gross, 'usdc')}:"
            )
        self.countdown.set_deadline(self.deadline)
        self.completeChanged.emit()

    def render(self, q: Any) -> None:
        s, d = q.source, q.destination
        sa, da = s.asset or "usdc", d.asset or ""
        f = self.fields
        f["src_gross"].setText(money(s.amount_gross, sa))
        f["fee_oms"].setText(money(s.fees.oms, sa))
        f["fee_gas"].setText(money(s.fees.gas, sa))
        f["fee_developer"].setText(money(s.fees.developer, sa))
        f["fee_rail"].setText(money(s.fees.rail, sa))
        f["fee_total"].setText(money(s.fees.total, sa))
        f["src_net"].setText(money(s.amount_net, sa))
        f["dst_gross"].setText(money(d.amount_gross, da))
        f["dst_fees"].setText(money(d.fees.total, da))
        f["dst_net"].setText(money(d.amount_net, da))
        f["dst_to"].setText(f"<b>To:</b> {escape(describe_destination(d))}")
        f["rate_x"].setText(rate(q.rates.exchange_rate))
        f["rate_eff"].setText(rate(q.rates.effective_rate))
        self.dest_box.setTitle(f"Recipient gets ({(d.network or '').upper()})")

    def show_changes(self, old: Any, changes: list[FieldChange]) -> None:
        if old is None:
            self.changes.hide()
            return
        if not changes:
            self.changes.setText("<b>New quote:</b> the figures are the same as before.")
            self.changes.show()
            return
        rows = "".join(
            f"<tr><td>{escape(c.label)}</td><td align='right'>{escape(money(c.old))}</td>"
            f"<td align='right'><b>{escape(money(c.new))}</b></td>"
            f"<td align='right'>{escape(delta(c.delta))}</td></tr>"
            for c in changes
        )
        self.changes.setText(
            "<b>What changed from the previous quote</b>"
            "<table cellspacing='6'><tr><th align='left'></th><th>Before</th><th>Now</th>"
            f"<th>Change</th></tr>{rows}</table>"
        )
        self.changes.show()

    def _on_confirm_text(self, text: str) -> None:
        self.confirm.typed = text
        self.completeChanged.emit()

    def _on_expired(self) -> None:
        self.new_quote_button.setText("Get new quote")
        self.new_quote_button.show()
        self.banner.show_message(
            "This quote has expired. Get a new quote to continue — nothing was sent.", "warning"
        )
        self.completeChanged.emit()


def describe_destination(d: Any) -> str:
    w = d.wallet
    if w is not None and w.id:
        return f"OMS wallet {w.id}"
    if w is not None and w.blockchain_address:
        return w.blockchain_address
    acc = (w.external_account_id if w is not None else None) or d.external_account_id
    if acc:
        bank = d.bank_details or {}
        masked = bank.get("accountNumber") or ""
        return f"Bank account {acc} {masked}".strip()
    return _EMPTY


#: What failures mean, in plain words (D10, D2).
PLAIN_ERRORS: dict[str, str] = {
    "blockchain_rejected": "The blockchain network rejected the transfer to this address, "
    "so nothing reached it.",
    "bank_returned": "The receiving bank returned the payment (for example a closed "
    "account or wrong account number).",
    "deposit_reversed": "The store reversed the cash deposit, so no USDC was credited.",
    "insufficient_funds": "The wallet does not hold enough USDC for this amount plus fees.",
    "limit_exceeded": "This would pass one of the customer's limits.",
    "quote_expired": "The quote expired before it was used; nothing was sent.",
    "endorsement_required": "The customer is not yet approved for this (an endorsement "
    "is missing).",
    "customer_inactive": "The customer's account is inactive.",
    "invalid_address": "The destination address is not valid.",
    "invalid_amount": "The amount is not valid for this asset (too small once fees are "
    "deducted, or too many decimal places).",
}


def explain_error(exc: BaseException | Any) -> str:
    code = getattr(exc, "code", None)
    plain = PLAIN_ERRORS.get(code or "")
    message = str(exc) if isinstance(exc, BaseException) else (getattr(exc, "message", "") or "")
    if isinstance(exc, errors.NetworkError):
        return f"Could not reach the payments service: {message}"
    if plain and message and message.rstrip(".") not in plain:
        return f"{plain} ({message.rstrip('.')}.)"
    return plain or message or "Something went wrong."
