"""Customer detail: identity, endorsements (status, missing/pending, rejection
reasons), wallets with live balance, and the first page of transactions.

What it loads goes into the session's hub; what the hub learns elsewhere (a tracked
withdrawal completing, a send made in a wizard, a go-to) updates the pane without a
refresh. Transactions still processing are handed to the tracker through the hub.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.display import kind_name, money, status_words
from desktop.oms import errors, models
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.customer_accounts import CustomerAccounts
from desktop.ui.customers import ROLE_ID, ROLE_OBJECT, format_when
from desktop.ui.hub import Changes
from desktop.ui.paged_model import RowsTableModel
from desktop.ui.session import Session
from desktop.ui.wallets import WalletCard
from desktop.ui.widgets import mnemonics
from desktop.ui.widgets.banner import BannerArea
from desktop.ui.widgets.copyable import CopyableValue
from desktop.ui.widgets.txn_story import StoryPane

log = logging.getLogger(__name__)
_Index = QModelIndex | QPersistentModelIndex

TRANSACTIONS_PAGE = 20

_STATUS_COLORS = {
    "ACTIVE": "success",
    "PENDING": "warning",
    "ISSUES": "warning",
    "REJECTED": "error",
    "REVOKED_ISSUES": "error",
    "OFFBOARDED": "error",
}


class CustomerTransactionsModel(RowsTableModel):
    """The first page of a customer's transactions (newest first)."""

    columns = ("Created", "Type", "Status", "Amount", "Id")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[models.Transaction] = []
        self.viewer: str | None = None  # the customer whose pane this is (Send vs Receive)

    def set_transactions(self, txns: Sequence[models.Transaction]) -> None:
        self.beginResetModel()
        self._rows = list(txns)
        self.endResetModel()

    def upsert(self, txns: Sequence[models.Transaction]) -> list[models.Transaction]:
        """Replace rows in place; new transactions go on top (newest first). Returns the
        transactions that are new or whose status moved."""
        where = {t.id: n for n, t in enumerate(self._rows)}
        new: list[models.Transaction] = []
        moved: list[models.Transaction] = []
        for t in txns:
            row = where.get(t.id)
            if row is None:
                new.append(t)
                continue
            old = self._rows[row]
            if (old.status, old.sub_status) == (t.status, t.sub_status) and old.raw == t.raw:
                continue
            if (old.status, old.sub_status) != (t.status, t.sub_status):
                moved.append(t)
            self._rows[row] = t
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
        if new:
            new.sort(key=lambda t: t.created_at.timestamp() if t.created_at else 0, reverse=True)
            self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
            self._rows[0:0] = new
            self.endInsertRows()
        return new + moved

    def transaction(self, row: int) -> models.Transaction | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def ids(self) -> list[str]:
        return [t.id for t in self._rows]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        t = self._rows[index.row()]
        col = index.column()
        if role == ROLE_OBJECT:
            return t
        if role == ROLE_ID:
            return t.id
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return format_when(t.created_at)
            if col == 1:
                return kind_name(t, self.viewer)
            if col == 2:
                return status_words(t.status, t.sub_status)
            if col == 3:
                side = t.source
                return money(side.amount_gross or side.amount, side.asset)
            if col == 4:
                return t.id
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            if str(t.status) == "failed":
                return QColor(theme.colors().error[1])
            if str(t.status) == "completed":
                return QColor(theme.colors().success[1])
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and t.error is not None:
            return f"{t.error.code}: {t.error.message}"
        return None


def _muted(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setProperty("role", "muted")
    return lab


def _chip(text: str, kind: str) -> QLabel:
    bg, fg = getattr(theme.colors(), kind)
    lab = QLabel(text)
    lab.setStyleSheet(
        f"background: {bg}; color: {fg}; border-radius: 8px; padding: 1px 8px; font-weight: 600;"
    )
    return lab


class CustomerDetail(QWidget):
    """Right-hand pane of the customers tab. Loads fresh data on ``show_customer``."""

    edit_requested = Signal(object)  # Customer
    new_wallet_requested = Signal(object)  # Customer
    fund_requested = Signal(object, object)  # Customer, Wallet
    send_requested = Signal(object, object)
    withdraw_requested = Signal(object, object)
    receive_requested = Signal(object, object)  # Customer, Wallet (D22 deposit address)
    transaction_activated = Signal(object)  # Transaction
    customer_loaded = Signal(object)  # Customer (fresh from GET)
    network_error = Signal(object)
    loading_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = None
        self.session: Session | None = None
        self.scope = TaskScope("customer-detail")
        self.customer: models.Customer | None = None
        self.wallets: list[models.Wallet] = []
        self.cards: dict[str, WalletCard] = {}
        self._generation = 0
        self._loading = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel("Select a customer to see identity, endorsements and wallets.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "muted")
        theme.style_widget(self.placeholder)
        self.placeholder.setWordWrap(True)
        outer.addWidget(self.placeholder)

        self.scroll = QScrollArea()
        self.scroll.setAccessibleName("Customer detail")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self.scroll)
        body = QWidget()
        theme.style_widget(body)
        self.scroll.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(12, 8, 12, 12)
        lay.setSpacing(10)

        # header
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setProperty("role", "heading")
        self.title.setObjectName("customerTitle")
        head.addWidget(self.title)
        self.status_chip = QLabel()
        head.addWidget(self.status_chip)
        head.addStretch(1)
        lay.addLayout(head)
        idrow = QHBoxLayout()
        idrow.addWidget(_muted("Customer id"))
        self.customer_id = CopyableValue("")
        idrow.addWidget(self.customer_id)
        idrow.addStretch(1)
        self.edit_button = QPushButton("&Edit…")
        theme.set_icon(self.edit_button, "edit")
        self.edit_button.clicked.connect(
            lambda: self.customer and self.edit_requested.emit(self.customer)
        )
        self.wallet_button = QPushButton("New &wallet")
        theme.set_icon(self.wallet_button, "add-wallet")
        self.wallet_button.clicked.connect(
            lambda: self.customer and self.new_wallet_requested.emit(self.customer)
        )
        for b in (self.edit_button, self.wallet_button):
            b.setAutoDefault(False)
            idrow.addWidget(b)
        lay.addLayout(idrow)

        self.banners = BannerArea()
        lay.addWidget(self.banners)

        # identity
        self.identity_box = QGroupBox("Identity")
        self.identity = QFormLayout(self.identity_box)
        self.identity.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.identity_labels: dict[str, QLabel] = {}
        for key, label in (
            ("name", "Name"),
            ("email", "Email"),
            ("phone", "Phone"),
            ("nationality", "Nationality"),
            ("externalId", "External id"),
            ("agreement", "Agreement"),
            ("created", "Created"),
        ):
            v = QLabel()
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.identity_labels[key] = v
            self.identity.addRow(_muted(label), v)
        lay.addWidget(self.identity_box)

        # endorsements
        self.endorsements_box = QGroupBox("Endorsements")
        self.endorsements_grid = QGridLayout(self.endorsements_box)
        self.endorsements_grid.setColumnStretch(2, 1)
        lay.addWidget(self.endorsements_box)

        # wallets
        self.wallets_box = QGroupBox("Wallets")
        self.wallets_layout = QVBoxLayout(self.wallets_box)
        self.no_wallets = _muted("No wallet yet. “New wallet” creates a USDC wallet on Polygon.")
        self.wallets_layout.addWidget(self.no_wallets)
        lay.addWidget(self.wallets_box)
        self.accounts = CustomerAccounts(self.scope)  # bank funding, saved addresses (D22/D23)
        lay.addWidget(self.accounts)
        # accounts may arrive after the wallet cards: their buttons get mnemonics too
        self.accounts.buttonsChanged.connect(
            lambda: mnemonics.assign(self, used=mnemonics.window_letters(self))
        )

        # transactions
        self.tx_box = QGroupBox("Recent transactions")
        txl = QVBoxLayout(self.tx_box)
        self.tx_model = CustomerTransactionsModel(self)
        self.tx_view = QTableView()
        self.tx_view.setObjectName("customerTransactions")
        self.tx_view.setModel(self.tx_model)
        self.tx_view.verticalHeader().setVisible(False)
        self.tx_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tx_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tx_view.horizontalHeader().setStretchLastSection(True)
        self.tx_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.tx_view.setMinimumHeight(140)
        self.tx_view.setShowGrid(False)
        self.tx_view.setAccessibleName("Recent transactions")
        self.tx_view.setToolTip("Select to read its story; double-click to open it in Transactions")
        # Double-click opens exactly one thing: the Transactions tab, row selected.
        self.tx_view.doubleClicked.connect(
            lambda ix: self.transaction_activated.emit(ix.data(ROLE_OBJECT))
        )
        self.tx_view.selectionModel().currentRowChanged.connect(self._story_of)
        txl.addWidget(self.tx_view)
        self.no_tx = _muted("No transactions yet.")
        txl.addWidget(self.no_tx)
        # The same story pane as the Transactions tab (one widget).
        self.story = StoryPane()
        self.story.setObjectName("customerTransactionStory")
        self.story.setMinimumHeight(260)
        self.story.setVisible(False)
        txl.addWidget(self.story)
        lay.addWidget(self.tx_box)
        lay.addStretch(1)

        # No timer of its own (the tracker is the only poller): balances are read when the
        # customer loads (F5 included) and again when one of their transactions moves.
        self._show_placeholder(True)

    # ---- public -----------------------------------------------------------------

    def set_session(self, session: Session | None) -> None:
        """Follow ``session``'s hub (``None``: detach)."""
        if self.session is not None:
            try:
                self.session.hub.changed.disconnect(self._on_changes)
            except (RuntimeError, TypeError):
                pass
        self.session = session
        self.api = session.client if session is not None else None
        self.story.set_session(session)
        self.accounts.set_session(session)
        if session is not None:
            session.hub.changed.connect(self._on_changes)
        self.clear()

    def _story_of(self, current: QModelIndex, _prev: QModelIndex) -> None:
        t = self.tx_model.transaction(current.row()) if current.isValid() else None
        self.story.show_transaction(t, viewer=self.customer.id if self.customer else None)
        self.story.setVisible(t is not None)

    # ---- the hub --------------------------------------------------------------------

    def _concerns(self, t: models.Transaction) -> bool:
        c = self.customer
        if c is None:
            return False
        return c.id in (t.sender, t.recipient) or (t.source.wallet_id or "") in self.cards

    def _on_changes(self, changes: Changes) -> None:
        c = self.customer
        if c is None:
            return
        fresh = changes.customers.get(c.id)
        if fresh is not None and fresh is not c:
            self.customer = fresh
            self._render_customer(fresh)
        for wid, bal in changes.balances.items():
            card = self.cards.get(wid)
            if card is not None:
                card.set_balance(bal)
        mine = [t for t in changes.transactions.values() if self._concerns(t)]
        if not mine:
            return
        moved = self.tx_model.upsert(mine)
        self.no_tx.setVisible(self.tx_model.rowCount() == 0)
        self.tx_view.setVisible(self.tx_model.rowCount() > 0)
        # Money moved on one of these wallets: read their balances once (not a poll).
        if moved:
            self.refresh_balances()

    def clear(self) -> None:
        self._generation += 1
        self.scope.cancel_all()
        self.customer = None
        self.accounts.clear()
        self._show_placeholder(True)

    @property
    def loading(self) -> bool:
        return self._loading

    def show_customer(self, customer: models.Customer, *, reload: bool = True) -> None:
        """Render what we have now, then load the fresh customer, wallets, transactions."""
        same = self.customer is not None and self.customer.id == customer.id
        self.customer = customer
        self._render_customer(customer)
        self.tx_model.viewer = customer.id
        if not same:
            self._render_wallets([])
            self.tx_model.set_transactions([])
            self.story.show_transaction(None)
            self.story.setVisible(False)
            self.no_tx.setVisible(False)
        self._show_placeholder(False)
        if reload:
            self.reload()

    def reload(self) -> None:
        if self.customer is None or self.api is None:
            return
        self._generation += 1
        self.scope.cancel_all()
        self.banners.remove("error")
        self._set_loading(True)
        self.scope.spawn(self._load(self._generation, self.customer.id), name="detail.load")
        self.accounts.show_customer(self.customer.id)

    def refresh_balances(self) -> None:
        """Read each wallet's balance once (a transaction of this customer moved)."""
        if self.api is None or not self.cards:
            return
        gen = self._generation
        for wid in list(self.cards):
            self.scope.spawn(self._load_balance(gen, wid), name="detail.balance")

    def focus_wallet(self, wallet_id: str) -> None:
        card = self.cards.get(wallet_id)
        if card is not None:
            self.scroll.ensureWidgetVisible(card)
            card.setFocus()

    # ---- loading -----------------------------------------------------------------

    def _set_loading(self, v: bool) -> None:
        if self._loading != v:
            self._loading = v
            self.loading_changed.emit(v)

    async def _load(self, gen: int, customer_id: str) -> None:
        api = self.api
        try:
            customer, wallets, txns = await asyncio.gather(
                api.get_customer(customer_id),
                api.list_wallets(customer_id, limit=100),
                api.list_customer_transactions(customer_id, limit=TRANSACTIONS_PAGE),
            )
        except asyncio.CancelledError:
            if gen == self._generation:
                self._set_loading(False)
            raise
        except errors.OmsError as e:
            if gen != self._generation:
                return
            self._set_loading(False)
            self.banners.set(
                "error", f"Could not load this customer: {e}", "error", [("Retry", self.reload)]
            )
            if isinstance(e, errors.NetworkError):
                self.network_error.emit(e)
            return
        if gen != self._generation:
            return
        self.customer = customer
        self._render_customer(customer)
        self._render_wallets(list(wallets.data))
        hub = self.session.hub if self.session is not None else None
        known = hub.transactions if hub is not None else {}
        # The hub may know a newer state than this page (a tracker poll in between).
        rows = [_newer(known.get(t.id), t) for t in txns.data]
        self.tx_model.set_transactions(rows)
        if hub is not None:
            hub.publish_customer(customer)
            for w in wallets.data:
                hub.publish_wallet(w)
            for t in txns.data:
                if known.get(t.id) is None:
                    hub.publish_transaction(t)
            hub.track_many([t.id for t in rows if str(t.status) == "processing"])
        self.no_tx.setVisible(not txns.data)
        self.tx_view.setVisible(bool(txns.data))
        self._set_loading(False)
        self.customer_loaded.emit(customer)
        await asyncio.gather(
            *(self._load_balance(gen, w.id) for w in wallets.data), return_exceptions=True
        )

    async def _load_balance(self, gen: int, wallet_id: str) -> None:
        api = self.api
        if api is None:  # detached (window closed, profile switched) before this ran
            return
        try:
            bal = await api.get_balance(wallet_id)
        except errors.OmsError as e:
            if gen == self._generation and wallet_id in self.cards:
                self.cards[wallet_id].set_balance_error(str(e))
                if isinstance(e, errors.NetworkError):
                    self.network_error.emit(e)
            return
        if gen == self._generation and wallet_id in self.cards:
            self.cards[wallet_id].set_balance(bal)
        if self.session is not None:
            self.session.hub.publish_balance(bal)

    # ---- rendering ---------------------------------------------------------------

    def _show_placeholder(self, on: bool) -> None:
        self.placeholder.setVisible(on)
        self.scroll.setVisible(not on)

    def _render_customer(self, c: models.Customer) -> None:
        self.title.setText(c.display_name)
        active = str(c.status) == "active"
        kind = "success" if active else "warning"
        bg, fg = getattr(theme.colors(), kind)
        self.status_chip.setText(str(c.status))
        self.status_chip.setStyleSheet(
            f"background: {bg}; color: {fg}; border-radius: 8px; padding: 1px 8px;"
        )
        self.customer_id.set_value(c.id)
        L = self.identity_labels
        L["name"].setText(
            " ".join(p for p in (c.first_name, c.middle_name, c.last_name) if p) or "—"
        )
        L["email"].setText(c.email or "—")
        L["phone"].setText(c.phone or "—")
        L["nationality"].setText(c.nationality or "—")
        L["externalId"].setText(c.external_id or "—")
        L["agreement"].setText(
            f"signed {format_when(c.signed_agreement_at)}" if c.signed_agreement else "not signed"
        )
        L["created"].setText(format_when(c.created_at))
        self._render_endorsements(c.endorsements)

    def _render_endorsements(self, ends: Sequence[models.Endorsement]) -> None:
        grid = self.endorsements_grid
        while grid.count():
            item = grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if not ends:
            grid.addWidget(_muted("No endorsements requested."), 0, 0, 1, 3)
            return
        for row, e in enumerate(ends):
            name = QLabel(f"<b>{e.name}</b>")
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            st = str(e.status)
            grid.addWidget(
                _chip(st, _STATUS_COLORS.get(st, "info")), row, 1, Qt.AlignmentFlag.AlignTop
            )
            details = []
            r = e.requirements
            if r.missing:
                details.append("Missing: " + ", ".join(r.missing))
            if r.pending:
                details.append("Pending: " + ", ".join(r.pending))
            if r.issues:
                details.append("Issues: " + ", ".join(r.issues))
            for rr in e.rejection_reasons:
                details.append(
                    "Rejected: " + (rr.reason or rr.developer_reason or "no reason given")
                )
            if not details and st == "ACTIVE":
                details.append("Granted")
            if not details and st == "INACTIVE":
                details.append("Not requested")
            d = QLabel("\n".join(details))
            d.setWordWrap(True)
            d.setObjectName(f"endorsement-{e.name}")
            d.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(d, row, 2)

    def _render_wallets(self, wallets: list[models.Wallet]) -> None:
        old_balances = {wid: card for wid, card in self.cards.items()}
        for card in self.cards.values():
            self.wallets_layout.removeWidget(card)
            card.hide()
            card.deleteLater()
        self.cards = {}
        self.wallets = wallets
        for w in wallets:
            card = WalletCard(w)
            prev = old_balances.get(w.id)
            if prev is not None:
                card.balance.setText(prev.balance.text())
                card.estimate.setText(prev.estimate.text())
            card.fund_requested.connect(lambda wl: self.fund_requested.emit(self.customer, wl))
            card.send_requested.connect(lambda wl: self.send_requested.emit(self.customer, wl))
            card.withdraw_requested.connect(
                lambda wl: self.withdraw_requested.emit(self.customer, wl)
            )
            card.receive_requested.connect(
                lambda wl: self.receive_requested.emit(self.customer, wl)
            )
            self.wallets_layout.addWidget(card)
            self.cards[w.id] = card
        self.no_wallets.setVisible(not wallets)
        # every button, the new wallet cards' too, clear of the window's menus and tool bar
        mnemonics.assign(self, used=mnemonics.window_letters(self))


def _newer(known: models.Transaction | None, loaded: models.Transaction) -> models.Transaction:
    """The hub's version when it has moved on (terminal beats processing)."""
    if known is None:
        return loaded
    if known.is_terminal and not loaded.is_terminal:
        return known
    return loaded
