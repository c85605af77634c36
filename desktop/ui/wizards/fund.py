"""Fund wallet (cash-in) wizard: wallet + expected amount → store → deposit code → status.

Limits ($20–$500 per deposit, rolling 24 h / 7 d / 30 d totals and counts, D11) are shown
and checked before any request. The cash-in is created through the outbox in the
application's scope; the code is shown large and copyable with a live 1-hour countdown
and "Refresh code" when it lapses. Against a sandbox profile, "Simulate cash deposit"
runs barcode-auth + auth-commit. The wizard then follows the cash-in and its
fiatToCrypto transaction to completion and shows the USDC credited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
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

from desktop.display import dollars, money
from desktop.oms import errors
from desktop.ui.widgets.copyable import CopyableValue
from desktop.ui.widgets.countdown import CountdownLabel
from desktop.ui.widgets.money_field import MoneyField
from desktop.ui.wizards.base import Banner, MoneyWizard
from desktop.ui.wizards.pickers import WalletPicker
from desktop.ui.wizards.quote_page import explain_error
from desktop.ui.wizards.state import (
    DEFAULT_CASH_IN_FEES,
    FundState,
    estimate_cash_in,
    new_idempotency_key,
)
from desktop.ui.wizards.status_page import Timeline
from desktop.ui.wizards.timing import Deadline
from desktop.ui.wizards.validators import (
    CASH_IN_WINDOWS,
    CashInRecord,
    check_cash_in_amount,
    check_cash_in_limits,
)
from desktop.ui.wizards.zip_centroids import lookup_zip


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
        self.history: list[CashInRecord] = []
        self.history_loaded_for: str | None = None
        self.setTitle("Fund a wallet with cash")
        self.setSubTitle("The customer hands cash to a store clerk with a deposit code.")
        lay = QVBoxLayout(self)
        self.picker = WalletPicker(wiz, label="Customer")
        lay.addWidget(self.picker)
        box = QGroupBox("Expected cash amount")
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
        self.limit_msg.setStyleSheet("color:#9b1c1c;")
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

    def _load_history(self) -> None:
        cid = self.picker.customer_id()
        if not cid or cid == self.history_loaded_for:
            return
        wiz = self.wiz

        async def run() -> None:
            since = _server_now(wiz.ctx.client) - timedelta(days=31)
            recs: list[CashInRecord] = []
            try:
                async for ci in wiz.ctx.client.iter_cash_ins(customer_id=cid, created_after=since):
                    amt = ci.source.amount or ci.source.indicated_amount or Decimal(0)
                    if ci.created_at:
                        recs.append(CashInRecord(ci.created_at, amt, str(ci.status)))
            except errors.OmsError as exc:
                # The server still enforces the limits (422 limit_exceeded, explained).
                self.history = []
                self.history_loaded_for = cid
                self._changed()
                self.usage.setText(
                    f"Could not load earlier deposits ({exc}); limits are checked by the server."
                )
                return
            self.history = recs
            self.history_loaded_for = cid
            self._changed()

        wiz.spawn(run(), name="cash-in history")

    def _changed(self, *_: Any) -> None:
        st = self.wiz.sync_state()
        amount = st.amount_check()
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
            if r.status not in ("expired", "failed") and r.created_at > now - timedelta(hours=24)
        ]
        self.usage.setText(
            f"last 24 h: {dollars(sum((r.amount for r in day), Decimal(0)))} "
            f"in {len(day)} deposit(s)"
            if self.history_loaded_for
            else "—"
        )
        st.limit_message = ""
        if amount and self.history_loaded_for:
            lim = check_cash_in_limits(amount.value, self.history, now)
            st.limit_message = "" if lim else lim.message
        self.limit_msg.setText(st.limit_message)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        st = self.wiz.sync_state()
        return (
            bool(st.wallet_id)
            and bool(st.amount_check())
            and self.history_loaded_for == st.customer_id
            and not self.limit_msg.text()
        )


class StorePage(QWizardPage):
    def __init__(self, wiz: FundWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.locations: list[Any] = []
        self.setTitle("Choose a store")
        self.setSubTitle("GreenDot stores near a US ZIP code (or coordinates).")
        # Next creates the cash-in: no way back to create a second one by accident.
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Create deposit code")
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.zip_edit = QLineEdit()
        self.zip_edit.setPlaceholderText("ZIP, e.g. 10001")
        self.zip_edit.setAccessibleName("zip code")
        self.coords = QLineEdit()
        self.coords.setPlaceholderText("or latitude, longitude")
        self.find_button = QPushButton("Find stores")
        self.find_button.clicked.connect(self.find)
        self.zip_edit.returnPressed.connect(self.find)
        row.addWidget(QLabel("ZIP"))
        row.addWidget(self.zip_edit)
        row.addWidget(self.coords, 1)
        row.addWidget(self.find_button)
        lay.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.list = QListWidget()
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.list.currentRowChanged.connect(self._picked)
        lay.addWidget(self.list, 1)

    def point(self) -> tuple[Decimal, Decimal, str] | None:
        text = self.coords.text().strip()
        if text:
            try:
                lat_s, lon_s = (p.strip() for p in text.split(","))
                lat, lon = Decimal(lat_s), Decimal(lon_s)
            except Exception:
                return None
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return lat, lon, f"{lat}, {lon}"
            return None
        return lookup_zip(self.zip_edit.text())

    def find(self) -> None:
        pt = self.point()
        if pt is None:
            self.message.setStyleSheet("color:#9b1c1c;")
            self.message.setText(
                "Unknown ZIP code (the demo knows major US cities, e.g. 10001, 94103, 60601) "
                "— or type coordinates as “lat, lon”."
            )
            return
        lat, lon, place = pt
        st = self.wiz.state
        st.latitude, st.longitude, st.zip_code = lat, lon, self.zip_edit.text().strip()
        self.message.setStyleSheet("")
        self.message.setText(f"Stores near {place}…")
        wiz = self.wiz

        async def run() -> None:
            try:
                page = await wiz.ctx.client.list_cash_locations(lat, lon, limit=12)
            except errors.OmsError as exc:
                self.message.setText(str(exc))
                return
            self.locations = list(page.data)
            self.list.clear()
            for loc in self.locations:
                item = QListWidgetItem(
                    f"{loc.distance} mi  ·  {loc.name}  —  "
                    f"{loc.address}, {loc.city}, {loc.state} {loc.zip_code}"
                )
                self.list.addItem(item)
            self.message.setText(f"{len(self.locations)} stores near {place}, nearest first.")
            if self.locations:
                self.list.setCurrentRow(0)

        wiz.spawn(run(), name="cash locations")

    def _picked(self, row: int) -> None:
        st = self.wiz.state
        if 0 <= row < len(self.locations):
            loc = self.locations[row]
            st.location_id = loc.id
            st.location_reference = loc.location_reference or ""
            st.location_label = f"{loc.name}, {loc.address}, {loc.city}, {loc.state}"
        else:
            st.location_id = st.location_reference = st.location_label = ""
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.wiz.sync_state().is_ready()


class CodePage(QWizardPage):
    """Creates the cash-in (once) and shows the deposit code with its countdown."""

    def __init__(self, wiz: FundWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.cash_in: Any = None
        self.key: str | None = None
        self._body: dict | None = None
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

    def initializePage(self) -> None:
        wiz = self.wiz
        wiz.link(wiz.hub.cashInChanged, self._on_cash_in)
        self.sim_box.setVisible(wiz.ctx.is_sandbox)
        body = wiz.state.cash_in_body()
        if self.cash_in is not None and self._body == body:
            return
        self._body = body
        self.key = new_idempotency_key("ci")
        self.sim_amount.set_text(body["source"]["indicatedAmount"])
        self.banner.show_message("Creating the deposit code…", "info")
        task = wiz.hub.submit_cash_in(body, self.key)

        async def wait() -> None:
            import asyncio

            try:
                ci = await asyncio.shield(task)
            except errors.OmsError as exc:
                self.banner.show_message(explain_error(exc), "error")
                return
            self._on_cash_in(ci)

        wiz.spawn(wait(), name="await cash-in")

    def isComplete(self) -> bool:
        return self.cash_in is not None and str(self.cash_in.status) in (
            "processing",
            "completed",
            "failed",
        )

    def stop_timers(self) -> None:
        self.countdown.stop()

    def _on_cash_in(self, ci: Any) -> None:
        if self.cash_in is not None and ci.id != self.cash_in.id:
            return
        if self.cash_in is None and self.key is None:
            return
        first = self.cash_in is None
        old_code = self.cash_in.deposit_instructions.code if self.cash_in else None
        self.cash_in = ci
        di = ci.deposit_instructions
        status = str(ci.status)
        if first:
            self.banner.clear_message()
        self.code.set_value(di.code or "")
        self.store.setText(
            f"<b>{di.location_name or ''}</b><br>{di.location_address or ''}"
            if di.location_name
            else self.wiz.state.location_label
        )
        entries = _schedule_entries(ci)
        est = ci.destination.amount_net
        self.details.setText(
            f"Cash-in {ci.id} · status {status}"
            f" · fee {describe_schedule(entries)} · estimated "
            f"{money(est, 'usdc') if est is not None else '—'}"
        )
        if status == "pending" and di.expires_at is not None:
            if first or di.code != old_code or self.countdown.deadline is None:
                server_date, mono = self.wiz.hub.code_stamps.get(
                    ci.id, (None, self.wiz.ctx.clock())
                )
                server_date = server_date or _server_now(self.wiz.ctx.client)
                self.countdown.set_deadline(
                    Deadline.from_server(
                        di.expires_at, server_date, mono, self.wiz.ctx.clock, date_resolution=1.0
                    )
                )
            self.refresh_button.setVisible(self.countdown.remaining() <= 0)
        elif status == "expired":
            self.countdown.stop()
            self.countdown.setText("Code expired")
            self.refresh_button.show()
        else:
            self.countdown.stop()
            self.countdown.setText(f"Deposit received: {status}")
            self.refresh_button.hide()
            self.sim_box.setEnabled(False)
        self.completeChanged.emit()
        if status in ("processing", "completed", "failed") and self.wiz.currentPage() is self:
            self.wiz.next()

    def _expired(self) -> None:
        self.refresh_button.show()
        self.banner.show_message(
            "The deposit code has lapsed. Refresh it to get a new code for the same cash-in.",
            "warning",
        )

    def refresh_code(self) -> None:
        ci = self.cash_in
        if ci is None:
            return
        wiz = self.wiz
        self.refresh_button.setEnabled(False)

        async def run() -> None:
            try:
                new = await wiz.ctx.client.refresh_cash_in(
                    ci.id, idempotency_key=new_idempotency_key("cir")
                )
            except errors.OmsError as exc:
                self.refresh_button.setEnabled(True)
                self.banner.show_message(explain_error(exc), "error")
                return
            self.refresh_button.setEnabled(True)
            wiz.hub.stamp(new.id)
            self.countdown.set_deadline(None)
            self.banner.show_message("New code issued.", "success")
            wiz.hub.publish_cash_in(new)

        wiz.spawn(run(), name="refresh code")

    def simulate(self) -> None:
        ci = self.cash_in
        amount = self.sim_amount.value()
        if ci is None or amount is None:
            self.sim_result.setText("Enter the cash amount.")
            return
        wiz = self.wiz
        self.sim_button.setEnabled(False)

        async def run() -> None:
            client = wiz.ctx.client
            try:
                auth = await client.sandbox_barcode_auth(
                    ci.deposit_instructions.code, format(amount, "f")
                )
                if auth.get("responseCode") != "00":
                    self.sim_result.setText(
                        f"Declined {auth.get('responseCode')}: {auth.get('responseText')}"
                    )
                    self.sim_button.setEnabled(True)
                    return
                await client.sandbox_auth_commit(auth["confirmationId"])
                self.sim_result.setText(
                    f"Approved: {dollars(auth.get('authorizedAmount'))} deposited."
                )
                wiz.hub.publish_cash_in(await client.get_cash_in(ci.id))
                wiz.hub.track_cash_in(ci.id)
            except errors.OmsError as exc:
                self.sim_result.setText(explain_error(exc))
            self.sim_button.setEnabled(True)

        wiz.spawn(run(), name="simulate deposit")


class FundStatusPage(QWizardPage):
    def __init__(self, wiz: FundWizard) -> None:
        super().__init__()
        self.wiz = wiz
        self.txn: Any = None
        self.setTitle("Status")
        self.setFinalPage(True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Close")
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
        self.problem.setStyleSheet("color:#9b1c1c;")
        self.form.addRow("Problem", self.problem)
        lay.addWidget(box)
        lay.addStretch(1)

    def initializePage(self) -> None:
        self.wiz.link(self.wiz.hub.cashInChanged, self._on_cash_in)
        self.wiz.link(self.wiz.hub.transactionChanged, self._on_txn)
        ci = self.wiz.code_page.cash_in
        if ci is not None:
            self._on_cash_in(ci)

    def isComplete(self) -> bool:
        return True

    def _on_cash_in(self, ci: Any) -> None:
        own = self.wiz.code_page.cash_in
        if own is None or ci.id != own.id:
            return
        self.ci_label.set_value(ci.id)
        if ci.transaction_id:
            self.txn_label.set_value(ci.transaction_id)
            known = self.wiz.hub.transactions.get(ci.transaction_id)
            if known is not None:
                self._on_txn(known)
        src = ci.source
        self.cash_label.setText(money(src.amount or src.indicated_amount, "usd"))
        if self.txn is None:
            status = str(ci.status)
            sub = {"processing": "fundsReceived", "completed": "settled"}.get(status)
            self.timeline.update_from("fiatToCrypto", status, sub)
            self._outcome(status, ci.destination, ci.error)

    def _on_txn(self, txn: Any) -> None:
        own = self.wiz.code_page.cash_in
        if own is None:
            return
        if txn.cash_in_id != own.id and txn.id != (own.transaction_id or ""):
            return
        self.txn = txn
        self.txn_label.set_value(txn.id)
        self.timeline.update_from("fiatToCrypto", str(txn.status), txn.sub_status)
        self.fee_label.setText(money(txn.source.fees.total, "usd"))
        self._outcome(str(txn.status), txn.destination, txn.error)

    def _outcome(self, status: str, dest: Any, error: Any) -> None:
        if status == "completed":
            self.headline.setText(f"Completed: {money(dest.amount_net, 'usdc')} credited.")
            self.headline.setStyleSheet("color:#057a55;")
            self.credit_label.setText(money(dest.amount_net, "usdc"))
        elif status == "failed":
            self.headline.setText("Failed — no USDC was credited.")
            self.headline.setStyleSheet("color:#9b1c1c;")
            self.problem.setText(explain_error(error) if error else "The deposit failed.")
        else:
            self.credit_label.setText(
                f"≈ {money(dest.amount_net, 'usdc')} (pending)" if dest.amount_net else "—"
            )
        self.form.setRowVisible(self.problem, status == "failed")


class FundWizard(MoneyWizard):
    def __init__(
        self,
        app_ctx: Any,
        customer_id: str = "",
        wallet_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(app_ctx, "Fund wallet with cash", parent)
        self.state = FundState()
        self.amount_page = AmountPage(self)
        self.store_page = StorePage(self)
        self.code_page = CodePage(self)
        self.status_page = FundStatusPage(self)
        for page in (self.amount_page, self.store_page, self.code_page, self.status_page):
            self.addPage(page)
        if customer_id:
            self.amount_page.picker.load(customer_id, select_wallet=wallet_id)

    def sync_state(self) -> FundState:
        st = self.state
        st.customer_id = self.amount_page.picker.customer_id()
        st.wallet_id = self.amount_page.picker.wallet_id()
        st.amount_text = self.amount_page.amount.text()
        return st
