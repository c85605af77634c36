"""Cursor iteration in both directions over a D9-conformant in-memory list (property test)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.oms.models import Page
from desktop.oms.paging import iterate_items


def make_fetch(n: int, calls: list):
    items = [f"id_{i:05d}" for i in range(n)][::-1]  # newest first, as D9 orders them

    async def fetch(*, limit=None, starting_after=None, ending_before=None):
        calls.append((starting_after, ending_before))
        limit = limit or 50
        if ending_before is not None:
            end = items.index(ending_before)
            data = items[max(0, end - limit) : end]
            more = end - limit > 0
        else:
            start = items.index(starting_after) + 1 if starting_after else 0
            data = items[start : start + limit]
            more = start + limit < len(items)
        return Page(
            data=tuple(data),
            has_more=more,
            next_cursor=data[-1] if data else None,
            previous_cursor=data[0] if data else None,
        )

    return items, fetch


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 260), limit=st.integers(1, 100), data=st.data())
def test_forward_and_backward_visit_every_item_once(n, limit, data):
    calls: list = []
    items, fetch = make_fetch(n, calls)

    async def run():
        fwd = [x async for x in iterate_items(fetch, limit=limit)]
        assert fwd == items
        assert len(calls) == max(1, -(-n // limit))  # no extra round trip after the last page
        if n:
            k = data.draw(st.integers(0, n - 1))
            back = [x async for x in iterate_items(fetch, limit=limit, ending_before=items[k])]
            assert back == list(reversed(items[:k]))  # travel order: nearest first
            after = [x async for x in iterate_items(fetch, limit=limit, starting_after=items[k])]
            assert after == items[k + 1 :]

    asyncio.run(run())


def test_a_server_repeating_a_cursor_does_not_loop_forever():
    async def fetch(**kw):
        return Page(data=("a",), has_more=True, next_cursor="a", previous_cursor="a")

    async def run():
        return [x async for x in iterate_items(fetch)]

    assert asyncio.run(run()) == ["a", "a"]
