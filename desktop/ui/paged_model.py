"""PagedModel: the cursor paging shared by the lazily paged tables.

Rows arrive page by page from ``fetch(cursor)`` (cursors are item ids, newest first).
The model never does I/O in ``data()``. ``fetchMore`` spawns one page load on the
owner's TaskScope; a generation counter drops pages that arrive after a reset (new
filter or search), a ``_loading`` guard prevents double fetches, and a failure stops
paging until ``retry()`` (views show it in a banner with Retry).

Subclasses choose how a row is stored (``make_row``: a slim tuple, or the object
itself), which objects a page may add (``accept``), and how cells look (``data``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from desktop.oms import models
from desktop.tasks import TaskScope

log = logging.getLogger(__name__)

Fetch = Callable[[str | None], Awaitable[models.Page]]
_Index = QModelIndex | QPersistentModelIndex


class RowsTableModel(QAbstractTableModel):
    """A flat, read-only table over ``self._rows`` with fixed ``columns`` headers."""

    columns: Sequence[str] = ()
    _rows: list

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


class PagedModel(RowsTableModel):
    """Cursor paging, the loading guard, the error state and the table boilerplate."""

    loading_changed = Signal(bool)
    error_changed = Signal(object)  # the exception, or None when cleared
    page_loaded = Signal(int)  # rows added

    def __init__(self, scope: TaskScope, fetch: Fetch | None = None, parent=None) -> None:
        super().__init__(parent)
        self._scope = scope
        self._fetch = fetch
        self._rows: list[Any] = []  # one make_row(obj) per row
        self._ids: dict[str, int] = {}  # row id → row
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
        self._ids = {}
        self._cursor = None
        self._has_more = self._fetch is not None
        self.rows_cleared()
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

    def _current(self, generation: int) -> bool:
        """The page of ``generation`` still belongs here (no reset since, model alive).

        A page (or its failure) can come back after the view deleted the model; emitting
        then raises "Signal source has been deleted", so such a page is dropped too.
        """
        return shiboken6.isValid(self) and generation == self._generation

    async def _load(self, generation: int, cursor: str | None) -> None:
        try:
            page = await self._fetch(cursor)  # type: ignore[misc]
            # Parsing the answer and inserting its rows are two loop passes, not one: a
            # paint or a timer may run between them (worst stall while scrolling, issue 15).
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            if self._current(generation):
                self._set_loading(False)
            raise
        except Exception as e:
            if not self._current(generation):
                return
            log.info("page load failed: %s", getattr(e, "details", e))
            self._set_loading(False)
            self._set_error(e)
            return
        if not self._current(generation):
            return  # a reset happened while this page was in flight
        new = [r for r in page.data if self.row_id(r) not in self._ids and self.accept(r)]
        if page.data:  # cursors are item ids: the next page starts after this one's last
            self._cursor = page.next_cursor or self.row_id(page.data[-1])
        self._has_more = bool(page.has_more and page.data)
        self.insert_objects(len(self._rows), new)
        self._set_loading(False)
        self.page_arrived(new)
        self.page_loaded.emit(len(new))

    def _set_loading(self, v: bool) -> None:
        if self._loading != v:
            self._loading = v
            self.loading_changed.emit(v)

    def _set_error(self, e: BaseException | None) -> None:
        if self._error is not e:
            self._error = e
            self.error_changed.emit(e)

    # ---- rows (hooks for subclasses) ---------------------------------------------

    @staticmethod
    def row_id(obj: Any) -> str:
        return obj.id

    def row_key(self, row: Any) -> str:
        """The id of a stored row (``make_row``'s result)."""
        return self.row_id(row)

    def make_row(self, obj: Any) -> Any:
        """What ``_rows`` keeps for ``obj`` (default: the object itself)."""
        return obj

    def accept(self, obj: Any) -> bool:
        """Whether an object of a page belongs in this model (default: all)."""
        return True

    def rows_cleared(self) -> None:
        """Called inside a reset: drop per-row caches."""

    def rows_inserted(self, first: int, objs: list[Any]) -> None:
        """Called after ``objs`` were stored at rows ``first``… (before endInsertRows)."""

    def page_arrived(self, new: list[Any]) -> None:
        """Called once a page was added, with the objects it added."""

    def insert_objects(self, first: int, objs: list[Any]) -> None:
        """Insert ``objs`` at row ``first`` (``rowCount()`` appends)."""
        if not objs:
            return
        made = [self.make_row(o) for o in objs]
        append = first == len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(objs) - 1)
        self._rows[first:first] = made
        if append:
            for i, o in enumerate(objs):
                self._ids[self.row_id(o)] = first + i
        else:
            self._ids = {self.row_key(r): i for i, r in enumerate(self._rows)}
        self.rows_inserted(first, objs)
        self.endInsertRows()

    def row_of(self, obj_id: str) -> int:
        """The row of ``obj_id``, or -1."""
        return self._ids.get(obj_id, -1)
