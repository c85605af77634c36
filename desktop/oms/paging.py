"""Async iteration over D9 cursor pages, in either direction.

Forward (the default, or with ``starting_after``): items come newest first, page after page,
following ``nextCursor`` while ``hasMore``.

Backward (with ``ending_before``): travels towards newer items, following ``previousCursor``
while ``hasMore``. The server returns every page newest first; the iterator yields the items
in travel order — nearest to the cursor first, i.e. oldest to newest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from .models import Page

T = TypeVar("T")

FetchPage = Callable[..., Awaitable[Page[T]]]


async def iterate_pages(
    fetch: FetchPage,
    *,
    starting_after: str | None = None,
    ending_before: str | None = None,
    max_pages: int | None = None,
    **params: Any,
) -> AsyncIterator[Page[T]]:
    """Yield successive pages from ``fetch(starting_after=…, ending_before=…, **params)``."""
    if starting_after and ending_before:
        raise ValueError("pass starting_after or ending_before, not both")
    backward = ending_before is not None
    cursor = ending_before if backward else starting_after
    pages = 0
    seen: set[str] = set()
    while True:
        if backward:
            page = await fetch(ending_before=cursor, **params)
        else:
            page = await fetch(starting_after=cursor, **params)
        pages += 1
        yield page
        nxt = page.previous_cursor if backward else page.next_cursor
        if not page.has_more or not page.data or not nxt:
            return
        if nxt in seen:  # a misbehaving server must not make us loop forever
            return
        seen.add(nxt)
        cursor = nxt
        if max_pages is not None and pages >= max_pages:
            return


async def iterate_items(
    fetch: FetchPage,
    *,
    starting_after: str | None = None,
    ending_before: str | None = None,
    max_pages: int | None = None,
    **params: Any,
) -> AsyncIterator[T]:
    """Yield items across pages (see module doc for the order in each direction)."""
    backward = ending_before is not None
    async for page in iterate_pages(
        fetch,
        starting_after=starting_after,
        ending_before=ending_before,
        max_pages=max_pages,
        **params,
    ):
        for item in reversed(page.data) if backward else page.data:
            yield item
