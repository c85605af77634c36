"""Transactions view: paged table, filters, detail pane, live updates, CSV export.

* ``TransactionsModel`` is a ``PagedModel``: cursor pages through ``canFetchMore``/
  ``fetchMore``, a generation counter drops pages of an older filter, a ``_loading`` guard
  prevents double fetches, errors surface in a banner with Retry.
* Live updates come from the session's ``ChangeHub.transactionChanged`` (tracker, wizards,
  go-to). They are queued and applied by a short single-shot timer (dirty flag), so a burst
  of hundreds of updates costs one redraw, at most a few times per second.
* Rows still ``processing`` are handed to the tracker when they arrive.
* ``export_csv(path)`` writes the filtered list (every page) with a progress dialog.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime, time
from time import perf_counter
from typing import Any

from PySide6.QtCore import (
    QDate,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.display import (
    KIND_NAMES,
    kind_name,
    money,
    plural,
    status_words,
    transaction_status_texts,
)
from desktop.flows.explain import explain_error
from desktop.flows.story import counterparty as story_counterparty
from desktop.oms import errors
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.hub import COALESCE_MS
from desktop.ui.op import Op
from desktop.ui.paged_model import Fetch, PagedModel
from desktop.ui.session import Session
from desktop.ui.widgets.banner import BannerArea
from desktop.ui.widgets.txn_story import StoryPane

PAGE_SIZE = 100

COLUMNS = ("Created", "Type", "Status", "Sent", "Received", "Counterparty", "Completed", "Id")
#: What each column must show whole: the width of the widest of these (plus the style's
#: text margins) sizes the column. Type and Status from every name they can show.
COLUMN_SAMPLES: tuple[tuple[str, ...], ...] = (
    ("2026-12-31 23:59:59",),
    (*KIND_NAMES.values(), "Other"),
    tuple(transaction_status_texts()),
    ("99,999.999999 USDC",),
    ("99,999.999999 USDC",),
    ("Ada Lovelace <ada@example.com>",),
    ("2026-12-31 23:59:59",),
    ("txn_01m8ngamn3cejqn9mxz0zhwzw5",),
)


#: The Counterparty column grows to the longest loaded name up to this (a tooltip shows more).
COUNTERPARTY_MAX = 560


def column_widths(view: QTableView) -> list[int]:
    """Each column's width from its content (and its header label), in the view's fonts."""
    style = view.style()
    margin = 2 * (style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
    fm = view.fontMetrics()
    head = view.horizontalHeader()
    hfm = head.fontMetrics()
    # the header's own margins and its sort arrow
    head_extra = 2 * style.pixelMetric(style.PixelMetric.PM_HeaderMargin, None, head) + (
        style.pixelMetric(style.PixelMetric.PM_HeaderMarkSize, None, head)
    )
    return [
        max(
            max(fm.horizontalAdvance(s) for s in samples) + margin + 4,
            hfm.horizontalAdvance(title) + head_extra,
        )
        for title, samples in zip(COLUMNS, COLUMN_SAMPLES, strict=True)
    ]


STATUS_KINDS = {"completed": "success", "failed": "error", "processing": "info"}


def status_color(status: str) -> QColor | None:
    """The palette's text colour for a status (readable on the table's base colour)."""
    kind = STATUS_KINDS.get(status)
    return QColor(getattr(theme.colors(), kind)[1]) if kind else None


def _when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def counterparty(t: Any, hub: Any = None, viewer: str | None = None, *, short: bool = True) -> str:
    """Who is on the other side, by name (the hub's caches); see ``story.counterparty``.
    ``short=False`` (the CSV) writes addresses whole."""
    if hub is not None:
        return hub.counterparty(t, viewer, short=short)
    return story_counterparty(t, viewer, short=short)


def _money(amount: Any, asset: str | None) -> str:
    return money(amount, asset or "") if amount is not None else ""


def row_values(t: Any, hub: Any = None, viewer: str | None = None) -> tuple[str, ...]:
    s, d = t.source, t.destination
    return (
        _when(t.created_at),
        kind_name(t, viewer),
        status_words(t.status, t.sub_status),
        _money(s.amount_gross, s.asset),
        _money(d.amount_net, d.asset),
        counterparty(t, hub, viewer),
        _when(t.completed_at),
        t.id,
    )


def search_text(t: Any, hub: Any = None) -> str:
    """What the free-text filter looks in: id, names and emails, amounts, addresses,
    the tx hash, the last 4 digits of a bank account (lower case)."""
    s, d = t.source, t.destination
    parts = [t.id, t.quote_id, t.cash_in_id, t.sender, t.recipient, kind_name(t)]
    for cid in (t.sender, t.recipient):
        found = hub.name_of(cid) if hub is not None else None
        if found:
            parts.extend(found)
    for side in (s, d):
        w = side.wallet
        parts += [side.wallet_id, side.tx_hash, side.blockchain_address]
        if w is not None:
            parts += [w.id, w.blockchain_address, w.external_account_id]
        for amount in (side.amount_gross, side.amount_net, side.amount):
            if amount is not None:
                parts += [money(amount), money(amount, grouping=False), format(amount, "f")]
        acct = str((side.bank_details or {}).get("accountNumber") or "")
        if acct:
            parts.append(acct[-4:])
    return " ".join(str(p) for p in parts if p).lower()


def transactions_fetch(ctx: Session, filters: dict[str, Any]) -> Fetch:
    """The page loader for a set of filters (server side where the endpoint has them)."""

    async def page(cursor: str | None) -> Any:
        f = filters
        kw = dict(
            status=f.get("status"),
            type=f.get("type"),
            limit=PAGE_SIZE,
            starting_after=cursor,
            created_after=f.get("created_after"),
            created_before=f.get("created_before"),
        )
        client = ctx.client
        if f.get("customer_id"):  # no status/type there: matches() filters those rows
            kw.pop("status")
            kw.pop("type")
            return await client.list_customer_transactions(f["customer_id"], **kw)
        return await client.list_transactions(**kw)

    return page


def error_text(exc: BaseException) -> str:
    return explain_error(exc) if isinstance(exc, errors.OmsError) else str(exc)


class TransactionsModel(PagedModel):
    """Rows of ``models.Transaction``; cursor paging; coalesced live updates.

    Paging (generation counter, ``_loading`` guard, error state with ``retry()``) is
    ``PagedModel``'s. Unlike the customers' slim rows, every row keeps its full
    transaction: the detail pane and live updates need it, and lists stay short.
    """

    rowsArrived = Signal(list)  # the transactions a page added (to track those in flight)
    columns = COLUMNS

    def __init__(self, ctx: Session, scope: TaskScope, parent: Any = None) -> None:
        super().__init__(scope, transactions_fetch(ctx, {}), parent)
        self.ctx = ctx
        self.filters: dict[str, Any] = {}
        self.viewer: str | None = None  # the customer whose list this is (Send vs Receive)
        self._display: dict[str, tuple[str, ...]] = {}  # id → cells, computed by data()
        self._search: dict[str, str] = {}  # id → what the free-text filter looks in
        self._pending: dict[str, Any] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self.apply_pending)
        self.redraws = 0  # diagnostics for tests and the benchmark
        self.worst_apply_ms = 0.0

    # ---- Qt model protocol ------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.ToolTipRole:
            t = self._rows[index.row()]
            shown = self._display.get(t.id)
            if shown is None:  # only rows that are painted pay for formatting
                shown = self._display[t.id] = row_values(t, self.ctx.hub, self.viewer)
            return shown[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return status_color(str(self._rows[index.row()].status))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return self._rows[index.row()]
        return None

    # ---- paging hooks -------------------------------------------------------
    def accept(self, obj: Any) -> bool:
        return self.matches(obj)

    def rows_cleared(self) -> None:
        self._display.clear()
        self._search.clear()
        self._pending.clear()

    def search_text(self, t: Any) -> str:
        found = self._search.get(t.id)
        if found is None:
            found = self._search[t.id] = search_text(t, self.ctx.hub)
        return found

    def names_changed(self) -> None:
        """The name cache learned names: counterparty cells and search text are redone."""
        if not self._rows:
            return
        self._display.clear()
        self._search.clear()
        self.dataChanged.emit(self.index(0, 5), self.index(len(self._rows) - 1, 5))

    def page_arrived(self, new: list[Any]) -> None:
        self.rowsArrived.emit(new)

    # ---- filters ------------------------------------------------------------
    def set_filters(self, **filters: Any) -> None:
        self.filters = {k: v for k, v in filters.items() if v}
        self.reset(transactions_fetch(self.ctx, self.filters))

    def matches(self, t: Any) -> bool:
        f = self.filters
        if f.get("status") and str(t.status) != f["status"]:
            return False
        if f.get("type") and str(t.type) != f["type"]:
            return False
        if f.get("customer_id") and f["customer_id"] not in (t.sender, t.recipient):
            return False
        created = t.created_at
        if created is not None:
            if f.get("created_after") and created < f["created_after"]:
                return False
            if f.get("created_before") and created > f["created_before"]:
                return False
        return True

    # ---- live updates -------------------------------------------------------
    def queue_update(self, txn: Any) -> None:
        """Called for every tracker update; applied in one batch by the timer."""
        self._pending[txn.id] = txn
        if not self._timer.isActive():
            self._timer.start()

    def apply_pending(self) -> None:
        if not self._pending:
            return
        started = perf_counter()
        pending, self._pending = self._pending, {}
        changed: list[int] = []
        new: list[Any] = []
        for txn in pending.values():
            row = self._ids.get(txn.id)
            if row is not None:
                self._rows[row] = txn
                self._display.pop(txn.id, None)
                self._search.pop(txn.id, None)
                changed.append(row)
            elif self.matches(txn) and self._is_newest_window(txn):
                new.append(txn)
        if changed:
            last = len(COLUMNS) - 1
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), last))
        if new:
            new.sort(key=lambda t: t.created_at or datetime.min.replace(tzinfo=UTC), reverse=True)
            self.insert_objects(0, new)
        self.redraws += 1
        self.worst_apply_ms = max(self.worst_apply_ms, (perf_counter() - started) * 1000)

    def _is_newest_window(self, txn: Any) -> bool:
        # New rows go on top (lists are newest first); anything older than the last loaded
        # row will come with a later page instead.
        if not self._rows or not self._has_more:
            return True
        last = self._rows[-1].created_at
        return txn.created_at is None or last is None or txn.created_at >= last

    # ---- access ---------------------------------------------------------------
    def transaction(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None


class TextFilterProxy(QSortFilterProxyModel):
    """The free-text filter over what is loaded (paging still reaches the source)."""

    def __init__(self, model: TransactionsModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSourceModel(model)
        self.text = ""
        self.setDynamicSortFilter(False)

    def set_text(self, text: str) -> None:
        self.text = text.strip().lower()
        self.refilter()

    def refilter(self) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.10; invalidateFilter is deprecated
            self.beginFilterChange()
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: Any) -> bool:
        if not self.text:
            return True
        src = self.sourceModel()
        t = src.transaction(row)
        if t is None:
            return False
        return all(word in src.search_text(t) for word in self.text.split())


class TransactionsView(QWidget):
    """The Transactions tab (or a customer's transactions, with ``customer_id``)."""

    goto = Signal(str)

    def __init__(
        self, session: Session, customer_id: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.ctx = session
        self.hub = session.hub
        self.scope = TaskScope("transactions view")
        self.customer_id = customer_id
        self.model = TransactionsModel(self.ctx, self.scope, self)
        self.model.viewer = customer_id
        self.proxy = TextFilterProxy(self.model, self)
        self._load_all: Any = None
        lay = QVBoxLayout(self)
        self.banners = BannerArea()
        lay.addWidget(self.banners)

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("transactionsSearch")
        self.search.setPlaceholderText("Filter loaded: id, name, email, amount, address, hash…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter loaded transactions")
        self.search.setMinimumWidth(160)
        self.status = QComboBox()
        self.status.setAccessibleName("Status filter")
        for text, value in (
            ("Any status", ""),
            ("Processing", "processing"),
            ("Completed", "completed"),
            ("Failed", "failed"),
        ):
            self.status.addItem(text, value)
        self.type = QComboBox()
        self.type.setAccessibleName("Type filter")
        for text, value in (
            ("Any type", ""),
            (f"{KIND_NAMES['send']} or {KIND_NAMES['receive'].lower()}", "cryptoToCrypto"),
            (KIND_NAMES["withdraw"], "cryptoToFiat"),
            (f"{KIND_NAMES['fund_cash']} or {KIND_NAMES['bank_deposit'].lower()}", "fiatToCrypto"),
        ):
            self.type.addItem(text, value)
        self.use_dates = QCheckBox("Fro&m")
        self.use_dates.setAccessibleName("Filter by date")
        self.date_from = QDateEdit(QDate.currentDate().addDays(-30))
        self.date_from.setAccessibleName("From date")
        self.date_to = QDateEdit(QDate.currentDate())
        self.date_to.setAccessibleName("To date")
        for de in (self.date_from, self.date_to):
            de.setCalendarPopup(True)
            de.setDisplayFormat("yyyy-MM-dd")
            de.setEnabled(False)
        self.use_dates.toggled.connect(self.date_from.setEnabled)
        self.use_dates.toggled.connect(self.date_to.setEnabled)
        self.refresh_button = QPushButton("R&efresh")
        self.load_all_button = QPushButton("&Load all")
        self.load_all_button.setToolTip("Page through every remaining transaction (cancellable)")
        self.load_all_progress = QProgressBar()
        self.load_all_progress.setObjectName("loadAllProgress")
        self.load_all_progress.setAccessibleName("Loading all transactions")
        self.load_all_progress.setRange(0, 0)
        self.load_all_progress.setMaximumWidth(120)
        self.load_all_progress.setVisible(False)
        self.export_button = QPushButton("E&xport CSV…")
        self.count_label = QLabel()
        self.count_label.setObjectName("transactionsCount")
        # Two rows, so the tab fits a 1024-pixel window: what to look for, then the dates
        # and what to do with the list.
        for combo in (self.status, self.type):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.status)
        bar.addWidget(self.type)
        lay.addLayout(bar)
        bar2 = QHBoxLayout()
        for w in (self.use_dates, self.date_from, QLabel("to"), self.date_to, self.refresh_button):
            bar2.addWidget(w)
        bar2.addStretch(1)
        bar2.addWidget(self.count_label)
        bar2.addWidget(self.load_all_progress)
        bar2.addWidget(self.load_all_button)
        bar2.addWidget(self.export_button)
        lay.addLayout(bar2)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        self.table = QTableView()
        self.table.setObjectName("transactionsTable")
        self.table.setAccessibleName("Transactions")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setMinimumWidth(320)
        self.fit_columns()
        split.addWidget(self.table)
        self.detail = StoryPane(session)
        self.detail.setMinimumWidth(280)
        self.detail.goto.connect(self.goto)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)

        for sig in (
            self.status.currentIndexChanged,
            self.type.currentIndexChanged,
            self.use_dates.toggled,
            self.date_from.dateChanged,
            self.date_to.dateChanged,
        ):
            sig.connect(self.apply_filters)
        self.search.textChanged.connect(self._on_search)
        self.refresh_button.clicked.connect(self.apply_filters)
        self.load_all_button.clicked.connect(self.toggle_load_all)
        self.export_button.clicked.connect(self._ask_export)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self.model.error_changed.connect(self._error)
        self.model.rowsArrived.connect(self._track_in_flight)
        self.model.modelReset.connect(self._count)
        self.model.rowsInserted.connect(self._count)
        self.model.page_loaded.connect(self._count)  # has_more is known only by then
        self.model.dataChanged.connect(self._refresh_detail)
        self.model.rowsInserted.connect(lambda _p, first, last: self._fit_rows(first, last))
        self.model.dataChanged.connect(
            lambda top, bottom, *_: self._fit_rows(top.row(), bottom.row())
        )
        self.hub.transactionChanged.connect(self.model.queue_update)
        self.hub.changed.connect(self._on_changes)
        self.apply_filters()

    # ---- filters / loading ---------------------------------------------------
    def filters(self) -> dict[str, Any]:
        f: dict[str, Any] = {
            "status": self.status.currentData(),
            "type": self.type.currentData(),
            "customer_id": self.customer_id,
        }
        if self.use_dates.isChecked():
            start = self.date_from.date().toPython()
            end = self.date_to.date().toPython()
            f["created_after"] = datetime.combine(start, time.min, UTC)
            f["created_before"] = datetime.combine(end, time.max, UTC)
        return f

    def apply_filters(self, *_: Any) -> None:
        self.cancel_load_all()
        self.banners.remove("error")
        self.detail.show_transaction(None)
        self.model.set_filters(**self.filters())

    def _on_search(self, text: str) -> None:
        self.proxy.set_text(text)
        self._count()

    def _on_changes(self, changes: Any) -> None:
        if changes.customers:  # names learned: counterparty cells read them
            self.model.names_changed()
            if self.proxy.text:
                self.proxy.refilter()

    def clear_hiding_filters(self, txn: Any) -> bool:
        """Go-to: drop every filter that would hide ``txn`` (True when one was dropped)."""
        dropped = False
        if self.proxy.text and self.proxy.text not in self.model.search_text(txn):
            self.search.clear()
            dropped = True
        server_hides = not self.model.matches(txn)
        if server_hides:
            blockers = [self.status, self.type, self.use_dates]
            for w in blockers:
                w.blockSignals(True)
            self.status.setCurrentIndex(0)
            self.type.setCurrentIndex(0)
            self.use_dates.setChecked(False)
            self.date_from.setEnabled(False)
            self.date_to.setEnabled(False)
            for w in blockers:
                w.blockSignals(False)
            self.apply_filters()
            dropped = True
        return dropped

    def reveal(self, txn: Any) -> None:
        """Show ``txn`` in list and detail alike: filters that hide it are cleared, its row
        is selected as soon as it is loaded, and the detail shows it at once."""
        if self.detail.rel is not None:  # back from a quote / cash-in to the transaction
            self.detail.show_related(None, self.detail.txn, viewer=self.customer_id)
        self.clear_hiding_filters(txn)
        self.hub.publish_transaction(txn, immediate=False)
        if self.select(txn.id):
            return
        self.detail.show_transaction(txn, viewer=self.customer_id)

        def pick(*_: Any) -> None:
            if self.select(txn.id):
                try:
                    self.model.rowsInserted.disconnect(pick)
                except (RuntimeError, TypeError):
                    pass

        self.model.rowsInserted.connect(pick)

    def reveal_related(self, rel: Any, txn: Any = None) -> None:
        """A quote or cash-in a link led to: its transaction's row selected (as
        :meth:`reveal`) with the quote or cash-in told above the story; without a
        transaction yet, no row is selected and the detail tells it alone."""
        if txn is not None:
            self.reveal(txn)
            row = self.model.row_of(txn.id)
            shown = self.model.transaction(row) if row >= 0 else txn
            self.detail.show_related(rel, shown, viewer=self.customer_id)
            return
        self.table.selectionModel().clear()
        self.detail.show_related(rel, None, viewer=self.customer_id)

    def fit_columns(self) -> None:
        """Size the columns from their content: nothing a row can show is cut off."""
        header = self.table.horizontalHeader()
        for col, width in enumerate(column_widths(self.table)):
            header.resizeSection(col, width)
        self._fit_rows(0, self.model.rowCount() - 1)

    def _fit_rows(self, first: int, last: int) -> None:
        """Widen the Counterparty column to the longest name (and email) these rows show:
        names differ in length, so it grows from what is loaded (never shrinks, capped)."""
        col = COLUMNS.index("Counterparty")
        fm = self.table.fontMetrics()
        style = self.table.style()
        margin = 2 * (
            style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin, None, self.table) + 1
        )
        header = self.table.horizontalHeader()
        widest = max(
            (
                fm.horizontalAdvance(self.model.index(r, col).data() or "")
                for r in range(max(0, first), min(last, self.model.rowCount() - 1) + 1)
            ),
            default=0,
        )
        width = min(COUNTERPARTY_MAX, widest + margin + 4)
        if width > header.sectionSize(col):
            header.resizeSection(col, width)

    def changeEvent(self, event: Any) -> None:
        if hasattr(self, "table") and event.type() in (
            QEvent.Type.FontChange,
            QEvent.Type.StyleChange,
        ):
            self.fit_columns()  # a new font or theme: the same text needs new widths
        super().changeEvent(event)

    def _retry(self) -> None:
        self.banners.remove("error")
        self.model.retry()

    def _error(self, exc: BaseException | None) -> None:
        if exc is None:
            self.banners.remove("error")
            return
        self.banners.set(
            "error",
            f"Could not load transactions: {error_text(exc)}",
            "error",
            [("Retry", self._retry)],
        )

    def _count(self, *_: Any) -> None:
        n = self.model.rowCount()
        shown = self.proxy.rowCount()
        more = " (more to load)" if self.model.has_more else ""
        if shown != n:
            text = f"{shown:,} of {plural(n, 'loaded transaction')}{more}"
        else:
            text = plural(n, "transaction") + more
        self.count_label.setText(text)
        self.load_all_button.setEnabled(self.model.has_more or self._load_all is not None)

    # ---- load all -----------------------------------------------------------
    def toggle_load_all(self) -> None:
        if self._load_all is not None:
            self.cancel_load_all()
        else:
            self.load_all()

    def load_all(self, on_done: Callable[[int], None] | None = None) -> Any:
        """Page through the rest of the list with a progress bar; the button cancels."""
        if self._load_all is not None:
            return self._load_all
        self.load_all_button.setText("Cancel &loading")
        self.load_all_button.setEnabled(True)
        self.load_all_progress.setVisible(True)
        m = self.model

        async def run() -> int:
            loop = asyncio.get_running_loop()
            while m.canFetchMore() or m.loading:
                fut = loop.create_future()

                def arrived(*_: Any, fut: Any = fut) -> None:
                    if not fut.done():
                        fut.set_result(None)

                m.page_loaded.connect(arrived)
                m.error_changed.connect(arrived)
                try:
                    if not m.loading:
                        m.fetchMore()
                    await fut
                finally:
                    m.page_loaded.disconnect(arrived)
                    m.error_changed.disconnect(arrived)
                if m.error is not None:
                    raise m.error
                self.load_all_progress.setFormat(f"{m.rowCount():,} loaded")
            return m.rowCount()

        def finish(*_: Any) -> None:
            self._load_all = None
            self.load_all_button.setText("&Load all")
            self.load_all_progress.setVisible(False)
            self._count()

        def done(n: int) -> None:
            finish()
            if on_done is not None:
                on_done(n)

        self._load_all = (
            Op(self.scope, run, name="load all transactions")
            .success(done)
            .failure(lambda _e: finish(), catch=(Exception,))
            .run()
        )
        if self._load_all is not None:
            self._load_all.add_done_callback(
                lambda t: finish() if t.cancelled() and self._load_all is t else None
            )
        return self._load_all

    def cancel_load_all(self) -> None:
        task, self._load_all = self._load_all, None
        if task is not None:
            task.cancel()
            self.load_all_button.setText("&Load all")
            self.load_all_progress.setVisible(False)

    def _track_in_flight(self, rows: list) -> None:
        for t in rows:  # a page is a fact too: the customer pane may show these
            self.hub.publish_transaction(t, immediate=False)
        self.hub.track_many([t.id for t in rows if str(t.status) == "processing"])
        self._count()

    def _selected(self, current: QModelIndex, _prev: QModelIndex) -> None:
        row = self.proxy.mapToSource(current).row() if current.isValid() else -1
        self.detail.show_transaction(self.model.transaction(row), viewer=self.customer_id)

    def _refresh_detail(self, top: QModelIndex, bottom: QModelIndex, *_: Any) -> None:
        t = self.detail.txn
        if t is None:
            return
        row = self.model.row_of(t.id)
        if row >= 0 and top.row() <= row <= bottom.row():
            self.detail.show_transaction(self.model.transaction(row), viewer=self.customer_id)

    def select(self, txn_id: str) -> bool:
        row = self.model.row_of(txn_id)
        if row < 0:
            return False
        ix = self.proxy.mapFromSource(self.model.index(row, 0))
        if not ix.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            ix,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(ix)
        return True

    # ---- CSV export ---------------------------------------------------------
    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export transactions", "transactions.csv", "CSV files (*.csv)"
        )
        if path:
            self.export_csv(path)

    def export_csv(self, path: str, on_done: Callable[[int], None] | None = None):
        """Write every transaction of the current filter to ``path`` (all pages)."""
        import csv  # only when exporting

        filters = dict(self.model.filters)
        progress = QProgressDialog("Exporting transactions…", "Cancel", 0, 0, self)
        progress.setWindowTitle("Export CSV")
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        self.export_progress = progress
        client = self.ctx.client

        async def run() -> int:
            n = 0
            tmp = path + ".part"
            try:
                with open(tmp, "w", newline="", encoding="utf-8") as fh:
                    w = csv.writer(fh)
                    w.writerow(CSV_HEADER)
                    cursor = None
                    while True:
                        kw = dict(
                            limit=PAGE_SIZE,
                            starting_after=cursor,
                            created_after=filters.get("created_after"),
                            created_before=filters.get("created_before"),
                        )
                        if filters.get("customer_id"):
                            page = await client.list_customer_transactions(
                                filters["customer_id"], **kw
                            )
                        else:
                            page = await client.list_transactions(
                                status=filters.get("status"), type=filters.get("type"), **kw
                            )
                        await self.hub.learn_names(
                            c for t in page.data for c in (t.sender, t.recipient)
                        )
                        for t in page.data:
                            if filters.get("customer_id") and not _matches_local(t, filters):
                                continue
                            w.writerow(csv_row(t, self.hub, self.customer_id))
                            n += 1
                        progress.setLabelText(f"Exported {n} transactions…")
                        if progress.wasCanceled():
                            raise _Cancelled
                        if not page.has_more or not page.next_cursor:
                            break
                        cursor = page.next_cursor
                os.replace(tmp, path)
            except _Cancelled:
                os.remove(tmp)
                n = -1
            finally:
                progress.close()
            if n >= 0:
                self.banners.set("export", f"Exported {n} transactions to {path}.", "success")
            if on_done:
                on_done(n)
            return n

        progress.show()
        return (
            Op(self.scope, run, name="export csv")
            .busy(self.export_button)
            .failure(lambda e: self._export_failed(e, progress), catch=(Exception,))
            .run()
        )

    def _export_failed(self, exc: BaseException, progress: QProgressDialog) -> None:
        progress.close()
        self.banners.set("export", f"Export failed: {error_text(exc)}", "error")

    def closeEvent(self, event: Any) -> None:
        self.scope.cancel_all()
        super().closeEvent(event)


class _Cancelled(Exception):
    pass


def _matches_local(t: Any, f: dict) -> bool:
    return (not f.get("status") or str(t.status) == f["status"]) and (
        not f.get("type") or str(t.type) == f["type"]
    )


CSV_HEADER = (
    "id",
    "createdAt",
    "completedAt",
    "type",
    "apiType",
    "status",
    "subStatus",
    "sender",
    "senderName",
    "senderEmail",
    "recipient",
    "recipientName",
    "recipientEmail",
    "sourceWalletId",
    "sourceAsset",
    "sourceAmountGross",
    "sourceAmountNet",
    "feesTotal",
    "feesOms",
    "feesGas",
    "feesDeveloper",
    "feesRail",
    "destinationAsset",
    "destinationNetwork",
    "destinationAmountGross",
    "destinationAmountNet",
    "counterparty",
    "txHash",
    "quoteId",
    "cashInId",
    "errorCode",
    "errorMessage",
)


def _plain(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.astimezone(UTC).isoformat().replace("+00:00", "Z")
    # figures by the one rule (2 places minimum, trailing zeros trimmed), never grouped
    return money(v, grouping=False) if hasattr(v, "as_tuple") else str(v)


def csv_row(t: Any, hub: Any = None, viewer: str | None = None) -> list[str]:
    s, d, fees = t.source, t.destination, t.source.fees

    def name(cid: str | None, i: int) -> str:
        found = hub.name_of(cid) if hub is not None and cid else None
        return found[i] if found else ""

    return [
        _plain(v)
        for v in (
            t.id,
            t.created_at,
            t.completed_at,
            kind_name(t, viewer),
            str(t.type),
            str(t.status),
            t.sub_status,
            t.sender,
            name(t.sender, 0),
            name(t.sender, 1),
            t.recipient,
            name(t.recipient, 0),
            name(t.recipient, 1),
            s.wallet_id,
            s.asset,
            s.amount_gross,
            s.amount_net,
            fees.total,
            fees.oms,
            fees.gas,
            fees.developer,
            fees.rail,
            d.asset,
            d.network,
            d.amount_gross,
            d.amount_net,
            counterparty(t, hub, viewer, short=False),
            d.tx_hash,
            t.quote_id,
            t.cash_in_id,
            t.error.code if t.error else None,
            t.error.message if t.error else None,
        )
    ]


__all__ = [
    "COLUMNS",
    "TextFilterProxy",
    "TransactionsModel",
    "TransactionsView",
    "csv_row",
    "search_text",
]
