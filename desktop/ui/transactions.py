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

import os
from collections.abc import Callable
from datetime import UTC, datetime, time
from time import perf_counter
from typing import Any

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
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
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.display import kind_name, money
from desktop.flows.explain import explain_error
from desktop.flows.inbound import deposit_counterparty
from desktop.oms import errors
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.hub import COALESCE_MS
from desktop.ui.op import Op
from desktop.ui.paged_model import Fetch, PagedModel
from desktop.ui.session import Session
from desktop.ui.widgets.banner import BannerArea
from desktop.ui.widgets.copyable import CopyableValue

PAGE_SIZE = 100

COLUMNS = ("Created", "Type", "Status", "Sent", "Received", "Counterparty", "Completed", "Id")
COLUMN_WIDTHS = (145, 75, 175, 125, 125, 210, 145, 250)
TYPE_LABELS = {
    "cryptoToCrypto": "Send",
    "cryptoToFiat": "Withdraw",
    "fiatToCrypto": "Cash-in",
}
STATUS_KINDS = {"completed": "success", "failed": "error", "processing": "info"}


def status_color(status: str) -> QColor | None:
    """The palette's text colour for a status (readable on the table's base colour)."""
    kind = STATUS_KINDS.get(status)
    return QColor(getattr(theme.colors(), kind)[1]) if kind else None


def _when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def counterparty(t: Any) -> str:
    inbound = deposit_counterparty(t)  # a deposit (D22): who sent it
    if inbound:
        return inbound
    d = t.destination
    w = d.wallet
    if w is not None and w.id:  # an OMS wallet: name the other customer, else the wallet
        if t.recipient and t.recipient != t.sender:
            return t.recipient
        return w.id
    if w is not None and w.blockchain_address:
        return w.blockchain_address
    acc = (w.external_account_id if w is not None else None) or d.external_account_id
    if acc:
        masked = (d.bank_details or {}).get("accountNumber") or ""
        return f"{acc} {masked}".strip()
    return t.recipient or ""


def _money(amount: Any, asset: str | None) -> str:
    return money(amount, asset or "") if amount is not None else ""


def row_values(t: Any) -> tuple[str, ...]:
    s, d = t.source, t.destination
    kind = str(t.type)
    status = str(t.status) + (f" · {t.sub_status}" if t.sub_status else "")
    return (
        _when(t.created_at),
        kind_name(t) if t.is_deposit else TYPE_LABELS.get(kind, kind),
        status,
        _money(s.amount_gross, s.asset),
        _money(d.amount_net, d.asset),
        counterparty(t),
        _when(t.completed_at),
        t.id,
    )


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
        self._display: dict[str, tuple[str, ...]] = {}  # id → cells, computed by data()
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
                shown = self._display[t.id] = row_values(t)
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
        self._pending.clear()

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


def flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every field of a JSON object as (dotted path, text), in order."""
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        if not data and prefix:
            out.append((prefix, "{}"))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(flatten(v, f"{prefix}[{i}]"))
        if not data and prefix:
            out.append((prefix, "[]"))
    else:
        out.append((prefix, "null" if data is None else str(data)))
    return out


class DetailPane(QWidget):
    """Every field of the selected transaction, with links to its quote, cash-in, customer."""

    goto = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Select a transaction")
        f = self.title.font()
        f.setBold(True)
        f.setPointSize(f.pointSize() + 2)
        self.title.setFont(f)
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.id_label = CopyableValue()
        lay.addWidget(self.id_label)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.summary.linkActivated.connect(lambda href: self.goto.emit(href))
        lay.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.tree, 1)
        self.txn: Any = None

    def show_transaction(self, t: Any) -> None:
        self.txn = t
        if t is None:
            self.title.setText("Select a transaction")
            self.id_label.set_value("")
            self.summary.setText("")
            self.tree.clear()
            return
        s, d = t.source, t.destination
        kind = TYPE_LABELS.get(str(t.type), str(t.type))
        self.title.setText(f"{kind} · {t.status}" + (f" · {t.sub_status}" if t.sub_status else ""))
        self.id_label.set_value(t.id)
        links = []
        if t.quote_id:
            links.append(f"Quote <a href='{t.quote_id}'>{t.quote_id}</a>")
        if t.cash_in_id:
            links.append(f"Cash-in <a href='{t.cash_in_id}'>{t.cash_in_id}</a>")
        for label, cid in (("Sender", t.sender), ("Recipient", t.recipient)):
            if cid:
                links.append(f"{label} <a href='{cid}'>{cid}</a>")
        fees = s.fees
        lines = [
            f"Sent {_money(s.amount_gross, s.asset)} · received {_money(d.amount_net, d.asset)}",
            "Fees: "
            + ", ".join(
                f"{name} {_money(v, s.asset)}"
                for name, v in (
                    ("OMS", fees.oms),
                    ("gas", fees.gas),
                    ("developer", fees.developer),
                    ("rail", fees.rail),
                    ("total", fees.total),
                )
                if v is not None
            ),
            f"Rates: exchange {t.rates.exchange_rate or '—'} · effective "
            f"{t.rates.effective_rate or '—'}",
        ]
        if t.error is not None:
            lines.append(
                f"<span style='color:{theme.colors().error[1]}'>"
                f"Error {t.error.code}: {explain_error(t.error)}</span>"
            )
        self.summary.setText("<br>".join([*lines, " · ".join(links)]))
        self.tree.clear()
        items = [QTreeWidgetItem([k, v]) for k, v in flatten(t.raw)]
        self.tree.addTopLevelItems(items)


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
        lay = QVBoxLayout(self)
        self.banners = BannerArea()
        lay.addWidget(self.banners)

        bar = QHBoxLayout()
        self.status = QComboBox()
        for text, value in (
            ("Any status", ""),
            ("Processing", "processing"),
            ("Completed", "completed"),
            ("Failed", "failed"),
        ):
            self.status.addItem(text, value)
        self.type = QComboBox()
        for text, value in (
            ("Any type", ""),
            ("Send", "cryptoToCrypto"),
            ("Withdraw", "cryptoToFiat"),
            ("Cash-in", "fiatToCrypto"),
        ):
            self.type.addItem(text, value)
        self.use_dates = QCheckBox("From")
        self.date_from = QDateEdit(QDate.currentDate().addDays(-30))
        self.date_to = QDateEdit(QDate.currentDate())
        for de in (self.date_from, self.date_to):
            de.setCalendarPopup(True)
            de.setDisplayFormat("yyyy-MM-dd")
            de.setEnabled(False)
        self.use_dates.toggled.connect(self.date_from.setEnabled)
        self.use_dates.toggled.connect(self.date_to.setEnabled)
        self.refresh_button = QPushButton("Refresh")
        self.export_button = QPushButton("Export CSV…")
        self.count_label = QLabel()
        for w in (
            self.status,
            self.type,
            self.use_dates,
            self.date_from,
            QLabel("to"),
            self.date_to,
            self.refresh_button,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.export_button)
        lay.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(col, width)
        split.addWidget(self.table)
        self.detail = DetailPane()
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
        self.refresh_button.clicked.connect(self.apply_filters)
        self.export_button.clicked.connect(self._ask_export)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self.model.error_changed.connect(self._error)
        self.model.rowsArrived.connect(self._track_in_flight)
        self.model.modelReset.connect(self._count)
        self.model.rowsInserted.connect(self._count)
        self.model.dataChanged.connect(self._refresh_detail)
        self.hub.transactionChanged.connect(self.model.queue_update)
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
        self.banners.remove("error")
        self.detail.show_transaction(None)
        self.model.set_filters(**self.filters())

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
        more = "+" if self.model.has_more else ""
        self.count_label.setText(f"{self.model.rowCount()}{more} transactions")

    def _track_in_flight(self, rows: list) -> None:
        for t in rows:  # a page is a fact too: the customer pane may show these
            self.hub.publish_transaction(t, immediate=False)
        self.hub.track_many([t.id for t in rows if str(t.status) == "processing"])
        self._count()

    def _selected(self, current: QModelIndex, _prev: QModelIndex) -> None:
        self.detail.show_transaction(self.model.transaction(current.row()))

    def _refresh_detail(self, top: QModelIndex, bottom: QModelIndex, *_: Any) -> None:
        t = self.detail.txn
        if t is None:
            return
        row = self.model.row_of(t.id)
        if row >= 0 and top.row() <= row <= bottom.row():
            self.detail.show_transaction(self.model.transaction(row))

    def select(self, txn_id: str) -> bool:
        row = self.model.row_of(txn_id)
        if row < 0:
            return False
        self.table.selectRow(row)
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
                        for t in page.data:
                            if filters.get("customer_id") and not _matches_local(t, filters):
                                continue
                            w.writerow(csv_row(t))
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
    "status",
    "subStatus",
    "sender",
    "recipient",
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
    return format(v, "f") if hasattr(v, "as_tuple") else str(v)


def csv_row(t: Any) -> list[str]:
    s, d, fees = t.source, t.destination, t.source.fees
    return [
        _plain(v)
        for v in (
            t.id,
            t.created_at,
            t.completed_at,
            str(t.type),
            str(t.status),
            t.sub_status,
            t.sender,
            t.recipient,
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
            counterparty(t),
            d.tx_hash,
            t.quote_id,
            t.cash_in_id,
            t.error.code if t.error else None,
            t.error.message if t.error else None,
        )
    ]


__all__ = [
    "COLUMNS",
    "DetailPane",
    "TransactionsModel",
    "TransactionsView",
    "csv_row",
    "flatten",
]
