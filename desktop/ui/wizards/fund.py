"""Fund wallet wizard: cash at a store (wallet + expected amount → store → deposit code →
status) or a bank transfer (wallet → the customer's virtual account, ``wizards.bank``).

Limits ($20–$500 per deposit, rolling 24 h / 7 d / 30 d totals and counts, D11) are shown
and checked before any request. The cash-in is created through the outbox in the
application's scope; the code is shown large and copyable with a live 1-hour countdown
and "Refresh code" when it lapses. Against a sandbox profile, "Simulate cash deposit"
runs barcode-auth + auth-commit. The wizard then follows the cash-in and its
fiatToCrypto transaction to completion and shows the USDC credited.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop.display import dollars, money, status_words
from desktop.flows.explain import explain_error
from desktop.flows.money_flow import MoneyFlow, Outcome, Step
from desktop.flows.state import DEFAULT_CASH_IN_FEES, estimate_cash_in
from desktop.flows.timing import Deadline
from desktop.flows.validators import (
    CASH_IN_WINDOWS,
    CashInRecord,
    check_cash_in_amount,
    check_cash_in_limits,
)
from desktop.flows.zips import customer_zip, lookup_zip
from desktop.oms import new_idempotency_key
from desktop.oms.models import CashInStatus, TransactionStatus, TransactionType
from desktop.ui import theme
from desktop.ui.op import Op
from desktop.ui.widgets.copyable import CopyableValue
from desktop.ui.widgets.countdown import CountdownLabel
from desktop.ui.widgets.money_field import MoneyField
from desktop.ui.wizards.bank import BankPage
from desktop.ui.wizards.base import Banner, MoneyWizard, choice_row
from desktop.ui.wizards.pickers import WalletPicker
from desktop.ui.wizards.status_page import Timeline


def _server_now(client: Any) -> datetime:
    offset = getattr(client, "server_time_offset", None) or timedelta(0)
    return datetime.now(UTC) + offset


def _schedule_entries(ci: Any) -> list[dict]:
    entries = []
    for e in getattr(getattr(ci, "fee_schedule", None), "entries", ()) or ():
        entries.append({"type": e.type, "rate": e.rate or "0", "amount": e.amount or "0"})
    return entries or list(DEFAULT_CASH_IN_FEES)


def describe_schedule(entries: list[dict]) -> str:
    parts = []
    for e in entries:
        if e.get("type") == "percentage":
            parts.append(f"{format((Decimal(str(e['rate'])) * 100).normalize(), 'f')} %")
        elif e.get("type") == "fixed":
            parts.append(dollars(e["amount"]))
    return " + ".join(parts) or "none"


class AmountPage(QWizardPage):
    def __init__(self, wiz: FundWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.flow = wiz.flow
        self.history: list[CashInRecord] = []
        self.history_loaded_for: str | None = None
        self.setTitle("Fund a wallet")
        self.setSubTitle("The customer hands cash to a store clerk with a deposit code.")
        lay = QVBoxLayout(self)
        methods, (self.cash_method, self.bank_method) = choice_row(
            self, "Cash at a store", "Bank transfer (ACH or wire)"
        )
        lay.addLayout(methods)
        self.bank_method.toggled.connect(self._method_changed)
        self.picker = WalletPicker(wiz, label="Customer")
        lay.addWidget(self.picker)
        box = self.cash_box = QGroupBox("Expected cash amount")
        form = QFormLayout(box)
        self.amount = MoneyField("usd")
        self.amount.unit.setText("USD")
        self.amount.set_text("100.00")
        self.amount.extra_check = lambda v: check_cash_in_amount(format(v, "f"))
        form.addRow("Amount", self.amount)
        self.limits = QLabel()
        self.limits.setWordWrap(True)
        form.addRow("Limits", self.limits)
        self.usage = QLabel()
        self.usage.setWordWrap(True)
        form.addRow("Used", self.usage)
        self.fees = QLabel()
        self.fees.setWordWrap(True)
        form.addRow("Fee", self.fees)
        self.estimate = QLabel()
        self.estimate.setStyleSheet("font-weight:bold;")
        form.addRow("Estimated USDC", self.estimate)
        self.limit_msg = QLabel()
        self.limit_msg.setWordWrap(True)
        self.limit_msg.setStyleSheet(theme.text_style("error"))
        form.addRow("", self.limit_msg)
        lay.addWidget(box)
        lay.addStretch(1)
        self.limits.setText(
            "$20.00–$500.00 per deposit; "
            + "; ".join(
                f"{lab}: {dollars(tot)} / {n} deposits" for lab, _, tot, n in CASH_IN_WINDOWS
            )
        )
        self.picker.changed.connect(self._changed)
        self.picker.loaded.connect(self._load_history)
        self.amount.changed.connect(self._changed)

    def initializePage(self) -> None:
        self.flow.step = Step.SOURCE

    def _method_changed(self, bank: bool) -> None:
        self.flow.choose_method("bank" if bank else "cash")
        self.cash_box.setVisible(not bank)
        self.setSubTitle(
            "The customer sends USD from their bank to account details of their own."
            if bank
            else "The customer hands cash to a store clerk with a deposit code."
        )
        self.completeChanged.emit()

    def nextId(self) -> int:
        if self.flow.is_bank:
            return self.wiz.pageIds()[-1]  # the bank page (added last)
        return super().nextId()

    def _load_history(self) -> None:
        cid = self.picker.customer_id()
        customer = self.picker.customer
        if customer is not None and not self.flow.request.zip_code:
            # The store search starts at the customer's own ZIP code.
            self.flow.update(zip_code=customer_zip(customer.raw))
        if not cid or cid == self.history_loaded_for:
            return
        client = self.wiz.ctx.client

        async def run() -> list[CashInRecord]:
            since = _server_now(client) - timedelta(days=31)
            recs: list[CashInRecord] = []
            async for ci in client.iter_cash_ins(customer_id=cid, created_after=since):
                amt = ci.source.amount or ci.source.indicated_amount or Decimal(0)
                if ci.created_at:
                    recs.append(CashInRecord(ci.created_at, amt, ci.status))
            return recs

        def loaded(recs: list[CashInRecord]) -> None:
            self.history = recs
            self.history_loaded_for = cid
            self._changed()

        def failed(exc: BaseException) -> None:
            # The server still enforces the limits (422 limit_exceeded, explained).
            self.history = []
            self.history_loaded_for = cid
            self._changed()
            self.usage.setText(
                f"Could not load earlier deposits ({exc}); limits are checked by the server."
            )

        Op(self.wiz.scope, run, name="cash-in history").success(loaded).failure(failed).run()

    def _changed(self, *_: Any) -> None:
        flow = self.flow
        flow.update(
            customer_id=self.picker.customer_id(),
            wallet_id=self.picker.wallet_id(),
            amount_text=self.amount.text(),
        )
        amount = flow.request.amount_check()
        entries = list(DEFAULT_CASH_IN_FEES)
        self.fees.setText(f"{describe_schedule(entries)} (OMS fee schedule)")
        if amount:
            est = estimate_cash_in(amount.value, entries)
            self.estimate.setText(
                f"≈ {money(est.net_usdc, 'usdc')} (fee {money(est.fee, 'usd')}); "
                "final figures depend on the cash actually handed over"
            )
        else:
            self.estimate.setText("—")
        now = _server_now(self.wiz.ctx.client)
        day = [
            r
            for r in self.history
            if CashInStatus.parse(r.status) not in (CashInStatus.EXPIRED, CashInStatus.FAILED)
            and r.created_at > now - timedelta(hours=24)
        ]
        self.usage.setText(
            f"last 24 h: {dollars(sum((r.amount for r in day), Decimal(0)))} "
            f"in {len(day)} deposit(s)"
            if self.history_loaded_for
            else "—"
        )
        limit = ""
        if amount and self.history_loaded_for:
            lim = check_cash_in_limits(amount.value, self.history, now)
            limit = "" if lim else lim.message
        flow.update(limit_message=limit)
        self.limit_msg.setText(limit)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        st = self.flow.request
        if self.flow.is_bank:
            return bool(st.wallet_id) and not self.picker.loading
        return (
            bool(st.wallet_id)
            and bool(st.amount_check())
            and self.history_loaded_for == st.customer_id
            and not st.limit_message
        )


class SearchEdit(QLineEdit):
    """A search box whose Enter only searches: the key stops here, so it never reaches
    the dialog's default button (which would issue a deposit code)."""

    search = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            self.search.emit()
            return
        super().keyPressEvent(event)


class StorePage(QWizardPage):
    """Stores near a ZIP code. A code is issued only by the explicit "Get code at {store}"
    button, for a store picked from the list found for the ZIP now in the box."""

    def __init__(self, wiz: FundWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.flow = wiz.flow
        self.setTitle("Choose a store")
        self.setSubTitle("GreenDot stores near a US ZIP code (or coordinates).")
        # The code button creates the cash-in: no way back to create a second one by accident.
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Choose a &store")
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.zip_edit = SearchEdit()
        self.zip_edit.setPlaceholderText("ZIP, e.g. 95814")
        self.zip_edit.setAccessibleName("zip code")
        self.coords = SearchEdit()
        self.coords.setPlaceholderText("or latitude, longitude")
        self.coords.setAccessibleName("coordinates")
        self.find_button = QPushButton("F&ind stores")
        self.find_button.setAutoDefault(False)
        self.find_button.clicked.connect(self.find)
        self.zip_edit.search.connect(self.find)
        self.coords.search.connect(self.find)
        self.zip_edit.textEdited.connect(self._search_edited)
        self.coords.textEdited.connect(self._search_edited)
        row.addWidget(QLabel("ZIP"))
        row.addWidget(self.zip_edit)
        row.addWidget(self.coords, 1)
        row.addWidget(self.find_button)
        lay.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.list = QListWidget()
        self.list.setAccessibleName("stores found")
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.list.currentRowChanged.connect(self._picked)
        lay.addWidget(self.list, 1)

    @property
    def locations(self) -> list[Any]:
        return self.flow.stores

    def initializePage(self) -> None:
        self.flow.step = Step.DETAILS
        # Enter anywhere on this page must not press "Get code": no default button here.
        self.wizard().setOption(QWizard.WizardOption.NoDefaultButton, True)
        if not self.zip_edit.text() and self.flow.request.zip_code:
            self.zip_edit.setText(self.flow.request.zip_code)  # from the customer's address
            self._search_edited()
            self.find()
        self._update_button()

    def cleanupPage(self) -> None:
        self.wizard().setOption(QWizard.WizardOption.NoDefaultButton, False)

    def search_text(self) -> str:
        return f"{self.zip_edit.text().strip()}|{self.coords.text().strip()}"

    def _search_edited(self, *_: Any) -> None:
        """Another place: the stores (and the store picked) were for the old one."""
        self.flow.update(zip_code=self.zip_edit.text().strip())
        self.flow.search_changed()
        self.list.blockSignals(True)
        self.list.clear()
        self.list.blockSignals(False)
        self.message.setText("")
        self._update_button()

    def point(self) -> tuple[Decimal, Decimal, str] | None:
        text = self.coords.text().strip()
        if text:
            try:
                lat_s, lon_s = (p.strip() for p in text.split(","))
                lat, lon = Decimal(lat_s), Decimal(lon_s)
            except (ValueError, ArithmeticError):
                return None
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return lat, lon, f"{lat}, {lon}"
            return None
        return lookup_zip(self.zip_edit.text())

    def find(self) -> None:
        """Search only: never issues a code."""
        pt = self.point()
        if pt is None:
            self.message.setStyleSheet(theme.text_style("error"))
            self.message.setText(
                "Not a US ZIP code — type 5 digits (e.g. 95814), or coordinates as “lat, lon”."
            )
            return
        lat, lon, place = pt
        st = self.flow.request
        st.latitude, st.longitude = lat, lon
        self.message.setStyleSheet("")
        self.message.setText(f"Stores near {place}…")
        searched = self.search_text()
        client = self.wiz.ctx.client

        async def run() -> Any:
            return await client.list_cash_locations(lat, lon, limit=12)

        def found(page: Any) -> None:
            if not self.flow.stores_found(list(page.data), searched, self.search_text()):
                return  # the box says something else now: this list is for another place
            self.list.blockSignals(True)
            self.list.clear()
            for loc in self.flow.stores:
                self.list.addItem(
                    QListWidgetItem(
                        f"{loc.distance} mi  ·  {loc.name}  —  "
                        f"{loc.address}, {loc.city}, {loc.state} {loc.zip_code}"
                    )
                )
            self.list.setCurrentRow(-1)
            self.list.blockSignals(False)
            count = len(self.flow.stores)
            self.message.setText(
                f"{count} stores near {place}, nearest first. Pick the customer's store."
                if count
                else f"No store near {place}."
            )
            self._update_button()

        def failed(exc: BaseException) -> None:
            self.message.setStyleSheet(theme.text_style("error"))
            self.message.setText(explain_error(exc))

        Op(self.wiz.scope, run, name="cash locations").busy(self._searching).success(found).failure(
            failed
        ).run()

    def _searching(self, on: bool) -> None:
        # Shown, not blocking: a newer search may start; the flow ignores the older answer.
        self.find_button.setText("Search&ing…" if on else "F&ind stores")

    def _picked(self, row: int) -> None:
        self.flow.choose_store(row)
        self._update_button()

    def _update_button(self) -> None:
        name = self.flow.store_name
        self.setButtonText(
            QWizard.WizardButton.CommitButton,
            f"&Get code at {name}" if name else "Choose a &store",
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.flow.can_request_code()


class CodePage(QWizardPage):
    """Creates the cash-in (once) and shows the deposit code with its countdown."""

    def __init__(self, wiz: FundWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.flow = wiz.flow
        self.setTitle("Deposit code")
        self.setSubTitle("The customer shows this code at the store and hands over the cash.")
        lay = QVBoxLayout(self)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.code = CopyableValue(big=True)
        self.code.label.setAccessibleName("deposit code")
        lay.addWidget(self.code)
        self.countdown = CountdownLabel("Code valid for", expired_text="Code expired")
        f = self.countdown.font()
        f.setPointSize(f.pointSize() + 3)
        self.countdown.setFont(f)
        row = QHBoxLayout()
        row.addWidget(self.countdown, 1)
        self.refresh_button = QPushButton("Refresh code")
        self.refresh_button.clicked.connect(self.refresh_code)
        self.refresh_button.hide()
        row.addWidget(self.refresh_button)
        lay.addLayout(row)
        self.store = QLabel()
        self.store.setWordWrap(True)
        self.store.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.store.setAccessibleName("Store and address")
        lay.addWidget(self.store)
        self.details = QLabel()
        self.details.setWordWrap(True)
        lay.addWidget(self.details)

        self.sim_box = QGroupBox("Simulate cash deposit (sandbox)")
        sf = QFormLayout(self.sim_box)
        self.sim_amount = MoneyField("usd")
        self.sim_amount.unit.setText("USD")
        sf.addRow("Cash handed over", self.sim_amount)
        self.sim_button = QPushButton("Simulate cash deposit")
        self.sim_button.clicked.connect(self.simulate)
        self.sim_result = QLabel()
        self.sim_result.setWordWrap(True)
        sf.addRow(self.sim_button, self.sim_result)
        lay.addWidget(self.sim_box)
        lay.addStretch(1)
        self.countdown.expired.connect(self._expired)

    @property
    def cash_in(self) -> Any:
        return self.flow.cash_in

    def initializePage(self) -> None:
        wiz = self.wiz
        wiz.setOption(QWizard.WizardOption.NoDefaultButton, False)
        wiz.link(wiz.hub.cashInChanged, self._on_cash_in)
        self.sim_box.setVisible(wiz.ctx.is_sandbox)
        if self.flow.cash_in is not None:
            return  # one cash-in per wizard (the store page is a commit page)
        body, key = self.flow.request_code()
        self.sim_amount.set_text(body["source"]["indicatedAmount"])
        self.banner.show_message("Creating the deposit code…", "info")
        # Created in the application's scope through the outbox; this page only waits.
        task = wiz.hub.submit_cash_in(body, key)

        async def wait() -> Any:
            return await asyncio.shield(task)

        def refused(exc: BaseException) -> None:
            self.flow.cash_in_refused(exc)
            self.banner.show_message(explain_error(exc), "error")

        # Any error ends the wait (the page must not stay on "Creating…"); a bug is shown too.
        Op(wiz.scope, wait(), name="await cash-in").success(self._on_cash_in).failure(
            refused, catch=(Exception,)
        ).run()

    def isComplete(self) -> bool:
        return self.flow.cash_received()

    def stop_timers(self) -> None:
        self.countdown.stop()

    def _on_cash_in(self, ci: Any) -> None:
        flow = self.flow
        before = flow.cash_in
        if not flow.on_cash_in(ci):
            return
        first = before is None
        old_code = before.deposit_instructions.code if before is not None else None
        di = ci.deposit_instructions
        status = CashInStatus.parse(ci.status)
        if first:
            self.banner.clear_message()
        self.code.set_value(di.code or "")
        self.store.setText(
            f"<b>{di.location_name or ''}</b><br>{di.location_address or ''}"
            if di.location_name
            else flow.request.location_label
        )
        entries = _schedule_entries(ci)
        est = ci.destination.amount_net
        self.details.setText(
            f"Cash-in {ci.id} · {status_words(status.value)}"
            f" · fee {describe_schedule(entries)} · estimated {money(est, 'usdc')}"
        )
        if status is CashInStatus.PENDING and di.expires_at is not None:
            if first or di.code != old_code or self.countdown.deadline is None:
                clock = self.wiz.ctx.clock
                server_date, mono = self.wiz.hub.code_stamps.get(ci.id, (None, clock()))
                server_date = server_date or _server_now(self.wiz.ctx.client)
                self.countdown.set_deadline(
                    Deadline.from_server(
                        di.expires_at, server_date, mono, clock, date_resolution=1.0
                    )
                )
            self.refresh_button.setVisible(self.countdown.remaining() <= 0)
        elif status is CashInStatus.EXPIRED:
            self.countdown.stop()
            self.countdown.setText("Code expired")
            self.refresh_button.show()
        else:
            self.countdown.stop()
            self.countdown.setText(f"Deposit received: {status_words(status.value).lower()}")
            self.refresh_button.hide()
            self.sim_box.setEnabled(False)
        self.completeChanged.emit()
        if flow.cash_received() and self.wiz.currentPage() is self:
            self.wiz.next()

    def _expired(self) -> None:
        self.refresh_button.show()
        self.banner.show_message(
            "The deposit code has lapsed. Refresh it to get a new code for the same cash-in.",
            "warning",
        )

    def refresh_code(self) -> None:
        ci = self.flow.cash_in
        if ci is None:
            return
        wiz = self.wiz

        async def run() -> Any:
            return await wiz.ctx.client.refresh_cash_in(
                ci.id, idempotency_key=new_idempotency_key()
            )

        def refreshed(new: Any) -> None:
            wiz.hub.stamp(new.id)
            self.countdown.set_deadline(None)
            self.banner.show_message("New code issued.", "success")
            wiz.hub.publish_cash_in(new)

        def failed(exc: BaseException) -> None:
            self.banner.show_message(explain_error(exc), "error")

        Op(wiz.scope, run, name="refresh code").busy(self.refresh_button).success(
            refreshed
        ).failure(failed).run()

    def simulate(self) -> None:
        ci = self.flow.cash_in
        amount = self.sim_amount.value()
        if ci is None or amount is None:
            self.sim_result.setText("Enter the cash amount.")
            return
        wiz = self.wiz
        client = wiz.ctx.client

        async def run() -> tuple[dict, Any]:
            auth = await client.sandbox_barcode_auth(
                ci.deposit_instructions.code, format(amount, "f")
            )
            if auth.get("responseCode") != "00":
                return auth, None
            await client.sandbox_auth_commit(auth["confirmationId"])
            return auth, await client.get_cash_in(ci.id)

        def done(result: tuple[dict, Any]) -> None:
            auth, fresh = result
            if fresh is None:
                self.sim_result.setText(
                    f"Declined {auth.get('responseCode')}: {auth.get('responseText')}"
                )
                return
            self.sim_result.setText(f"Approved: {dollars(auth.get('authorizedAmount'))} deposited.")
            wiz.hub.publish_cash_in(fresh)
            wiz.hub.track_cash_in(ci.id)

        def failed(exc: BaseException) -> None:
            self.sim_result.setText(explain_error(exc))

        Op(wiz.scope, run, name="simulate deposit").busy(self.sim_button).success(done).failure(
            failed
        ).run()


class FundStatusPage(QWizardPage):
    def __init__(self, wiz: FundWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.flow = wiz.flow
        self.setTitle("Status")
        self.setFinalPage(True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Close")
        lay = QVBoxLayout(self)
        self.headline = QLabel("Cash received — converting to USDC…")
        f = self.headline.font()
        f.setPointSize(f.pointSize() + 4)
        f.setBold(True)
        self.headline.setFont(f)
        self.headline.setWordWrap(True)
        lay.addWidget(self.headline)
        self.timeline = Timeline()
        lay.addWidget(self.timeline)
        box = QGroupBox("Details")
        self.form = QFormLayout(box)
        self.ci_label = CopyableValue()
        self.form.addRow("Cash-in", self.ci_label)
        self.txn_label = CopyableValue()
        self.form.addRow("Transaction", self.txn_label)
        self.cash_label = QLabel("—")
        self.form.addRow("Cash deposited", self.cash_label)
        self.fee_label = QLabel("—")
        self.form.addRow("Fees", self.fee_label)
        self.credit_label = QLabel("—")
        self.credit_label.setStyleSheet("font-weight:bold;")
        self.form.addRow("USDC credited", self.credit_label)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(theme.text_style("error"))
        self.form.addRow("Problem", self.problem)
        lay.addWidget(box)
        lay.addStretch(1)

    @property
    def txn(self) -> Any:
        return self.flow.txn

    def nextId(self) -> int:
        return -1  # the bank page comes after it in order, never after it in a flow

    def initializePage(self) -> None:
        self.flow.step = Step.STATUS
        self.wiz.link(self.wiz.hub.cashInChanged, self._on_cash_in)
        self.wiz.link(self.wiz.hub.transactionChanged, self._on_txn)
        ci = self.flow.cash_in
        if ci is not None:
            self._on_cash_in(ci)

    def isComplete(self) -> bool:
        return True

    def _on_cash_in(self, ci: Any) -> None:
        flow = self.flow
        if flow.cash_in is None or ci.id != flow.cash_in.id:
            return
        if flow.txn is None:
            flow.on_cash_in(ci)
        self.ci_label.set_value(ci.id)
        if ci.transaction_id:
            self.txn_label.set_value(ci.transaction_id)
            known = self.wiz.hub.transactions.get(ci.transaction_id)
            if known is not None:
                self._on_txn(known)
        src = ci.source
        self.cash_label.setText(money(src.amount or src.indicated_amount, "usd"))
        if flow.txn is None:
            status = CashInStatus.parse(ci.status)
            sub = {CashInStatus.PROCESSING: "fundsReceived", CashInStatus.COMPLETED: "settled"}
            # The cash-in's status mapped onto its transaction's timeline (D10, D11).
            txn_status = {
                CashInStatus.COMPLETED: TransactionStatus.COMPLETED,
                CashInStatus.FAILED: TransactionStatus.FAILED,
            }.get(status, TransactionStatus.PROCESSING)
            self.timeline.update_from(TransactionType.FIAT_TO_CRYPTO, txn_status, sub.get(status))
            self._outcome(ci.destination)

    def _on_txn(self, seen: Any) -> None:
        if not self.flow.on_transaction(seen):
            return
        txn = self.flow.txn  # a late, older update leaves the flow's latest in place
        if txn is None:
            return
        self.txn_label.set_value(txn.id)
        self.timeline.update_from(TransactionType.FIAT_TO_CRYPTO, txn.status, txn.sub_status)
        self.fee_label.setText(money(txn.source.fees.total, "usd"))
        self._outcome(txn.destination)

    def _outcome(self, dest: Any) -> None:
        outcome, error = self.flow.outcome, self.flow.error
        if outcome is Outcome.COMPLETED:
            self.headline.setText(f"Completed: {money(dest.amount_net, 'usdc')} credited.")
            self.headline.setStyleSheet(theme.text_style("success"))
            self.credit_label.setText(money(dest.amount_net, "usdc"))
        elif outcome is Outcome.FAILED:
            self.headline.setText("Failed — no USDC was credited.")
            self.headline.setStyleSheet(theme.text_style("error"))
            self.problem.setText(explain_error(error) if error else "The deposit failed.")
        else:
            self.credit_label.setText(
                f"≈ {money(dest.amount_net, 'usdc')} (pending)" if dest.amount_net else "—"
            )
        self.form.setRowVisible(self.problem, outcome is Outcome.FAILED)


class FundWizard(MoneyWizard):
    def __init__(
        self,
        app_ctx: Any,
        customer_id: str = "",
        wallet_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(app_ctx, "Fund wallet", MoneyFlow.fund, parent)
        self.amount_page = AmountPage(self)
        self.store_page = StorePage(self)
        self.code_page = CodePage(self)
        self.status_page = FundStatusPage(self)
        self.bank_page = BankPage(self)  # bank transfer (D22): reached from the first page
        for page in (
            self.amount_page,
            self.store_page,
            self.code_page,
            self.status_page,
            self.bank_page,
        ):
            self.addPage(page)
        if customer_id:
            self.amount_page.picker.load(customer_id, select_wallet=wallet_id)
