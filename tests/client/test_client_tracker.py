"""Tracker against a real sandbox: changes in order as the sandbox clock advances; cancellation."""

from __future__ import annotations

import asyncio

import pytest

from desktop.oms import models
from desktop.oms.tracker import Tracker
from tests.support.client import (
    FaultTransport,
    cash_in_body,
    client_for,
    funded_customer,
    is_get,
    send_body,
)

FAST = {"initial": 0.02, "factor": 1.5, "cap": 0.1, "error_cap": 0.2, "jitter": 0.1}
STEP = 5.0  # seconds to wait for one expected update (a guard, not a sleep)


async def next_update(it):
    return await asyncio.wait_for(anext(it), STEP)


@pytest.fixture
async def env(fresh_sandbox):
    transport = FaultTransport()
    c = client_for(fresh_sandbox, transport=transport)
    cust, wallet = await funded_customer(c)
    yield c, transport, cust, wallet
    await c.aclose()


async def test_transaction_changes_observed_in_order(env):
    c, _, cust, wallet = env
    q = await c.create_quote(send_body(cust, wallet, "10.00"))
    txn = await c.create_transaction(q.id)
    tracker = Tracker(c, **FAST)
    seen_by_callback: list[tuple] = []
    handle = tracker.watch(
        "transaction", txn.id, lambda t: seen_by_callback.append((t.status, t.sub_status))
    )
    it = tracker.updates("transaction", txn.id)

    first = await next_update(it)
    assert (first.status, first.sub_status) == (models.TransactionStatus.PROCESSING, "fundsPulled")
    await c.sandbox_advance_clock(2)
    second = await next_update(it)
    assert (second.status, second.sub_status) == (models.TransactionStatus.PROCESSING, "broadcast")
    assert second.tx_hash and second.tx_hash.startswith("0x")
    await c.sandbox_advance_clock(3)
    third = await next_update(it)
    assert third.status is models.TransactionStatus.COMPLETED and third.is_terminal
    with pytest.raises(StopAsyncIteration):
        await next_update(it)

    assert seen_by_callback == [
        (models.TransactionStatus.PROCESSING, "fundsPulled"),
        (models.TransactionStatus.PROCESSING, "broadcast"),
        (models.TransactionStatus.COMPLETED, "settled"),
    ]
    assert handle.done and handle.latest.status is models.TransactionStatus.COMPLETED
    # one poller for both subscribers, nothing left scheduled after terminal
    assert tracker.scheduled == 0 and tracker.in_flight == 0
    handle.cancel()
    await tracker.aclose()


async def test_cash_in_tracked_to_completion(env):
    c, _, cust, wallet = env
    ci = await c.create_cash_in(await cash_in_body(c, cust, wallet))
    tracker = Tracker(c, **FAST)
    it = tracker.updates("cashIn", ci.id)
    assert (await next_update(it)).status is models.CashInStatus.PENDING
    auth = await c.sandbox_barcode_auth(ci.code, "50.00")
    await c.sandbox_auth_commit(auth["confirmationId"])
    processing = await next_update(it)
    assert processing.status is models.CashInStatus.PROCESSING
    await c.sandbox_advance_clock(10)
    done = await next_update(it)
    assert done.status is models.CashInStatus.COMPLETED and done.transaction_id
    # the cash-in's transaction, already complete: the tracker reports it once and stops
    final = await asyncio.wait_for(tracker.wait_terminal("transaction", done.transaction_id), STEP)
    assert final.status is models.TransactionStatus.COMPLETED
    await tracker.aclose()


async def test_unknown_id_fails_the_watch(env):
    c, _, _, _ = env
    tracker = Tracker(c, **FAST)
    errors_seen = []
    got = asyncio.Event()
    tracker.watch(
        "transaction",
        "txn_00000000000000000000000000",
        lambda t: None,
        on_error=lambda e: (errors_seen.append(e), got.set()),
    )
    await asyncio.wait_for(got.wait(), STEP)
    from desktop.oms import errors

    assert isinstance(errors_seen[0], errors.NotFound)
    with pytest.raises(errors.NotFound):
        async for _ in tracker.updates("transaction", "txn_00000000000000000000000001"):
            pass
    await tracker.aclose()


async def test_errors_back_off_and_recover(env):
    c, transport, cust, wallet = env
    q = await c.create_quote(send_body(cust, wallet, "1.00"))
    txn = await c.create_transaction(q.id)
    for _ in range(3):
        transport.add(is_get(f"/transactions/{txn.id}"), "503")
    transport.add(is_get(f"/transactions/{txn.id}"), "429:0")
    tracker = Tracker(c, **FAST)
    it = tracker.updates("transaction", txn.id)
    first = await next_update(it)  # arrives after 3 × 503 and a 429, without client retries
    assert first.sub_status == "fundsPulled"
    outcomes = [o for m, p, o in transport.log if p.endswith(txn.id)]
    assert outcomes[:5] == ["503", "503", "503", "429:0", "200"]
    await tracker.aclose()


async def test_cancellation_stops_all_requests(env):
    c, transport, cust, wallet = env
    ids = []
    for _ in range(5):
        q = await c.create_quote(send_body(cust, wallet, "1.00"))
        ids.append((await c.create_transaction(q.id)).id)
    tracker = Tracker(c, **FAST)
    polled = asyncio.Event()
    counts = {i: 0 for i in ids}

    def on_update(t):
        counts[t.id] += 1
        if all(counts.values()):
            polled.set()

    handles = [tracker.watch("transaction", i, on_update) for i in ids]
    # a second subscriber on the same id shares the poller
    extra = tracker.watch("transaction", ids[0], lambda t: None)
    await asyncio.wait_for(polled.wait(), STEP)
    assert tracker.active == 5

    for h in [*handles, extra]:
        h.cancel()
    assert tracker.active == 0 and tracker.scheduled == 0
    await asyncio.sleep(0)  # let cancelled in-flight polls unwind
    assert tracker.in_flight == 0
    n = transport.count("GET", "")
    # With 20 ms polling, a live poller would make several requests in this window.
    request_seen = asyncio.Event()
    original = transport.handle_async_request

    async def spy(request):
        request_seen.set()
        return await original(request)

    transport.handle_async_request = spy  # type: ignore[method-assign]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(request_seen.wait(), 0.3)
    assert transport.count("GET", "") == n
    await tracker.aclose()
    assert tracker._runner is None or tracker._runner.done()
