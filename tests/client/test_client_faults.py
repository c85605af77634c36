"""Faults a real server cannot be made to show, injected around the real transport."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.oms import errors
from desktop.oms.client import RetryPolicy
from tests.support.client import (
    FaultTransport,
    fresh_account_client,
    funded_customer,
    is_get,
    is_post,
    send_body,
)


class KeyLog(FaultTransport):
    """FaultTransport that also records the Idempotency-Key of each request."""

    keys: list[tuple[str, str | None]]

    async def handle_async_request(self, request):
        if not hasattr(self, "keys"):
            self.keys = []
        self.keys.append((request.url.path, request.headers.get("idempotency-key")))
        return await super().handle_async_request(request)


@pytest.fixture
async def setup(sandbox):
    # A new, empty account on the shared sandbox; these tests never move its clock.
    transport = KeyLog()
    delays: list[float] = []

    async def sleep(d):
        delays.append(d)

    c = await fresh_account_client(sandbox, transport=transport, sleep=sleep)
    cust, wallet = await funded_customer(c)
    yield c, transport, delays, cust, wallet
    await c.aclose()


async def test_connection_dropped_after_commit_retries_with_same_key(setup):
    c, transport, delays, cust, wallet = setup
    quote = await c.create_quote(send_body(cust, wallet, "10.00"))
    transport.add(is_post("/transactions"), "drop_after")

    txn = await c.create_transaction(quote.id)

    posts = [k for p, k in transport.keys if p.endswith("/transactions")]
    assert len(posts) == 2 and posts[0] == posts[1] and posts[0]
    outcomes = [o for m, p, o in transport.log if p.endswith("/transactions")]
    assert outcomes == ["drop_after:201", "201"]  # the first one was committed by the server
    all_txns = (await c.list_transactions(customer_id=cust.id)).data
    assert [t.id for t in all_txns] == [txn.id]  # exactly one exists
    assert (await c.get_balance(wallet.id)).balance == Decimal("990.00")  # debited once
    assert len(delays) == 1


async def test_5xx_then_success(setup):
    c, transport, delays, cust, wallet = setup
    transport.add(is_get("/wallets/"), "500")
    transport.add(is_get("/wallets/"), "503")
    bal = await c.get_balance(wallet.id)
    assert bal.balance == Decimal("1000.00")
    assert [o for m, p, o in transport.log if "/balance" in p] == ["500", "503", "200"]
    assert len(delays) == 2 and delays[1] >= 0.0

    # a POST too: 503 before it reached the server, then the same key succeeds once
    quote = await c.create_quote(send_body(cust, wallet, "1.00"))
    transport.add(is_post("/transactions"), "503")
    txn = await c.create_transaction(quote.id)
    posts = [k for p, k in transport.keys if p.endswith("/transactions")]
    assert len(posts) == 2 and posts[0] == posts[1]
    assert [t.id for t in (await c.list_transactions()).data] == [txn.id]


async def test_429_waits_retry_after(setup):
    c, transport, delays, cust, _wallet = setup
    transport.add(is_get(f"/customers/{cust.id}"), "429:2")
    got = await c.get_customer(cust.id)
    assert got.id == cust.id
    assert len(delays) == 1 and 2.0 <= delays[0] < 3.0

    # a Retry-After beyond the policy's limit is handed to the caller instead
    transport.add(is_get(f"/customers/{cust.id}"), "429:3600")
    with pytest.raises(errors.RateLimited) as ei:
        await c.get_customer(cust.id)
    assert ei.value.retry_after == 3600.0


async def test_read_timeout(setup):
    c, transport, _delays, cust, wallet = setup
    # a POST whose answer never arrived: the retry (same key) gets the stored quote
    transport.add(is_post("/quotes"), "read_timeout")
    quote = await c.create_quote(send_body(cust, wallet, "2.00"))
    outcomes = [o for m, p, o in transport.log if p.endswith("/quotes")]
    assert outcomes == ["read_timeout:201", "201"]
    keys = [k for p, k in transport.keys if p.endswith("/quotes")]
    assert keys[0] == keys[1]
    assert (await c.get_quote(quote.id)).id == quote.id

    # GETs that keep timing out end in a NetworkError once the attempts are spent
    c.retry = RetryPolicy(attempts=3, base=0.01, cap=0.02, deadline=5)
    for _ in range(3):
        transport.add(is_get(f"/quotes/{quote.id}"), "read_timeout")
    with pytest.raises(errors.NetworkError) as ei:
        await c.get_quote(quote.id)
    assert ei.value.maybe_sent and "in time" in str(ei.value)


async def test_unkeyed_sandbox_write_is_not_retried(setup):
    c, transport, delays, _cust, wallet = setup
    before = transport.count("POST", "/deposit")
    transport.add(is_post("/deposit"), "drop_after")
    with pytest.raises(errors.NetworkError):
        await c.sandbox_deposit(wallet.id, "5.00")
    assert transport.count("POST", "/deposit") == before + 1 and delays == []
    assert (await c.get_balance(wallet.id)).balance == Decimal("1005.00")  # applied once
