"""A list page is parsed over several event-loop passes (issue 15.4): on the GUI thread a
page of 100 customers parsed in one pass held the loop for its whole parse, the worst
stall while scrolling. Whatever else is scheduled runs between the chunks, and the page
that comes out is the same as one parsed at once."""

from __future__ import annotations

import asyncio

import httpx

from desktop.oms import client as client_mod
from desktop.oms import models
from desktop.oms.client import Credentials, OmsClient


def customer(i: int) -> dict:
    return {
        "id": f"cus_{i:04d}",
        "email": f"c{i}@example.com",
        "name": f"Customer {i}",
        "status": "active",
        "createdAt": "2026-11-25T10:00:00.000Z",
        "endorsements": [{"name": "base", "status": "approved"}],
    }


def envelope(n: int) -> dict:
    items = [customer(i) for i in range(n)]
    return {"data": items, "hasMore": True, "nextCursor": items[-1]["id"] if items else None}


def make_client(body: dict) -> OmsClient:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token"):
            return httpx.Response(200, json={"accessToken": "tok-chunks", "expiresIn": 3600})
        return httpx.Response(200, json=body)

    return OmsClient(
        "http://127.0.0.1:9/v0.9",
        Credentials("sk_sdbx_chunks", "chunks-secret-value"),
        transport=httpx.MockTransport(handler),
    )


async def _interleaving(n: int, monkeypatch) -> tuple[list[str], models.Page]:
    trace: list[str] = []
    real = models.parse_customer

    def parse(value):
        trace.append("p")
        return real(value)

    monkeypatch.setattr(models, "parse_customer", parse)
    c = make_client(envelope(n))
    try:
        await c.list_customers(limit=1)  # the token and the connection: not in the trace
        trace.clear()
        done = asyncio.Event()

        async def other_work() -> None:  # a timer, a paint: anything else on the loop
            while not done.is_set():
                trace.append("t")
                await asyncio.sleep(0)

        ticker = asyncio.create_task(other_work())
        page = await c.list_customers(limit=100)
        done.set()
        await ticker
    finally:
        await c.aclose()
    return trace, page


def _runs(trace: list[str]) -> list[int]:
    """Lengths of the uninterrupted parse runs."""
    runs, n = [], 0
    for x in trace:
        if x == "p":
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return [*runs, n] if n else runs


async def test_a_page_of_100_is_parsed_in_chunks_with_other_work_between(monkeypatch):
    trace, page = await _interleaving(100, monkeypatch)
    runs = _runs(trace)
    assert sum(runs) == 100
    assert max(runs) <= client_mod.PARSE_CHUNK < 100
    assert len(runs) == -(-100 // client_mod.PARSE_CHUNK)  # 4 chunks of 25
    assert [c.id for c in page.data] == [f"cus_{i:04d}" for i in range(100)]


async def test_chunked_page_equals_the_page_parsed_at_once(monkeypatch):
    _trace, page = await _interleaving(101, monkeypatch)  # a last, short chunk too
    monkeypatch.undo()
    whole = models.parse_page(envelope(101), models.parse_customer)
    assert page.data == whole.data and len(page.data) == 101
    assert (page.has_more, page.next_cursor) == (True, "cus_0100")
    assert page.raw == whole.raw and "data" not in page.raw


async def test_a_small_page_takes_one_pass(monkeypatch):
    trace, page = await _interleaving(client_mod.PARSE_CHUNK, monkeypatch)
    assert _runs(trace) == [client_mod.PARSE_CHUNK]
    assert len(page.data) == client_mod.PARSE_CHUNK
