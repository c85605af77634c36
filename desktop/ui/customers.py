"""Customers: a lazily paged table model over cursor pages, the name filter proxy,
and the search bar logic (server filters by id / email / external id).

The paging itself (generation counter, ``_loading`` guard, error state with
``retry()``) is ``desktop.ui.paged_model.PagedModel``; ``PagedTableModel`` adds slim
rows so that 100,000 customers stay small.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    QRect,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QTableView, QWidget

from desktop.oms import errors, models
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.paged_model import Fetch, PagedModel, _Index

PAGE_SIZE = 100

ROLE_OBJECT = Qt.ItemDataRole.UserRole + 1  # the model object of the row
ROLE_ID = Qt.ItemDataRole.UserRole + 2


_SEVERITY = ("REJECTED", "OFFBOARDED", "REVOKED_ISSUES", "ISSUES", "PENDING", "ACTIVE")
#: An endorsement status in the words a support agent reads (never the wire's enum).
_STATUS_WORDS = {
    "REJECTED": "rejected",
    "OFFBOARDED": "offboarded",
    "REVOKED_ISSUES": "revoked",
    "ISSUES": "with issues",
    "PENDING": "pending",
    "ACTIVE": "active",
    "INACTIVE": "not requested",
}


def _words(status: str) -> str:
    return _STATUS_WORDS.get(status, status.lower().replace("_", " "))


def endorsement_summary(c: models.Customer) -> str:
    """Compact, the worst first: "3 active", "2 pending, 1 active", "none requested"."""
    counts: dict[str, int] = {}
    for e in c.endorsements:
        st = str(e.status)
        if st in ("INACTIVE", "UNKNOWN"):
            continue
        counts[st] = counts.get(st, 0) + 1
    if not counts:
        return "none requested"
    order = sorted(counts, key=lambda s: _SEVERITY.index(s) if s in _SEVERITY else -1)
    text = ", ".join(f"{counts[s]} {_words(s)}" for s in order)
    return ("✓ " if set(counts) == {"ACTIVE"} else "") + text


def endorsement_worst(c: models.Customer) -> str | None:
    present = {str(e.status) for e in c.endorsements}
    return next((s for s in _SEVERITY if s in present), None)


def endorsement_tooltip(c: models.Customer) -> str:
    lines = []
    for e in c.endorsements:
        line = f"{e.name}: {_words(str(e.status))}"
        if e.requirements.missing:
            line += f" — missing {', '.join(e.requirements.missing)}"
        lines.append(line)
    return "\n".join(lines)


def format_when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return dt.astimezone().strftime("%Y-%m-%d %H:%M")


class PagedTableModel(PagedModel):
    """Lazy model of slim rows: rows arrive page by page from ``fetch(cursor)``."""

    # Rows are slim tuples (id, display strings…, extras) so that 100,000 rows stay
    # small and invisible to the cyclic GC; full objects are kept only for the first
    # rows and for rows updated in place (the detail pane loads the full object anyway).

    def __init__(self, scope: TaskScope, fetch: Fetch | None = None, parent=None) -> None:
        super().__init__(scope, fetch, parent)
        self._full: dict[str, Any] = {}

    # ---- rows --------------------------------------------------------------------

    FULL_KEEP = 500  # rows whose full objects are kept

    def make_row(self, obj: Any) -> tuple:
        return self.slim(obj)

    def row_key(self, row: tuple) -> str:
        return row[0]

    def rows_cleared(self) -> None:
        self._full = {}

    def rows_inserted(self, first: int, objs: list[Any]) -> None:
        for i, obj in enumerate(objs):
            if first + i < self.FULL_KEEP:
                self._full[self.row_id(obj)] = obj

    def slim(self, obj: Any) -> tuple:  # pragma: no cover - overridden
        """(id, one display string per column, extras…)."""
        return (self.row_id(obj), *("" for _ in self.columns))

    def expand(self, slim: tuple) -> Any:  # pragma: no cover - overridden
        """A minimal object for a row whose full object was not kept."""
        return None

    def row_object(self, row: int) -> Any:
        if not 0 <= row < len(self._rows):
            return None
        slim = self._rows[row]
        full = self._full.get(slim[0])
        return full if full is not None else self.expand(slim)

    def objects(self) -> list[Any]:
        return [self.row_object(r) for r in range(len(self._rows))]

    def replace_object(self, obj: Any) -> bool:
        """Update a row in place (after an edit); True when present."""
        row = self.row_of(self.row_id(obj))
        if row < 0:
            return False
        self._rows[row] = self.slim(obj)
        self._full[self.row_id(obj)] = obj
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
        return True

    def prepend_object(self, obj: Any) -> None:
        """Insert a newly created object at the top (lists are newest first)."""
        if self.row_of(self.row_id(obj)) >= 0:
            self.replace_object(obj)
            return
        self._full[self.row_id(obj)] = obj
        self.insert_objects(0, [obj])

    # ---- Qt model API ------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._rows)) or not (0 <= col < len(self.columns)):
            return None
        slim = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return slim[col + 1]
        if role == ROLE_OBJECT:
            return self.row_object(row)
        if role == ROLE_ID:
            return slim[0]
        return self.cell(slim, col, role)

    def cell(self, slim: tuple, col: int, role: int):  # pragma: no cover - overridden
        return None


class CustomersModel(PagedTableModel):
    columns = ("Name", "Email", "External id", "Status", "Endorsements", "Created")
    COL_NAME = 0

    # slim row: (id, name, email, externalId, status, endorsements, created, worst, tooltip)

    def slim(self, c: models.Customer) -> tuple:
        i = sys.intern
        return (
            c.id,
            c.display_name,
            c.email or "",
            c.external_id or "",
            i(str(c.status)),
            i(endorsement_summary(c)),
            format_when(c.created_at),
            i(endorsement_worst(c) or ""),
            i(endorsement_tooltip(c)),
        )

    def expand(self, slim: tuple) -> models.Customer:
        return models.Customer(
            id=slim[0],
            first_name=slim[1],
            email=slim[2] or None,
            external_id=slim[3] or None,
            status=models.CustomerStatus.parse(slim[4]),
        )

    def cell(self, slim: tuple, col: int, role: int):
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 4:
                return slim[8]
            if col == 0:
                return slim[0]
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 3 and slim[4] != "active":
                return QColor(theme.colors().muted)
            if col == 4:
                worst = slim[7]
                if worst in ("REJECTED", "OFFBOARDED", "REVOKED_ISSUES"):
                    return QColor(theme.colors().error[1])
                if worst in ("PENDING", "ISSUES"):
                    return QColor(theme.colors().warning[1])
            return None
        return None


#: The widest an Endorsements cell grows the column (a pathological summary is elided).
ENDORSEMENTS_MAX = 420


class ColumnFitter(QObject):
    """Keeps one column of ``table`` as wide as the longest text ``model`` shows in it
    (issue 14: nothing is clipped), like the Transactions table's Counterparty column:
    rows arriving page by page or updated in place widen it, it never shrinks, and it is
    capped at ``cap``. Each distinct text is measured once (summaries repeat)."""

    def __init__(self, table: QTableView, model: Any, col: int, cap: int) -> None:
        super().__init__(table)
        self.table, self.model, self.col, self.cap = table, model, col, cap
        self._measured: set[str] = set()
        model.rowsInserted.connect(lambda _p, first, last: self.fit(first, last))
        model.dataChanged.connect(lambda top, bottom, *_: self.fit(top.row(), bottom.row()))
        model.modelReset.connect(self._measured.clear)
        self.fit(0, model.rowCount() - 1)

    def fit(self, first: int, last: int) -> None:
        fm = self.table.fontMetrics()
        style = self.table.style()
        margin = 2 * (
            style.pixelMetric(style.PixelMetric.PM_FocusFrameHMargin, None, self.table) + 1
        )
        widest = 0
        for r in range(max(0, first), min(last, self.model.rowCount() - 1) + 1):
            text = self.model.index(r, self.col).data() or ""
            if text not in self._measured:
                self._measured.add(text)
                widest = max(widest, fm.horizontalAdvance(text))
        header = self.table.horizontalHeader()
        width = min(self.cap, widest + margin + 4)
        if width > header.sectionSize(self.col):
            header.resizeSection(self.col, width)


class NameFilterProxy(QSortFilterProxyModel):
    """Filters the loaded rows by name (column 0), case-insensitively, as typed.

    Forwards ``canFetchMore``/``fetchMore`` to the source, so scrolling keeps paging.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFilterKeyColumn(0)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(False)

    def set_name_filter(self, text: str) -> None:
        self.setFilterRegularExpression(
            QRegularExpression(
                QRegularExpression.escape(text.strip()),
                QRegularExpression.PatternOption.CaseInsensitiveOption,
            )
        )


# ---- search ------------------------------------------------------------------------

SEARCH_MODES = ("Name", "Email", "External id", "Customer id")


def detect_search_mode(text: str, current: str) -> str:
    """Switch the mode when the input makes it obvious (an @, a cst_ prefix)."""
    t = text.strip()
    if t.lower().startswith("cst_"):
        return "Customer id"
    if "@" in t:
        return "Email"
    return current


def customers_fetch(client, mode: str = "", text: str = "", page_size: int = PAGE_SIZE) -> Fetch:
    """The page loader for a search mode: server filters for email / external id / id."""
    text = text.strip()

    if mode == "Customer id" and text:

        async def by_id(cursor: str | None) -> models.Page:
            if cursor is not None:
                return models.Page()
            try:
                c = await client.get_customer(text)
            except errors.NotFound:
                return models.Page()
            except errors.ValidationError:
                return models.Page()
            return models.Page(data=(c,), has_more=False)

        return by_id

    kwargs: dict[str, str] = {}
    if mode == "Email" and text:
        kwargs["email"] = text
    elif mode == "External id" and text:
        kwargs["external_id"] = text

    async def page(cursor: str | None) -> models.Page:
        return await client.list_customers(limit=page_size, starting_after=cursor, **kwargs)

    return page


class LoadingRows(QWidget):
    """Skeleton rows over the customers table while its first page is on its way.

    The window shows at once at start-up (issue 15): until the first customers arrive, the
    empty table shows a few grey placeholder rows, the first saying "Loading customers…",
    as one accessible element named so. They show while a profile connects
    (``set_connecting``) or the model loads with no row yet, and go with the first row, an
    error (the banner with Retry says it) or an empty result. The model is untouched: row
    counts, selection and the first-paint probe see only real rows.
    """

    ROWS = 6
    TEXT = "Loading customers…"

    def __init__(self, table: QTableView, model: PagedModel) -> None:
        super().__init__(table.viewport())
        self.setObjectName("customersLoading")
        self.setAccessibleName(self.TEXT)
        self.setAccessibleDescription("Placeholder rows until the first customers arrive")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._table = table
        self._model = model
        self._connecting = False
        for sig in (model.loading_changed, model.error_changed):
            sig.connect(self._update)
        for sig in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            sig.connect(self._update)
        table.viewport().installEventFilter(self)
        self._update()

    def set_connecting(self, on: bool) -> None:
        """A profile is being opened: no model fetch yet, but rows are coming."""
        self._connecting = on
        self._update()

    def wanted(self) -> bool:
        m = self._model
        return m.rowCount() == 0 and m.error is None and (self._connecting or m.loading)

    def _update(self, *_args) -> None:
        on = self.wanted()
        if on:
            self.setGeometry(self._table.viewport().rect())
            self.raise_()
        self.setVisible(on)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self._table.viewport().rect())
        return False

    def paintEvent(self, _event) -> None:
        t = self._table
        pal = self.palette()
        h = t.verticalHeader().defaultSectionSize()
        bar = QColor(pal.color(QPalette.ColorRole.Mid))
        bar.setAlpha(90)
        p = QPainter(self)
        try:
            for r in range(self.ROWS):
                y = r * h
                role = QPalette.ColorRole.AlternateBase if r % 2 else QPalette.ColorRole.Base
                p.fillRect(QRect(0, y, self.width(), h), pal.color(role))
                for c in range(t.model().columnCount() if t.model() else 0):
                    x, w = t.columnViewportPosition(c), t.columnWidth(c)
                    if r == 0 and c == 0:
                        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
                        p.drawText(
                            QRect(x + 6, y, max(w, 160), h),
                            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                            self.TEXT,
                        )
                        continue
                    bw = max(8, int(w * (0.55 + 0.3 * ((r + c) % 3) / 2)) - 12)
                    p.fillRect(QRect(x + 6, y + h // 2 - 4, min(bw, w - 12), 8), bar)
        finally:
            p.end()
