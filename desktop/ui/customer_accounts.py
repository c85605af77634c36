"""The customer pane's inbound accounts (D22, D23): the customer's virtual accounts for
bank funding, with their status and pause / resume, the deposit addresses that receive USDC
into the customer's wallets, and the customer's saved addresses with their labels and the
date each was added.

Loaded through ``Op`` in the widget's own scope; a change made anywhere (a wizard created
an account or saved an address) arrives as the hub's ``accountsChanged``. Showing a
customer also asks the hub to watch the customer's deposits, so money arriving by itself
appears in the customer's transactions. Against a server without these early-access
resources (404) the pane says so and nothing else changes (D12).
"""

from __future__ import annotations

from html import escape as _esc
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.display import when
from desktop.flows.inbound import SavedAddress, early_access_text
from desktop.flows.story import bank_words, short_address
from desktop.oms import errors
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.op import Op
from desktop.ui.widgets.banner import BannerArea
from desktop.ui.widgets.copyable import CopyableValue

__all__ = ["CustomerAccounts"]


def _muted(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setStyleSheet(theme.text_style("muted"))
    lab.setWordWrap(True)
    return lab


def _clear(grid: QGridLayout) -> None:
    while grid.count():
        item = grid.takeAt(0)
        w = item.widget()
        if w is not None:
            w.hide()
            w.deleteLater()


class CustomerAccounts(QWidget):
    """Three boxes: "Bank funding accounts", "Deposit addresses" and "Saved addresses"."""

    #: new buttons were drawn (Pause, Resume …): the owner gives them their mnemonics
    buttonsChanged = Signal()

    def __init__(self, scope: TaskScope | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: Any = None
        # The owner's scope (the customer pane's): drained with it before the client closes.
        self.scope = scope or TaskScope("customer-accounts")
        self.customer_id = ""
        self.virtual_accounts: list[Any] = []
        self.deposit_addresses: list[Any] = []
        self.saved: list[SavedAddress] = []
        self.va_state = self.da_state = self.saved_state = "unknown"  # found, unavailable, error
        self.pause_buttons: dict[str, QPushButton] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.banners = BannerArea()
        lay.addWidget(self.banners)
        self.va_box = QGroupBox("Bank funding accounts")
        self.va_box.setObjectName("virtualAccounts")
        self.va_grid = QGridLayout(self.va_box)
        lay.addWidget(self.va_box)
        self.da_box = QGroupBox("Deposit addresses")
        self.da_box.setObjectName("depositAddresses")
        self.da_grid = QGridLayout(self.da_box)
        lay.addWidget(self.da_box)
        self.saved_box = QGroupBox("Saved addresses")
        self.saved_box.setObjectName("savedAddresses")
        self.saved_grid = QGridLayout(self.saved_box)
        lay.addWidget(self.saved_box)

    # ---- public ----------------------------------------------------------------------
    def set_session(self, session: Any) -> None:
        self.clear()
        if self.session is not None:
            try:
                self.session.hub.accountsChanged.disconnect(self._on_accounts_changed)
                self.session.hub.changed.disconnect(self._on_hub_changed)
            except (RuntimeError, TypeError):
                pass
        self.session = session
        if session is not None:
            session.hub.accountsChanged.connect(self._on_accounts_changed)
            session.hub.changed.connect(self._on_hub_changed)
        self.clear()

    def clear(self) -> None:
        if self.session is not None and self.customer_id:
            self.session.hub.unwatch_deposits(self.customer_id)
        self.customer_id = ""  # the owner cancels the shared scope's work
        self.virtual_accounts, self.deposit_addresses, self.saved = [], [], []
        self.va_state = self.da_state = self.saved_state = "unknown"
        self.banners.remove("error")
        _clear(self.va_grid)
        _clear(self.da_grid)
        _clear(self.saved_grid)

    def show_customer(self, customer_id: str) -> None:
        if self.session is None or not customer_id:
            return
        if customer_id != self.customer_id:
            self.clear()
            self.customer_id = customer_id
            self.va_grid.addWidget(_muted("Loading…"), 0, 0)
            self.da_grid.addWidget(_muted("Loading…"), 0, 0)
            self.saved_grid.addWidget(_muted("Loading…"), 0, 0)
            self.session.hub.watch_deposits(customer_id)  # until another customer is shown
        self.reload()

    def reload(self) -> None:
        if self.session is None or not self.customer_id:
            return
        cid = self.customer_id
        client = self.session.client

        async def vas() -> list[Any]:
            return [v async for v in client.iter_virtual_accounts(cid)]

        async def das() -> list[Any]:
            return [d async for d in client.iter_deposit_addresses(cid)]

        async def saved() -> list[Any]:
            return [a async for a in client.iter_saved_addresses(cid)]

        Op(self.scope, vas, name="virtual accounts").success(
            lambda items: self._vas_loaded(cid, items)
        ).failure(lambda exc: self._failed(cid, "virtualAccounts", exc)).run()
        Op(self.scope, das, name="deposit addresses").success(
            lambda items: self._das_loaded(cid, items)
        ).failure(lambda exc: self._failed(cid, "depositAddresses", exc)).run()
        Op(self.scope, saved, name="saved addresses").success(
            lambda items: self._saved_loaded(cid, items)
        ).failure(lambda exc: self._failed(cid, "savedAddresses", exc)).run()

    # ---- loading ---------------------------------------------------------------------
    def _on_accounts_changed(self, customer_id: str) -> None:
        if customer_id == self.customer_id:
            self.reload()

    def _on_hub_changed(self, changes: Any) -> None:
        """A wallet became known: its funding accounts and deposit addresses name it."""
        shown = {v.wallet_id for v in self.virtual_accounts} | {
            d.wallet_id for d in self.deposit_addresses
        }
        if shown & set(getattr(changes, "wallets", {}) or {}):
            # the text only: a redraw would make new buttons without their mnemonics
            for label, va in getattr(self, "_va_lines", []):
                label.setText(self._va_text(va))
            for label, da in getattr(self, "_da_lines", []):
                label.setText(self._da_text(da))

    def wallet_words(self, wallet_id: str | None) -> str:
        """``"wallet 0x0483…e46C"``: an OMS wallet by its short address, not its id."""
        hub = self.session.hub if self.session is not None else None
        address = hub.wallet_owners.get(wallet_id or "", ("", ""))[1] if hub is not None else ""
        return f"wallet {short_address(address) or wallet_id or '—'}"

    def _failed(self, cid: str, feature: str, exc: BaseException) -> None:
        if cid != self.customer_id:
            return
        grid = {"virtualAccounts": self.va_grid, "depositAddresses": self.da_grid}.get(
            feature, self.saved_grid
        )
        _clear(grid)
        if isinstance(exc, errors.NotFound):
            state = "unavailable"
            grid.addWidget(_muted(early_access_text(feature)), 0, 0)
        else:
            state = "error"
            grid.addWidget(_muted(f"Could not load: {exc}"), 0, 0)
        if feature == "virtualAccounts":
            self.va_state = state
        elif feature == "depositAddresses":
            self.da_state = state
        else:
            self.saved_state = state

    def _vas_loaded(self, cid: str, items: list[Any]) -> None:
        if cid != self.customer_id:
            return
        self.va_state = "found"
        self.virtual_accounts = items
        for va in items:  # names, not ids: a deposit's counterparty names its account
            di = va.deposit_instructions
            words = bank_words({"bankName": di.bank_name, "accountNumber": di.account_number})
            self.session.hub.learn_account(va.id, words)
        self._render_vas()
        self.buttonsChanged.emit()

    def _das_loaded(self, cid: str, items: list[Any]) -> None:
        if cid != self.customer_id:
            return
        self.da_state = "found"
        self.deposit_addresses = items
        self._render_das()
        self.buttonsChanged.emit()

    def _saved_loaded(self, cid: str, items: list[Any]) -> None:
        if cid != self.customer_id:
            return
        self.saved_state = "found"
        self.saved = [SavedAddress.of(a) for a in items]
        for a in self.saved:  # a send to a saved address names it by its label
            self.session.hub.learn_account(a.id, a.label)
        self._render_saved()
        self.buttonsChanged.emit()

    # ---- rendering -------------------------------------------------------------------
    def _va_text(self, va: Any) -> str:
        di = va.deposit_instructions
        return (
            f"<b>{di.bank_name or 'Bank'}</b> · routing {di.routing_number or '—'} · "
            f"account {di.account_number or '—'}<br>"
            f"into {self.wallet_words(va.wallet_id)} · added {when(va.created_at)}"
        )

    def _da_text(self, da: Any) -> str:
        return (
            f"<b>{_esc(da.label or 'Deposit address')}</b> · "
            f"{_esc((da.deposit_instructions.asset or 'usdc').upper())} on "
            f"{_esc((da.deposit_instructions.network or 'polygon').capitalize())}<br>"
            f"into {_esc(self.wallet_words(da.wallet_id))} · added {when(da.created_at)}"
        )

    def _render_vas(self) -> None:
        grid = self.va_grid
        _clear(grid)
        self._va_lines: list[tuple[QLabel, Any]] = []
        self.pause_buttons = {}
        if not self.virtual_accounts:
            grid.addWidget(
                _muted("None yet. “Fund” → “Bank transfer” creates one for a wallet."), 0, 0
            )
            return
        for row, va in enumerate(self.virtual_accounts):
            text = QLabel(self._va_text(va))
            self._va_lines.append((text, va))
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setWordWrap(True)  # a narrow pane wraps it instead of clipping the row
            grid.addWidget(text, row, 0)
            active = va.is_active
            status = QLabel(str(va.status).upper())
            status.setStyleSheet(theme.text_style("success" if active else "warning", bold=True))
            status.setAccessibleName(f"status of {va.id}")
            grid.addWidget(status, row, 1)
            button = QPushButton("Pause" if active else "Resume")
            button.setAutoDefault(False)
            button.setToolTip(
                "Refuse new deposits until resumed" if active else "Accept deposits again"
            )
            button.clicked.connect(lambda _=False, v=va: self.toggle(v))
            self.pause_buttons[va.id] = button
            grid.addWidget(button, row, 2)
        grid.setColumnStretch(0, 1)

    def _render_das(self) -> None:
        grid = self.da_grid
        _clear(grid)
        self._da_lines: list[tuple[QLabel, Any]] = []
        if not self.deposit_addresses:
            grid.addWidget(
                _muted("None yet. “Receive” on a wallet card creates one for that wallet."), 0, 0
            )
            return
        for row, da in enumerate(self.deposit_addresses):
            head = QLabel(self._da_text(da))
            self._da_lines.append((head, da))
            head.setTextFormat(Qt.TextFormat.RichText)
            head.setWordWrap(True)
            grid.addWidget(head, row, 0)
            address = CopyableValue(da.deposit_instructions.address or "")
            address.setAccessibleName(f"deposit address {da.label or da.id}")
            grid.addWidget(address, row, 1)
            status = QLabel(str(da.status).upper())
            active = str(da.status) == "active"
            status.setStyleSheet(theme.text_style("success" if active else "warning", bold=True))
            status.setAccessibleName(f"status of {da.id}")
            grid.addWidget(status, row, 2)
        grid.setColumnStretch(1, 1)

    def _render_saved(self) -> None:
        grid = self.saved_grid
        _clear(grid)
        if not self.saved:
            grid.addWidget(
                _muted(
                    "None yet. After a send to a new address, the Send wizard offers to save it."
                ),
                0,
                0,
            )
            return
        for row, s in enumerate(self.saved):
            label = QLabel(f"<b>{s.label}</b>")
            label.setTextFormat(Qt.TextFormat.RichText)
            grid.addWidget(label, row, 0)
            grid.addWidget(CopyableValue(s.address), row, 1)
            grid.addWidget(_muted(f"added {when(s.created_at)}"), row, 2)
        grid.setColumnStretch(1, 1)

    # ---- actions ---------------------------------------------------------------------
    def toggle(self, va: Any) -> None:
        """Pause an active account (deposits refused), or resume a paused one."""
        client = self.session.client
        button = self.pause_buttons.get(va.id)
        pause = va.is_active

        async def run() -> Any:
            if pause:
                return await client.pause_virtual_account(va.id)
            return await client.resume_virtual_account(va.id)

        def done(fresh: Any) -> None:
            self.virtual_accounts = [
                fresh if v.id == fresh.id else v for v in self.virtual_accounts
            ]
            self._render_vas()
            self.buttonsChanged.emit()
            self.session.hub.accountsChanged.emit(self.customer_id)

        op = Op(self.scope, run, name="pause virtual account").success(done)
        op.failure(self.banners, label="Pause" if pause else "Resume")
        if button is not None:
            op.busy(button)
        op.run()
