"""Customers: a lazily paged table model over cursor pages, the name filter proxy,
and the search bar logic (server filters by id / email / external id).

The model never does I/O in ``data()``. ``fetchMore`` spawns one page load on the
owner's TaskScope; a generation counter drops pages that arrive after a reset (new
search), a ``_loading`` guard prevents double fetches, and a failure stops paging
until ``retry()`` (the window shows it in a banner with Retry).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from desktop.oms import errors, models
from desktop.tasks import TaskScope
from desktop.ui import theme

log = logging.getLogger(__name__)

PAGE_SIZE = 100
Fetch = Callable[[str | None], Awaitable[models.Page]]
_Index = QModelIndex | QPersistentModelIndex

ROLE_OBJECT = Qt.ItemDataRole.UserRole + 1  # the model object of the row
ROLE_ID = Qt.ItemDataRole.UserRole + 2


_SEVERITY = ("REJECTED", "OFFBOARDED", "REVOKED_ISSUES", "ISSUES", "PENDING", "ACTIVE")


def endorsement_summary(c: models.Customer) -> str:
    """Compact: "3 active", "1 active, 2 pending", "none requested"."""
    counts: dict[str, int] = {}
    for e in c.endorsements:
        st = str(e.status)
        if st in ("INACTIVE", "UNKNOWN"):
            continue
        counts[st] = counts.get(st, 0) + 1
    if not counts:
        return "none requested"
    order = sorted(counts, key=lambda s: -_SEVERITY.index(s) if s in _SEVERITY else 0)
    text = ", ".join(f"{counts[s]} {s.lower().replace('_', ' ')}" for s in order)
    return ("✓ " if set(counts) == {"ACTIVE"} else "") + text


def endorsement_worst(c: models.Customer) -> str | None:
    present = {str(e.status) for e in c.endorsements}
    return next((s for s in _SEVERITY if s in present), None)


def endorsement_tooltip(c: models.Customer) -> str:
    lines = []
    for e in c.endorsements:
        line = f"{e.name}: {e.status}"
        if e.requirements.missing:
            line += f" — missing {', '.join(e.requirements.missing)}"
        lines.append(line)
    return "\n".join(lines)


def format_when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    return dt.astimezone().strftime("%Y-%m-%d %H:%M")


class PagedTableModel(QAbstractTableModel):
    """Generic lazy model: rows arrive page by page from ``fetch(cursor)``."""

    loading_changed = Signal(bool)
    error_changed = Signal(object)  # the exception, or None when cleared
    page_loaded = Signal(int)  # rows added

    columns: Sequence[str] = ()

    def __init__(self, scope: TaskScope, fetch: Fetch | None = None, parent=None) -> None:
        super().__init__(parent)
        self._scope = scope
        self._fetch = fetch
        # Rows are slim tuples (id, display strings…, extras) so that 100,000 rows stay
        # small and invisible to the cyclic GC; full objects are kept only for the first
        # rows and for rows updated in place (the detail pane loads the full object anyway).
        self._rows: list[tuple] = []
        self._full: dict[str, Any] = {}
        self._ids: dict[str, int] = {}
        self._cursor: str | None = None
        self._has_more = fetch is not None
        self._loading = False
        self._error: BaseException | None = None
        self._generation = 0
        self._task: asyncio.Task | None = None

    # ---- paging ------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def has_more(self) -> bool:
        return self._has_more

    def reset(self, fetch: Fetch | None = None, *, load: bool = True) -> None:
        """Drop all rows (and any page in flight), then load the first page."""
        if fetch is not None:
            self._fetch = fetch
        self._generation += 1
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self.beginResetModel()
        self._rows = []
        self._full = {}
        self._ids = {}
        self._cursor = None
        self._has_more = self._fetch is not None
        self._set_loading(False)
        self._set_error(None)
        self.endResetModel()
        if load and self._fetch is not None:
            self._start_fetch()

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return self._has_more and not self._loading and self._error is None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._start_fetch()

    def retry(self) -> None:
        self._set_error(None)
        if self._fetch is not None and self._has_more and not self._loading:
            self._start_fetch()

    def _start_fetch(self) -> None:
        assert self._fetch is not None
        self._set_loading(True)
        self._task = self._scope.spawn(
            self._load(self._generation, self._cursor), name=f"{type(self).__name__}.page"
        )

    async def _load(self, generation: int, cursor: str | None) -> None:
        try:
            page = await self._fetch(cursor)  # type: ignore[misc]
        except asyncio.CancelledError:
            if generation == self._generation:
                self._set_loading(False)
            raise
        except Exception as e:
            if generation != self._generation:
                return
            log.info("page load failed: %s", getattr(e, "details", e))
            self._set_loading(False)
            self._set_error(e)
            return
        if generation != self._generation:
            return  # a reset happened while this page was in flight
        new = [r for r in page.data if self.row_id(r) not in self._ids]
        if new:
            first = len(self._rows)
            slim = [self.slim(r) for r in new]
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for i, r in enumerate(new):
                self._ids[self.row_id(r)] = first + i
                if first + i < self.FULL_KEEP:
                    self._full[self.row_id(r)] = r
            self._rows.extend(slim)
            self.endInsertRows()
        self._cursor = page.next_cursor or (self._rows[-1][0] if self._rows else None)
        self._has_more = bool(page.has_more and page.data)
        self._set_loading(False)
        self.page_loaded.emit(len(new))

    def _set_loading(self, v: bool) -> None:
        if self._loading != v:
            self._loading = v
            self.loading_changed.emit(v)

    def _set_error(self, e: BaseException | None) -> None:
        if self._error is not e:
            self._error = e
            self.error_changed.emit(e)

    # ---- rows --------------------------------------------------------------------

    FULL_KEEP = 500  # rows whose full objects are kept

    @staticmethod
    def row_id(obj: Any) -> str:
        return obj.id

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

    def row_of(self, obj_id: str) -> int:
        return self._ids.get(obj_id, -1)

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
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, self.slim(obj))
        self._full[self.row_id(obj)] = obj
        self._ids = {r[0]: i for i, r in enumerate(self._rows)}
        self.endInsertRows()

    # ---- Qt model API ------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

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
