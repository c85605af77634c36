"""Customer + wallet picker used by every money wizard (loads through the wizard's scope)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop.display import money
from desktop.oms import errors
from desktop.ui import theme
from desktop.ui.op import Op

SUGGEST_MS = 250  # live results once typing pauses


class WalletPicker(QWidget):
    """Customer id → that customer's wallets with their balances."""

    changed = Signal()
    loaded = Signal()

    def __init__(self, wizard: Any, *, label: str = "Customer", parent: QWidget | None = None):
        super().__init__(parent)
        self.wizard = wizard
        self.customer: Any = None
        self.wallets: list[Any] = []
        self.balances: dict[str, Decimal | None] = {}
        self.loading = False
        self._generation = 0
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText("Name, email or cst_ id")
        self.customer_edit.setAccessibleName(f"{label}: name, email or id")
        # Live results as you type: names the desk knows, plus the server's email/id match.
        self.suggestions = QStringListModel(self)
        self.completer = QCompleter(self.suggestions, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated.connect(self._picked)
        self.customer_edit.setCompleter(self.completer)
        self._suggest_timer = QTimer(self)
        self._suggest_timer.setSingleShot(True)
        self._suggest_timer.setInterval(SUGGEST_MS)
        self._suggest_timer.timeout.connect(self._suggest)
        self.customer_edit.textEdited.connect(lambda _t: self._suggest_timer.start())
        self._ids: dict[str, str] = {}  # suggestion text → customer id
        row.addWidget(self.customer_edit, 1)
        self.load_button = QPushButton("&Load")
        self.load_button.clicked.connect(lambda: self.load(self.customer_edit.text()))
        row.addWidget(self.load_button)
        form.addRow(label, row)
        self.name_label = QLabel("")
        form.addRow("", self.name_label)
        self.combo = QComboBox()
        self.combo.setAccessibleName(f"{label} wallet")
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form.addRow("Wallet", self.combo)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.text_style("error"))
        form.addRow("", self.message)
        self.customer_edit.returnPressed.connect(lambda: self.load(self.customer_edit.text()))

    # ---- values -------------------------------------------------------------
    def customer_id(self) -> str:
        return self.customer.id if self.customer is not None else ""

    def wallet_id(self) -> str:
        w = self.combo.currentData()
        return w or ""

    def balance(self) -> Decimal | None:
        return self.balances.get(self.wallet_id())

    def wallet(self) -> Any:
        wid = self.wallet_id()
        return next((w for w in self.wallets if w.id == wid), None)

    # ---- search by name, email or id ------------------------------------------
    def _hub(self) -> Any:
        return getattr(self.wizard, "hub", None)

    def _entry(self, cid: str, name: str, email: str) -> str:
        text = " · ".join(x for x in (name, email, cid) if x)
        self._ids[text] = cid
        return text

    def local_matches(self, text: str, limit: int = 20) -> list[str]:
        """Customers the desk has seen whose name, email or id contains ``text``."""
        needle = text.strip().lower()
        hub = self._hub()
        if not needle or hub is None:
            return []
        out = []
        for cid, (name, email) in hub.names.items():
            if needle in name.lower() or needle in email.lower() or needle in cid.lower():
                out.append(self._entry(cid, name, email))
                if len(out) >= limit:
                    break
        return out

    def _suggest(self) -> None:
        text = self.customer_edit.text().strip()
        local = self.local_matches(text)
        self.suggestions.setStringList(local)
        if local and self.customer_edit.hasFocus():
            self.completer.complete()
        client = self.wizard.ctx.client
        if not text or not ("@" in text or text.lower().startswith("cst_")):
            return

        async def ask() -> list:
            if "@" in text:
                return list((await client.list_customers(email=text, limit=10)).data)
            try:
                return [await client.get_customer(text)]
            except errors.OmsError:
                return []

        def arrived(found: list) -> None:
            if self.customer_edit.text().strip() != text:
                return  # typing went on: a newer search follows
            hub = self._hub()
            extra = []
            for c in found:
                if hub is not None:
                    hub.publish_customer(c)
                extra.append(self._entry(c.id, c.display_name, c.email or ""))
            merged = list(dict.fromkeys([*self.local_matches(text), *extra]))
            self.suggestions.setStringList(merged)
            if merged and self.customer_edit.hasFocus():
                self.completer.complete()

        Op(self.wizard.scope, ask, name="customer search").success(arrived).failure(
            lambda _e: None, catch=(Exception,)
        ).run()

    def _picked(self, text: str) -> None:
        cid = self._ids.get(text)
        if cid:
            self.load(cid)

    def resolve(self, text: str) -> str:
        """A customer id from what was typed: an id, a picked suggestion, or the one
        known customer whose name or email matches (else the text, as typed)."""
        text = (text or "").strip()
        if text in self._ids:
            return self._ids[text]
        if text.lower().startswith("cst_"):
            return text
        hub = self._hub()
        if hub is not None and text:
            needle = text.lower()
            exact = [
                cid
                for cid, (name, email) in hub.names.items()
                if needle in (name.lower(), email.lower())
            ]
            if len(exact) == 1:
                return exact[0]
            loose = self.local_matches(text, limit=2)
            if len(loose) == 1:
                return self._ids[loose[0]]
        return text

    # ---- loading ------------------------------------------------------------
    def load(self, customer_id: str, select_wallet: str | None = None) -> None:
        customer_id = self.resolve(customer_id)
        self.customer_edit.setText(customer_id)
        if not customer_id:
            return
        self._generation += 1
        gen = self._generation
        self.loading = True
        self.message.setText("")
        self.name_label.setText("Loading…")
        self.changed.emit()
        client = self.wizard.ctx.client

        async def run() -> tuple[Any, list, dict]:
            customer = await client.get_customer(customer_id)
            page = await client.list_wallets(customer_id, limit=100)
            balances: dict[str, Decimal | None] = {}
            for w in page.data:
                try:
                    balances[w.id] = (await client.get_balance(w.id)).balance
                except errors.OmsError:  # one unknown balance does not hide the wallet
                    balances[w.id] = None
            return customer, list(page.data), balances

        def loaded(result: tuple[Any, list, dict]) -> None:
            hub = self._hub()
            if hub is not None:  # names and wallet owners for the quote page and views
                hub.publish_customer(result[0])
                for w in result[1]:
                    hub.publish_wallet(w)
            if gen == self._generation:  # a later load supersedes this one
                self._show(*result, select_wallet)

        def failed(exc: BaseException) -> None:
            if gen == self._generation:
                self._fail(str(exc))

        # Not busy-blocking: a later load (another customer id) supersedes this one.
        Op(self.wizard.scope, run, name="load wallets").success(loaded).failure(
            failed, catch=(Exception,)
        ).run()

    def _fail(self, text: str) -> None:
        self.loading = False
        self.customer = None
        self.wallets = []
        self.combo.clear()
        self.name_label.setText("")
        self.message.setText(text)
        self.changed.emit()
        self.loaded.emit()

    def _show(self, customer: Any, wallets: list, balances: dict, select: str | None) -> None:
        self.loading = False
        self.customer = customer
        self.wallets = wallets
        hub = getattr(self.wizard, "hub", None)
        if hub is not None:  # a fact learned here is the session's (names in notices)
            hub.publish_customer(customer)
        self.balances = balances
        self.name_label.setText(
            f"{customer.display_name} <{customer.email}>"
            if customer.email
            else customer.display_name
        )
        self.combo.blockSignals(True)
        self.combo.clear()
        for w in wallets:
            bal = balances.get(w.id)
            text = f"{w.id}  ·  {(w.asset or '').upper()} on {w.chain or ''}  ·  " + (
                money(bal, w.asset or "usdc") if bal is not None else "balance unknown"
            )
            self.combo.addItem(text, w.id)
        if select:
            idx = self.combo.findData(select)
            if idx >= 0:
                self.combo.setCurrentIndex(idx)
        self.combo.blockSignals(False)
        if not wallets:
            self.message.setText("This customer has no wallet yet.")
        self.changed.emit()
        self.loaded.emit()
