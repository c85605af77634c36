"""The Developers tab (issue 16): webhook endpoints, the live events console, delivery logs
and a delivery checker.

* **Endpoints** — list, create (D14 URL rule, filters as exact names or ``prefix.*``; the
  ``whsec_`` secret shown once), enable/disable, delete (confirmed). Field errors under the
  fields; a server error leaves the screen as it was.
* **Live events** (sandbox profiles) — the session's ``DeskWebhooks`` runs a loopback
  receiver with its own endpoint; each delivery arrives verified (✓/✗ and why) and is shown
  with its headers and pretty body; filter by type and object, pause, clear, export JSON
  Lines. Rows are appended in batches by a short timer, so a burst costs a few redraws.
* **Delivery log** (sandbox) — ``GET /sandbox/webhooks/{id}/deliveries``: attempts, status
  codes, next retry, final state; a 410 that disabled the endpoint is said in words.
* **Verify a delivery** (every profile) — headers, raw body and secret → valid or not, why.

All background work goes through ``Op``; verified events go into the hub (``DeskWebhooks``).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.oms import errors, models
from desktop.receiver.desk import keep_secret_in_keyring
from desktop.receiver.log import Received
from desktop.receiver.verify import EVENT_TYPES, check_delivery, filter_problem, url_problem
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.op import Op, error_text
from desktop.ui.session import Session
from desktop.ui.widgets import mnemonics
from desktop.ui.widgets.banner import BannerArea
from desktop.ui.widgets.copyable import CopyableValue

__all__ = ["DevelopersView", "EndpointDialog", "EventsModel"]

APPEND_MS = 100  # rows arriving within this window are appended in one go
PATTERNS = ("transaction.*", "cashIn.*", "customer.*", "wallet.*", *EVENT_TYPES)


def _fixed_font():
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def _iso(dt: Any) -> str:
    if isinstance(dt, datetime):
        return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(dt or "")


def split_filters(text: str) -> list[str]:
    return [p for p in (x.strip() for x in text.replace(",", " ").split()) if p]


# ---------------------------------------------------------------------------- endpoints
class EndpointDialog(QDialog):
    """Create an endpoint; then show its secret once."""

    created = Signal(object)  # models.WebhookEndpoint

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New webhook endpoint")
        self.setObjectName("endpointDialog")
        self.session = session
        self.scope = TaskScope("endpoint dialog")
        self.endpoint: models.WebhookEndpoint | None = None
        lay = QVBoxLayout(self)
        self.banners = BannerArea()
        lay.addWidget(self.banners)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack)

        form_page = QWidget()
        form = QFormLayout(form_page)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.com/oms/webhooks")
        self.url_error = QLabel()
        self.url_error.setProperty("role", "fieldError")
        self.url_error.setStyleSheet(theme.text_style("error"))
        self.url_error.hide()
        form.addRow("URL", self.url)
        form.addRow("", self.url_error)
        self.events = QLineEdit()
        self.events.setPlaceholderText("empty = every event; e.g. transaction.* cashIn.completed")
        self.events_error = QLabel()
        self.events_error.setProperty("role", "fieldError")
        self.events_error.setStyleSheet(theme.text_style("error"))
        self.events_error.setWordWrap(True)
        self.events_error.hide()
        form.addRow("Events", self.events)
        form.addRow("", self.events_error)
        self.choices = QListWidget()
        self.choices.addItems(list(PATTERNS))
        self.choices.setToolTip("Double-click to add a filter")
        self.choices.setMaximumHeight(150)
        self.choices.itemDoubleClicked.connect(lambda item: self._add_filter(item.text()))
        form.addRow("D14 events", self.choices)
        self.stack.addWidget(form_page)

        secret_page = QWidget()
        sl = QVBoxLayout(secret_page)
        self.secret_note = QLabel(
            "<b>Store this signing secret now.</b> It is shown only this once: OMS never "
            "returns it again. Your server verifies each delivery with it (Standard "
            "Webhooks; the key is the hex after <code>whsec_</code>)."
        )
        self.secret_note.setWordWrap(True)
        sl.addWidget(self.secret_note)
        self.secret = CopyableValue("")
        self.secret.setObjectName("endpointSecret")
        sl.addWidget(self.secret)
        self.keep = QCheckBox("Also keep it in the system keyring on this computer")
        sl.addWidget(self.keep)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(theme.text_style("muted"))
        sl.addWidget(self.summary)
        sl.addStretch(1)
        self.stack.addWidget(secret_page)

        self.buttons = QDialogButtonBox()
        self.create_button = self.buttons.addButton(
            "Create", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.done_button: QPushButton | None = None
        mnemonics.assign(self)  # every button (issue 14)
        self.resize(560, 420)

    def _add_filter(self, pattern: str) -> None:
        current = split_filters(self.events.text())
        if pattern not in current:
            current.append(pattern)
        self.events.setText(", ".join(current))

    def show_field_error(self, field: str, message: str | None) -> None:
        label = self.url_error if field == "url" else self.events_error
        label.setText(message or "")
        label.setVisible(bool(message))

    def field_error(self, field: str) -> str:
        label = self.url_error if field == "url" else self.events_error
        return label.text() if label.isVisible() else ""

    def validate(self) -> bool:
        url_msg = url_problem(self.url.text())
        problems = [m for m in (filter_problem(p) for p in split_filters(self.events.text())) if m]
        self.show_field_error("url", url_msg)
        self.show_field_error("events", " ".join(problems) or None)
        return url_msg is None and not problems

    def submit(self) -> None:
        if self.endpoint is not None:
            self.accept()
            return
        self.banners.remove("error")
        if not self.validate():
            return
        url, events = self.url.text().strip(), split_filters(self.events.text())
        client = self.session.client
        Op(self.scope, lambda: client.create_webhook(url, events), name="webhook.create").busy(
            self.create_button, self.url, self.events
        ).success(self._created).failure(self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        param = getattr(exc, "param", None) or ""
        if isinstance(exc, errors.ValidationError) and param.split(".")[0] in ("url", "events"):
            self.show_field_error(param.split(".")[0], error_text(exc))
            return
        self.banners.set("error", f"The endpoint was not created: {error_text(exc)}", "error")

    def _created(self, hook: models.WebhookEndpoint) -> None:
        self.endpoint = hook
        self.secret.set_value(hook.secret or "")
        self.summary.setText(
            f"Endpoint {hook.id} → {hook.url}\nEvents: {', '.join(hook.events) or 'every event'}"
        )
        self.stack.setCurrentIndex(1)
        self.create_button.setText("&Done")
        self.cancel_button.hide()
        self.created.emit(hook)

    def done(self, result: int) -> None:
        hook = self.endpoint
        if hook is not None and self.keep.isChecked() and hook.secret:
            secret, ident = hook.secret, hook.id
            owner = self.parent() if isinstance(self.parent(), DevelopersView) else None
            scope = owner.scope if owner is not None else self.session.scope

            def said(ok: bool) -> None:
                if owner is not None:
                    text = (
                        f"The secret of {ident} is in the system keyring."
                        if ok
                        else "No system keyring is available: the secret was not stored."
                    )
                    owner.banners.set("keyring", text, "success" if ok else "warning")

            Op(scope, lambda: keep_secret_in_keyring(ident, secret), name="keyring").success(
                said
            ).run()
        self.secret.set_value("")
        self.scope.cancel_all()
        super().done(result)


class EndpointsPane(QWidget):
    endpoints_changed = Signal(list)

    def __init__(self, view: DevelopersView) -> None:
        super().__init__(view)
        self.view = view
        self.session = view.session
        self.endpoints: list[models.WebhookEndpoint] = []
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.new_button = QPushButton("New endpoint…")
        self.toggle_button = QPushButton("Disa&ble")
        self.delete_button = QPushButton("Delete…")
        self.refresh_button = QPushButton("Refresh")
        theme.set_icon(self.refresh_button, "refresh")
        for b in (self.new_button, self.toggle_button, self.delete_button, self.refresh_button):
            bar.addWidget(b)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Webhook endpoints")
        self.tree.setObjectName("endpointsTree")
        self.tree.setHeaderLabels(["URL", "Events", "State", "Created", "Id"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.tree)
        self.new_button.clicked.connect(self.new_endpoint)
        self.toggle_button.clicked.connect(self.toggle)
        self.delete_button.clicked.connect(self.confirm_delete)
        self.refresh_button.clicked.connect(self.load)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()
        self.dialog: EndpointDialog | None = None
        self.confirm: QMessageBox | None = None

    def current(self) -> models.WebhookEndpoint | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_buttons(self) -> None:
        hook = self.current()
        for b in (self.toggle_button, self.delete_button):
            b.setEnabled(hook is not None and not Op.is_busy(b))
        if hook is not None:
            self.toggle_button.setText("Disa&ble" if hook.enabled else "Ena&ble")

    def load(self) -> None:
        client = self.session.client

        async def all_endpoints() -> list:
            out: list = []
            after = None
            while True:
                page = await client.list_webhooks(limit=100, starting_after=after)
                out.extend(page.data)
                if not page.has_more or not page.data:
                    return out
                after = page.data[-1].id

        Op(self.view.scope, all_endpoints, name="webhooks.list").busy(self.refresh_button).success(
            self.show_endpoints
        ).failure(self.view.banners, label="Loading the endpoints").run()

    def show_endpoints(self, hooks: list) -> None:
        keep = self.current().id if self.current() is not None else None
        self.endpoints = list(hooks)
        self.tree.clear()
        for hook in self.endpoints:
            item = QTreeWidgetItem(
                [
                    hook.url or "",
                    ", ".join(hook.events) or "every event",
                    "enabled" if hook.enabled else "disabled",
                    _iso(hook.created_at),
                    hook.id,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, hook)
            if not hook.enabled:
                item.setForeground(2, QColor(theme.colors().error[1]))
            self.tree.addTopLevelItem(item)
            if hook.id == keep:
                self.tree.setCurrentItem(item)
        for col in range(1, 5):
            self.tree.resizeColumnToContents(col)
        self._update_buttons()
        self.endpoints_changed.emit(self.endpoints)

    def _replace(self, hook: models.WebhookEndpoint) -> None:
        self.show_endpoints([hook if h.id == hook.id else h for h in self.endpoints])

    def new_endpoint(self) -> EndpointDialog:
        dlg = EndpointDialog(self.session, self.view)
        dlg.created.connect(lambda hook: self.show_endpoints([hook, *self.endpoints]))
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.dialog = dlg
        return dlg

    def toggle(self) -> None:
        hook = self.current()
        if hook is None:
            return
        client, enable = self.session.client, not hook.enabled
        Op(
            self.view.scope,
            lambda: client.update_webhook(hook.id, enabled=enable),
            name="webhook.toggle",
        ).busy(self.toggle_button, self.delete_button).success(self._replace).failure(
            self.view.banners, label=("Enabling" if enable else "Disabling") + " the endpoint"
        ).run()

    def confirm_delete(self) -> QMessageBox | None:
        hook = self.current()
        if hook is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete endpoint",
            f"Delete the endpoint {hook.url}?\nOMS stops delivering to it at once; pending "
            "retries are cancelled. This cannot be undone.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        mnemonics.assign(box)

        def answered(_result: int) -> None:
            if box.clickedButton() is delete:
                self.delete(hook)

        box.finished.connect(answered)
        box.open()
        self.confirm = box
        return box

    def delete(self, hook: models.WebhookEndpoint) -> None:
        client = self.session.client
        Op(self.view.scope, lambda: client.delete_webhook(hook.id), name="webhook.delete").busy(
            self.toggle_button, self.delete_button
        ).success(
            lambda _r: self.show_endpoints([h for h in self.endpoints if h.id != hook.id])
        ).failure(self.view.banners, label="Deleting the endpoint").run()


# ---------------------------------------------------------------------------- live events
class EventsModel(QAbstractTableModel):
    """Received deliveries, oldest first; ``add`` queues, a timer appends in batches."""

    HEADERS = ("Time", "Type", "Object", "Verified", "Reason")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Received] = []
        self.pending: list[Received] = []
        self.paused = False
        self.limit = 10_000
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(APPEND_MS)
        self._timer.timeout.connect(self.flush)
        self.batches = 0
        self._seqs: set[int] = set()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                _when(r.received_at),
                r.type or "(no type)",
                r.object_id,
                r.mark,
                r.reason,
            )[col]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            # What a screen reader says for a cell: words for the mark, never an empty name
            # (a verified delivery has no reason; some events name no object).
            if col == 3:
                return "verified" if r.valid else "not verified"
            if col == 2:
                return r.object_id or "no object"
            if col == 4:
                return r.reason or "no reason"
            return None
        if role == Qt.ItemDataRole.ForegroundRole and col in (3, 4):
            c = theme.colors()
            return QColor(c.success[1] if r.valid else c.error[1])
        if role == Qt.ItemDataRole.UserRole:
            return r
        if role == Qt.ItemDataRole.ToolTipRole and col == 3:
            return "verified" if r.valid else f"not verified: {r.reason}"
        return None

    def add(self, rec: Received) -> None:
        if rec.seq in self._seqs:
            return  # read from the log and handed over live: shown once
        self._seqs.add(rec.seq)
        self.pending.append(rec)
        if not self.paused and not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        if self.paused or not self.pending:
            return
        batch, self.pending = self.pending, []
        self.batches += 1
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self.rows.extend(batch)
        self.endInsertRows()
        extra = len(self.rows) - self.limit
        if extra > 0:
            self.beginRemoveRows(QModelIndex(), 0, extra - 1)
            for r in self.rows[:extra]:
                self._seqs.discard(r.seq)
            del self.rows[:extra]
            self.endRemoveRows()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.flush()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows.clear()
        self.pending.clear()
        self.endResetModel()


class EventsFilter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.type_filter = ""  # exact name or "prefix."
        self.object_filter = ""

    def set_filters(self, type_filter: str, object_filter: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.10: invalidateFilter is deprecated
            self.beginFilterChange()
            self.type_filter, self.object_filter = type_filter, object_filter.strip()
            self.endFilterChange()
        else:
            self.type_filter, self.object_filter = type_filter, object_filter.strip()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        rec: Received = self.sourceModel().rows[row]
        t = self.type_filter
        if t and not (rec.type == t or (t.endswith(".") and rec.type.startswith(t))):
            return False
        return not self.object_filter or self.object_filter in rec.object_id


class ConsolePane(QWidget):
    def __init__(self, view: DevelopersView) -> None:
        super().__init__(view)
        self.view = view
        self.session = view.session
        self.webhooks = getattr(view.session, "webhooks", None)
        self._unsubscribe = None
        self.loaded = False
        lay = QVBoxLayout(self)
        self.state = QLabel()
        self.state.setWordWrap(True)
        lay.addWidget(self.state)
        bar = QHBoxLayout()
        self.listen_button = QPushButton("Start &listening")
        self.type_filter = QComboBox()
        self.type_filter.addItem("Every type", "")
        for family in ("transaction.", "cashIn.", "customer.", "wallet."):
            self.type_filter.addItem(family + "*", family)
        for t in EVENT_TYPES:
            self.type_filter.addItem(t, t)
        self.type_filter.setAccessibleName("Event type filter")
        self.object_filter = QLineEdit()
        self.object_filter.setAccessibleName("Object id filter")
        self.object_filter.setPlaceholderText("Object id")
        self.object_filter.setClearButtonEnabled(True)
        self.pause = QCheckBox("Pause")
        self.clear_button = QPushButton("Clear")
        self.export_button = QPushButton("Export JSON Lines…")
        for w in (
            self.listen_button,
            self.type_filter,
            self.object_filter,
            self.pause,
            self.clear_button,
            self.export_button,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        self.count = QLabel()
        bar.addWidget(self.count)
        lay.addLayout(bar)

        self.model = EventsModel(self)
        self.proxy = EventsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("eventsTable")
        self.table.setAccessibleName("Live events")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in ((0, 80), (1, 280), (2, 290), (3, 70)):
            self.table.setColumnWidth(col, width)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(_fixed_font())
        self.detail.setObjectName("eventDetail")
        self.detail.setAccessibleName("Event JSON")
        self.open_button = QPushButton("Open object")
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.detail)
        rl.addWidget(self.open_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(right)
        split.setSizes([300, 200])
        lay.addWidget(split, 1)

        self.listen_button.clicked.connect(self.toggle_listening)
        self.type_filter.currentIndexChanged.connect(self._refilter)
        self.object_filter.textChanged.connect(self._refilter)
        self.pause.toggled.connect(self.model.set_paused)
        self.clear_button.clicked.connect(self.model.clear)
        self.export_button.clicked.connect(self._ask_export)
        self.table.selectionModel().currentRowChanged.connect(self._show_current)
        self.table.doubleClicked.connect(lambda _i: self.open_object())
        self.open_button.clicked.connect(self.open_object)
        self.model.rowsInserted.connect(self._update_count)
        self.model.modelReset.connect(self._update_count)
        self._update_state()

    # ---- listening --------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.webhooks is not None and self.webhooks.running

    def _update_state(self) -> None:
        wh = self.webhooks
        if wh is None or not wh.can_listen:
            self.state.setText(
                "The live console needs a sandbox profile: a real OMS cannot reach this "
                "computer. Use “Verify a delivery” to check what your server received."
            )
            self.listen_button.setEnabled(False)
            return
        if wh.running:
            self.state.setText(
                f"Listening on {wh.url} — every event, verified with its own secret. The "
                "endpoint is removed when you stop, close the profile or quit."
            )
            self.listen_button.setText("Stop &listening")
        else:
            self.state.setText("Not listening. Start to receive this account's events here.")
            self.listen_button.setText("Start &listening")

    def _update_count(self, *_: Any) -> None:
        self.count.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} events")

    def load_today(self) -> None:
        """Today's deliveries from the profile's log (once), then start listening."""
        wh = self.webhooks
        if wh is None or self.loaded:
            return
        self.loaded = True
        self._unsubscribe = wh.subscribe(lambda rec, _v: self.model.add(rec))

        async def today() -> list:
            return await asyncio.to_thread((await wh.event_log()).today)

        def show(rows: list) -> None:
            for r in rows:
                self.model.add(r)
            self.model.flush()

        Op(self.view.scope, today, name="webhooks.today").success(show).failure(
            self.view.banners, label="Reading the event log"
        ).run()

    def start(self):
        wh = self.webhooks
        if wh is None or not wh.can_listen:
            return None
        self.load_today()
        return (
            Op(self.view.scope, wh.start, name="webhooks.listen")
            .busy(self.listen_button)
            .success(lambda _id: (self._update_state(), self.view.endpoints.load()))
            .failure(self.view.banners, label="Starting the live console")
            .run()
        )

    def stop(self):
        wh = self.webhooks
        if wh is None:
            return None
        return (
            Op(self.view.scope, wh.stop, name="webhooks.stop")
            .busy(self.listen_button)
            .success(lambda _r: (self._update_state(), self.view.endpoints.load()))
            .failure(self.view.banners, label="Stopping the live console")
            .run()
        )

    def toggle_listening(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # ---- viewing ------------------------------------------------------------------
    def _refilter(self, *_: Any) -> None:
        self.proxy.set_filters(self.type_filter.currentData() or "", self.object_filter.text())
        self._update_count()

    def current(self) -> Received | None:
        idx = self.table.currentIndex()
        return idx.data(Qt.ItemDataRole.UserRole) if idx.isValid() else None

    def _show_current(self, *_: Any) -> None:
        rec = self.current()
        if rec is None:
            self.detail.clear()
            return
        head = f"{rec.mark} {'verified' if rec.valid else 'NOT verified: ' + rec.reason}\n\n"
        headers = "\n".join(f"{k}: {v}" for k, v in rec.headers.items())
        payload = rec.payload
        body = (
            json.dumps(payload, indent=2, ensure_ascii=False) if payload is not None else rec.body
        )
        self.detail.setPlainText(f"{head}{headers}\n\n{body}")
        self.open_button.setEnabled(bool(rec.object_id))

    def open_object(self) -> None:
        rec = self.current()
        if rec is not None and rec.object_id:
            self.view.goto.emit(rec.object_id)

    def visible_rows(self) -> list[Received]:
        return [
            self.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole)
            for r in range(self.proxy.rowCount())
        ]

    def export_jsonl(self, path: str) -> int:
        rows = self.visible_rows()
        with open(path, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
        return len(rows)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export events", "webhook-events.jsonl", "JSON Lines (*.jsonl)"
        )
        if path:
            try:
                n = self.export_jsonl(path)
            except OSError as exc:
                self.view.banners.set("export", f"Export failed: {exc}", "error")
                return
            self.view.banners.set("export", f"Exported {n} events to {path}.", "success")


# ---------------------------------------------------------------------------- delivery log
def explain_deliveries(hook: models.WebhookEndpoint | None, deliveries: list[dict]) -> str:
    """Words for the state of an endpoint's deliveries (a 410 that disabled it, above all)."""
    if hook is None:
        return ""
    gone = [d for d in deliveries if d.get("lastStatusCode") == 410]
    if gone and not hook.enabled:
        d = gone[0]
        return (
            f"This endpoint answered 410 Gone to {d.get('eventType')} ({d.get('eventId')}) at "
            f"{_attempt_time(d)}, so OMS disabled it: nothing more is delivered, and "
            "nothing is retried, until you enable it again."
        )
    failing = [d for d in deliveries if d.get("status") == "pending" and d.get("attemptCount")]
    if failing:
        return (
            f"{len(failing)} delivery(ies) failed and will be retried (5 s, 5 min, 30 min, 2 h, "
            "5 h, 10 h after each attempt on the sandbox clock)."
        )
    if not hook.enabled:
        return "This endpoint is disabled: events are not delivered to it."
    return ""


def _attempt_time(d: dict) -> str:
    attempts = d.get("attempts") or []
    return _local(attempts[-1].get("at") if attempts else d.get("createdAt"))


def _local(text: Any) -> str:
    """An ISO time of the wire as local time (sandbox clock), or the text itself."""
    dt = models.parse_datetime(text) if isinstance(text, str) else None
    return _iso(dt) if dt is not None else str(text or "")


class DeliveryLogPane(QWidget):
    def __init__(self, view: DevelopersView) -> None:
        super().__init__(view)
        self.view = view
        self.session = view.session
        self.deliveries: list[dict] = []
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.endpoint = QComboBox()
        self.endpoint.setAccessibleName("Endpoint")
        self.endpoint.setMinimumWidth(380)
        self.refresh_button = QPushButton("Refresh")
        theme.set_icon(self.refresh_button, "refresh")
        bar.addWidget(QLabel("Endpoint"))
        bar.addWidget(self.endpoint, 1)
        bar.addWidget(self.refresh_button)
        lay.addLayout(bar)
        self.explain = QLabel()
        self.explain.setObjectName("deliveryExplain")
        self.explain.setWordWrap(True)
        self.explain.setStyleSheet(theme.text_style("warning", bold=True))
        lay.addWidget(self.explain)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Delivery log")
        self.tree.setObjectName("deliveriesTree")
        self.tree.setHeaderLabels(
            ["Event", "Status", "Attempts", "Last code", "Created", "Next retry", "Event id"]
        )
        lay.addWidget(self.tree, 1)
        self.refresh_button.clicked.connect(self.load)
        self.endpoint.currentIndexChanged.connect(lambda *_: self.load())
        if not self.session.is_sandbox:
            self.explain.setText("Delivery logs are a sandbox extra: OMS does not serve them.")
            self.refresh_button.setEnabled(False)

    def set_endpoints(self, hooks: list) -> None:
        keep = self.endpoint.currentData()
        self.endpoint.blockSignals(True)
        self.endpoint.clear()
        for h in hooks:
            self.endpoint.addItem(f"{h.url}  ({h.id})", h.id)
        self.endpoint.setCurrentIndex(max(self.endpoint.findData(keep), 0))
        self.endpoint.blockSignals(False)
        self._hooks = {h.id: h for h in hooks}

    def current_hook(self) -> models.WebhookEndpoint | None:
        return getattr(self, "_hooks", {}).get(self.endpoint.currentData())

    def load(self) -> None:
        hook_id = self.endpoint.currentData()
        if not hook_id or not self.session.is_sandbox:
            return
        client = self.session.client

        async def fetch() -> tuple:
            hook = await client.get_webhook(hook_id)
            return hook, await client.sandbox_webhook_deliveries(hook_id, limit=100)

        Op(self.view.scope, fetch, name="webhooks.deliveries").busy(self.refresh_button).success(
            self.show
        ).failure(self.view.banners, label="Loading the delivery log").run()

    def show(self, result: tuple) -> None:
        hook, deliveries = result
        self._hooks = {**getattr(self, "_hooks", {}), hook.id: hook}
        self.deliveries = list(deliveries)
        self.tree.clear()
        for d in self.deliveries:
            status = str(d.get("status", ""))
            final = {
                "succeeded": "delivered",
                "failed": "failed (final)",
                "cancelled": "cancelled",
            }.get(status, status)
            if status == "pending" and not hook.enabled:
                final = "held: endpoint disabled"
            elif status == "pending":
                final = "retrying" if d.get("attemptCount") else "queued"
            item = QTreeWidgetItem(
                [
                    str(d.get("eventType", "")),
                    final,
                    str(d.get("attemptCount", 0)),
                    str(d.get("lastStatusCode") or d.get("lastError") or ""),
                    _local(d.get("createdAt")),
                    _local(d.get("nextAttemptAt")) if hook.enabled else "—",
                    str(d.get("eventId", "")),
                ]
            )
            c = theme.colors()
            if status == "failed":
                item.setForeground(1, QColor(c.error[1]))
            elif status == "succeeded":
                item.setForeground(1, QColor(c.success[1]))
            for a in d.get("attempts") or []:
                code = a.get("statusCode")
                QTreeWidgetItem(
                    item,
                    [
                        f"attempt {a.get('n')}",
                        str(code if code is not None else a.get("error") or ""),
                        f"{a.get('durationMs', 0)} ms",
                        "",
                        _local(a.get("at")),
                        "",
                        "",
                    ],
                )
            self.tree.addTopLevelItem(item)
        for col in range(7):
            self.tree.resizeColumnToContents(col)
        text = explain_deliveries(hook, self.deliveries)
        self.explain.setText(text or f"{len(self.deliveries)} recent deliveries.")


# ---------------------------------------------------------------------------- verify
class VerifyPane(QWidget):
    def __init__(self, view: DevelopersView) -> None:
        super().__init__(view)
        lay = QVBoxLayout(self)
        intro = QLabel(
            "Paste what your server received — the headers (<code>Name: value</code> lines) "
            "and the raw body, byte for byte — and the endpoint's <code>whsec_</code> secret."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.headers = QPlainTextEdit()
        self.headers.setAccessibleName("Headers")
        self.headers.setPlaceholderText(
            "webhook-id: evt_…\nwebhook-timestamp: 1700000000\nwebhook-signature: v1,…"
        )
        self.headers.setMaximumHeight(90)
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Raw body")
        self.body.setPlaceholderText('{"id":"evt_…","object":"event",…}')
        self.body.setMaximumHeight(110)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("whsec_…")
        self.received_at = QCheckBox("Judge the timestamp by the time it was received:")
        self.received = QLineEdit()
        self.received.setAccessibleName("Received at, unix seconds")
        self.received.setPlaceholderText("unix seconds (default: now)")
        row = QHBoxLayout()
        row.addWidget(self.received_at)
        row.addWidget(self.received)
        for w in (self.headers, self.body):
            w.setFont(_fixed_font())
        form.addRow("Headers", self.headers)
        form.addRow("Raw body", self.body)
        form.addRow("Secret", self.secret)
        form.addRow("", row)
        lay.addLayout(form)
        self.verify_button = QPushButton("Verify")
        lay.addWidget(self.verify_button)
        self.result = QLabel()
        self.result.setObjectName("verifyResult")
        self.result.setWordWrap(True)
        lay.addWidget(self.result)
        self.parsed = QPlainTextEdit()
        self.parsed.setAccessibleName("Parsed delivery")
        self.parsed.setReadOnly(True)
        self.parsed.setFont(_fixed_font())
        lay.addWidget(self.parsed, 1)
        self.verify_button.clicked.connect(self.verify)

    def verify(self):
        now = None
        if self.received_at.isChecked():
            try:
                now = float(self.received.text().strip())
            except ValueError:
                self.result.setText("✗ The receipt time must be unix seconds.")
                self.result.setStyleSheet(theme.text_style("error", bold=True))
                return None
        v = check_delivery(
            self.headers.toPlainText(), self.body.toPlainText(), self.secret.text(), now=now
        )
        if v.valid:
            self.result.setText(
                f"✓ Valid: signed with this secret, timestamp within ±5 min. {'; '.join(v.notes)}"
            )
            self.result.setStyleSheet(theme.text_style("success", bold=True))
        else:
            extra = " (the signature itself matches this secret)" if v.signature_matches else ""
            self.result.setText(f"✗ Invalid: {v.reason}{extra}.")
            self.result.setStyleSheet(theme.text_style("error", bold=True))
        if v.event is not None:
            summary = f"type: {v.event.type}\nid: {v.event.id}\ncreatedAt: {v.event.created_at}\n"
            self.parsed.setPlainText(
                summary + "\n" + json.dumps(v.body, indent=2, ensure_ascii=False)
            )
        else:
            self.parsed.setPlainText("")
        return v


# ---------------------------------------------------------------------------- the tab
class DevelopersView(QWidget):
    """The Developers tab of one session. Its panes are built when it is first shown: a
    session that never opens the tab pays nothing for it."""

    goto = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("developersView")
        self.session = session
        self.scope = TaskScope("developers view")
        self._lay = QVBoxLayout(self)
        self.banners: BannerArea | None = None
        self.tabs: QTabWidget | None = None
        self.endpoints: EndpointsPane | None = None
        self.console: ConsolePane | None = None
        self.deliveries: DeliveryLogPane | None = None
        self.verify: VerifyPane | None = None

    @property
    def built(self) -> bool:
        return self.tabs is not None

    def build(self) -> None:
        if self.built:
            return
        self.banners = BannerArea()
        self._lay.addWidget(self.banners)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Developer tools")
        self._lay.addWidget(self.tabs, 1)
        self.endpoints = EndpointsPane(self)
        self.console = ConsolePane(self)
        self.deliveries = DeliveryLogPane(self)
        self.verify = VerifyPane(self)
        self.tabs.addTab(self.endpoints, "Endpoints")
        self.tabs.addTab(self.console, "Live events")
        self.tabs.addTab(self.deliveries, "Delivery log")
        self.tabs.addTab(self.verify, "Verify a delivery")
        self.endpoints.endpoints_changed.connect(self.deliveries.set_endpoints)
        self.tabs.currentChanged.connect(self._on_tab)
        # Every button a mnemonic, each pane its own page, clear of the window's menus.
        taken = mnemonics.window_letters(self)
        for pane in (self.endpoints, self.console, self.deliveries, self.verify):
            mnemonics.assign(pane, used=taken)
        self.endpoints.load()

    def showEvent(self, event) -> None:
        self.build()
        super().showEvent(event)

    def _on_tab(self, index: int) -> None:
        assert self.tabs is not None and self.console is not None
        page = self.tabs.widget(index)
        if page is self.console and not self.console.loaded:
            self.console.start()  # opening the console registers its endpoint
        elif page is self.deliveries and self.deliveries is not None:
            self.deliveries.load()

    def closeEvent(self, event) -> None:
        if self.console is not None:
            self.console.detach()
        super().closeEvent(event)

    def deleteLater(self) -> None:
        if self.console is not None:
            self.console.detach()
        self.scope.cancel_all()
        super().deleteLater()
