"""The shared status page: submit through the outbox, follow the transaction to the end.

The submission runs in the *application's* scope (``MoneyHub.submit_transaction``);
this page only waits for it (shielded), so closing the wizard neither cancels nor
repeats it. Updates arrive from the tracker through the hub's signals.
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop.display import money, status_words
from desktop.flows.explain import describe_destination, explain_error
from desktop.flows.money_flow import Kind, MoneyFlow, Outcome, Step
from desktop.flows.state import timeline_rows
from desktop.oms.models import TransactionStatus, TransactionType
from desktop.ui import theme
from desktop.ui.op import Op
from desktop.ui.widgets.copyable import CopyableValue
from desktop.ui.wizards.base import Banner

_ICONS = {"done": "✔", "current": "●", "todo": "○", "failed": "✘"}


def _step_colour(state: str) -> str:
    c = theme.colors()
    return {"done": c.success[1], "current": c.info[1], "todo": c.muted, "failed": c.error[1]}[
        state
    ]


class Timeline(QLabel):
    """Steps of a movement with ✔ / ● / ○ / ✘, from ``timeline_rows``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.rows: list[tuple[str, str]] = []

    def update_from(self, kind: Any, status: Any, sub_status: str | None) -> None:
        self.rows = timeline_rows(kind, status, sub_status)
        html = "".join(
            f"<div style='color:{_step_colour(s)}; margin:3px'>"
            f"<span style='font-size:14pt'>{_ICONS[s]}</span>&nbsp;&nbsp;{escape(label)}</div>"
            for label, s in self.rows
        )
        self.setText(html)


def _val(v: Any) -> str:
    return str(v) if v not in (None, "") else "—"


class StatusPage(QWizardPage):
    """Last page of Send and Withdraw. ``txn`` is the latest Transaction seen."""

    def __init__(self, wiz: Any) -> None:
        super().__init__()
        self.wiz = wiz
        self.flow: MoneyFlow = wiz.flow
        self.setTitle("Status")
        self.setFinalPage(True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Close")
        self._started_for: str | None = None

        lay = QVBoxLayout(self)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.headline = QLabel("Sending…")
        f = self.headline.font()
        f.setPointSize(f.pointSize() + 4)
        f.setBold(True)
        self.headline.setFont(f)
        self.headline.setWordWrap(True)
        lay.addWidget(self.headline)
        self.timeline = Timeline()
        lay.addWidget(self.timeline)

        self.outcome = QGroupBox("Details")
        self.form = QFormLayout(self.outcome)
        self.txn_label = CopyableValue()
        self.form.addRow("Transaction", self.txn_label)
        self.status_label = QLabel("—")
        self.form.addRow("Status", self.status_label)
        self.amount_label = QLabel("—")
        self.form.addRow("Amount", self.amount_label)
        self.to_label = QLabel("—")
        self.to_label.setWordWrap(True)
        self.to_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow("To", self.to_label)
        self.hash_label = CopyableValue()
        self.form.addRow("Tx hash", self.hash_label)
        self.bank_label = QLabel("—")
        self.bank_label.setWordWrap(True)
        self.form.addRow("Bank", self.bank_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(theme.text_style("error"))
        self.form.addRow("Problem", self.error_label)
        self.refund_label = QLabel()
        self.form.addRow("Refund", self.refund_label)
        lay.addWidget(self.outcome)
        self.back_button = QPushButton("Back to the quote")
        self.back_button.hide()
        self.back_button.clicked.connect(self._back_to_quote)
        lay.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addStretch(1)
        self._set_row_visible(self.hash_label, False)
        self._set_row_visible(self.bank_label, False)
        self._set_row_visible(self.error_label, False)
        self._set_row_visible(self.refund_label, False)

    def _set_row_visible(self, widget: QWidget, visible: bool) -> None:
        self.form.setRowVisible(widget, visible)

    # ---- wizard protocol --------------------------------------------------
    @property
    def txn(self) -> Any:
        return self.flow.txn

    def initializePage(self) -> None:
        wiz = self.wizard()
        flow = self.flow
        wiz.link(wiz.hub.transactionChanged, self._on_txn)
        key = flow.submit_key
        if key is None or self._started_for == key:
            return
        self._started_for = key
        self.banner.clear_message()
        self.back_button.hide()
        self.headline.setText("Sending…" if flow.kind is Kind.SEND else "Withdrawing…")
        self.timeline.update_from(_kind_of(flow.quote), TransactionStatus.PROCESSING, "submitted")
        # The submission lives in the application's scope: this page only waits for it
        # (shielded), so closing the wizard neither cancels nor repeats it.
        task = wiz.hub.submit_transaction(flow.quote.id, key)

        async def wait() -> Any:
            return await asyncio.shield(task)

        # Any error ends the wait: the flow decides what it means (never "sent" by mistake).
        Op(wiz.scope, wait(), name="await submission").success(self._on_txn).failure(
            self._failed, catch=(Exception,)
        ).run()

    def isComplete(self) -> bool:
        return True  # closing is always safe: the submission lives in the app's scope

    # ---- outcomes -----------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self._started_for = None
        self.flow.submission_failed(exc)
        if self.flow.step is Step.REVIEW:  # quote_expired: back to a fresh quote
            wiz = self.wizard()
            wiz.back()
            wiz.quote_page.fetch()
            return
        self.headline.setText("Not sent")
        self.banner.show_message(explain_error(exc), "error")
        self.back_button.show()

    def _back_to_quote(self) -> None:
        self.flow.back_to_review()
        wiz = self.wizard()
        wiz.back()
        wiz.quote_page.fetch()

    def _on_txn(self, seen: Any) -> None:
        if self.flow.on_transaction(seen) and self.flow.txn is not None:
            self.render(self.flow.txn)  # the flow keeps the latest; a late update is ignored

    def render(self, txn: Any) -> None:
        status = str(txn.status)
        self.timeline.update_from(txn.type, txn.status, txn.sub_status)
        self.txn_label.set_value(txn.id)
        self.status_label.setText(status_words(status, txn.sub_status))
        self.status_label.setAccessibleDescription(self.status_label.text())  # it changes
        s, d = txn.source, txn.destination
        self.amount_label.setText(
            f"{money(s.amount_gross, s.asset or 'usdc')} → {money(d.amount_net, d.asset or '')}"
        )
        self.to_label.setText(describe_destination(d))
        crypto = TransactionType.parse(txn.type) is TransactionType.CRYPTO_TO_CRYPTO
        if d.tx_hash:
            self.hash_label.set_value(d.tx_hash)
        self._set_row_visible(self.hash_label, bool(d.tx_hash))
        bank = d.bank_details or {}
        if bank and not crypto:
            self.bank_label.setText(
                " · ".join(
                    _val(bank.get(k))
                    for k in ("bankName", "accountHolderName", "routingNumber", "accountNumber")
                )
                + f" · {(d.network or '').upper()}"
            )
        self._set_row_visible(self.bank_label, bool(bank) and not crypto)
        outcome = self.flow.outcome
        failed = outcome is Outcome.FAILED
        if outcome is Outcome.COMPLETED:
            self.headline.setText(f"Completed: {money(d.amount_net, d.asset or '')} delivered.")
            self.headline.setStyleSheet(theme.text_style("success"))
        elif failed:
            self.headline.setText("Failed — the money was returned to the wallet.")
            self.headline.setStyleSheet(theme.text_style("error"))
            error = self.flow.error
            self.error_label.setText(explain_error(error) if error else "Failed.")
            self.refund_label.setText(
                f"{money(s.amount_gross, s.asset or 'usdc')} refunded to wallet "
                f"{s.wallet_id or ''}".strip()
            )
        else:
            self.headline.setText("In progress — you can close this window; it keeps going.")
            self.headline.setStyleSheet("")
        self._set_row_visible(self.error_label, failed)
        self._set_row_visible(self.refund_label, failed)


def _kind_of(quote: Any) -> TransactionType:
    kind = TransactionType.parse(getattr(quote, "type", None))
    return TransactionType.CRYPTO_TO_CRYPTO if kind is TransactionType.UNKNOWN else kind
