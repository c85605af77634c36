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

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
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

from desktop.display import EMPTY, delta, money, rate
from desktop.flows.explain import describe_destination, explain_error
from desktop.flows.money_flow import FlowError, Kind, MoneyFlow, Step
from desktop.flows.state import FieldChange
from desktop.oms import new_idempotency_key
from desktop.ui.op import Op
from desktop.ui.widgets.countdown import CountdownLabel
from desktop.ui.wizards.base import Banner


class QuotePage(QWizardPage):
    """Shared by the Send and Withdraw wizards: renders the flow's quote and writes the
    operator's confirmation into it. The quote, its deadline and the submit key live in
    the :class:`MoneyFlow`, never on the page or the wizard."""

    def __init__(self, wiz: Any) -> None:
        super().__init__()
        self.wiz = wiz
        self.flow: MoneyFlow = wiz.flow
        flow = self.flow
        self.setTitle("Review the quote")
        self.setSubTitle("Rates and fees are locked until the quote expires.")
        self.setButtonText(
            QWizard.WizardButton.NextButton,
            "Confirm and &send" if flow.kind is Kind.SEND else "Confirm &withdrawal",
        )
        self.fetch_count = 0

        lay = QVBoxLayout(self)
        self.banner = Banner()
        lay.addWidget(self.banner)

        top = QHBoxLayout()
        self.countdown = CountdownLabel("Quote expires in", expired_text="Quote expired")
        font = self.countdown.font()
        font.setPointSize(font.pointSize() + 3)
        self.countdown.setFont(font)
        top.addWidget(self.countdown, 1)
        self.new_quote_button = QPushButton("&Get new quote")
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
        self.fields["dst_to"] = QLabel(EMPTY)
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
        self.countdown.setAccessibleName("Quote expiry")
        # Enter confirms whenever the quote is valid, wherever the focus is on this page.
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(self.confirm_by_enter)

    def confirm_by_enter(self) -> bool:
        wiz = self.wiz
        if wiz.currentPage() is not self or not self.isComplete():
            return False
        wiz.next()
        return True

    def first_field(self) -> Any:
        return self.confirm_edit if self.confirm_box.isVisible() else None

    @staticmethod
    def _value_label() -> QLabel:
        lab = QLabel(EMPTY)
        lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return lab

    # ---- wizard protocol --------------------------------------------------
    @property
    def quote(self) -> Any:
        return self.flow.quote

    def initializePage(self) -> None:
        self.flow.step = Step.REVIEW
        if self.flow.needs_quote():  # never a dead quote, nor one for another request
            self.fetch()

    def cleanupPage(self) -> None:  # Back: the quote stays usable if we return unchanged
        self.banner.clear_message()

    def isComplete(self) -> bool:
        return self.flow.can_confirm()

    def validatePage(self) -> bool:
        self.countdown.refresh()  # re-check expiry now, not at the last tick
        if not self.flow.quote_valid():
            self._on_expired()
            return False
        check = self.flow.confirmation().check()
        if not check.ok:
            self.banner.show_message(check.message, "warning")
            return False
        try:
            self.flow.confirm()  # one submit key per confirmed quote (D3)
        except FlowError as exc:
            self.banner.show_message(str(exc), "error")
            return False
        return True

    def stop_timers(self) -> None:
        self.countdown.stop()

    # ---- quote handling ---------------------------------------------------
    def is_expired(self) -> bool:
        return self.flow.deadline is None or self.flow.deadline.expired()

    def request_new_quote(self) -> None:
        self.fetch()

    def fetch(self) -> None:
        """Ask for a quote for the request as it stands (the flow ignores late answers)."""
        flow = self.flow
        note = flow.note
        body = flow.start_quote(note)
        flow.note = ""
        self.banner.show_message(note or "Getting a quote…", "warning" if note else "info")
        self.countdown.set_deadline(None)
        self.completeChanged.emit()
        client = self.wiz.ctx.client

        async def run() -> Any:
            return await client.create_quote(body, idempotency_key=new_idempotency_key())

        def arrived(quote: Any) -> None:
            if flow.quote_arrived(quote, body):
                self.set_quote(note)

        def failed(exc: BaseException) -> None:
            if flow.quote_failed(exc, body):
                self._on_error(exc)

        # Any error ends the wait ("Getting a quote…" must not stay), shown with Try again.
        # Busy shown, not blocking: a newer request (Back, edit, Next) must always start; the
        # flow ignores the answer to an older one.
        Op(self.wiz.scope, run, name="create quote").busy(
            self.new_quote_button.setDisabled
        ).success(arrived).failure(failed, catch=(Exception,)).run()

    def _on_error(self, exc: BaseException) -> None:
        self.new_quote_button.setText("&Try again")
        self.new_quote_button.show()
        self.banner.show_message(explain_error(exc), "error")
        self.completeChanged.emit()

    def set_quote(self, note: str = "") -> None:
        flow = self.flow
        quote = flow.quote
        self.fetch_count += 1
        self.render(quote)
        self.show_changes(flow.previous_quote, flow.changes() or [])
        if flow.deadline is None:
            self.banner.show_message(
                "The quote came without an expiry time, so it cannot be trusted. Get a new quote.",
                "error",
            )
        elif note:
            self.banner.show_message(note, "warning")
        else:
            self.banner.clear_message()
        self.new_quote_button.setText("&Get new quote")
        self.new_quote_button.setVisible(flow.deadline is None)
        confirm = flow.confirmation()
        gross = confirm.amount
        self.confirm_box.setVisible(confirm.required)
        if confirm.required:
            self.confirm_hint.setText(
                f"Type {money(gross)} to confirm sending {money(gross, 'usdc')}:"
            )
        self.countdown.set_deadline(flow.deadline)
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
        f["dst_to"].setText(f"<b>To:</b> {escape(self.destination_words(d))}")
        f["rate_x"].setText(rate(q.rates.exchange_rate))
        f["rate_eff"].setText(rate(q.rates.effective_rate))
        self.dest_box.setTitle(f"Recipient gets ({(d.network or '').upper()})")

    def destination_words(self, d: Any) -> str:
        """The destination with the owner's name from the hub's name cache (names, not ids)."""
        text = describe_destination(d)
        w = d.wallet
        if w is not None and w.id:
            named = self.wiz.hub.wallet_label(w.id)
            if named and named != w.id:
                text = f"OMS wallet of {named} ({w.id})"
        return text

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
        self.flow.confirm_typed = text
        self.completeChanged.emit()

    def _on_expired(self) -> None:
        self.new_quote_button.setText("&Get new quote")
        self.new_quote_button.show()
        self.banner.show_message(
            "This quote has expired. Get a new quote to continue — nothing was sent.", "warning"
        )
        self.completeChanged.emit()
