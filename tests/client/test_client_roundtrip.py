"""Every client method against a real sandbox over loopback."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from desktop.oms import errors, models
from desktop.oms.client import Credentials
from tests.support.client import (
    IDENTITY,
    cash_in_body,
    client_for,
    fresh_account_client,
    funded_customer,
    send_body,
)


def has_route(sb, path: str) -> bool:
    spec = httpx.get(f"{sb.base_url}/openapi.json", timeout=10).json()
    return any(p.startswith(f"/v0.9{path}") for p in spec.get("paths", {}))


@pytest.fixture
def needs_quotes(sandbox):
    """Quotes and transactions are core routes: a sandbox without them fails, never skips."""
    assert has_route(sandbox, "/quotes"), "the sandbox has no /quotes route"
    assert has_route(sandbox, "/transactions"), "the sandbox has no /transactions route"


async def test_customers_round_trip(sandbox):
    async with await fresh_account_client(sandbox) as c:
        cust = await c.create_customer({**IDENTITY, "externalId": "usr_rt", "metadata": {"a": "1"}})
        assert cust.id.startswith("cst_") and cust.status is models.CustomerStatus.ACTIVE
        assert {e.name for e in cust.endorsements} == {"basic", "cryptoCustody", "usd"}
        assert all(e.status is models.EndorsementStatus.ACTIVE for e in cust.endorsements)
        assert cust.created_at is not None and cust.created_at.tzinfo is not None
        assert "birthDate" not in cust.raw  # write-only PII

        same = await c.get_customer(cust.id)
        assert same == cust
        upd = await c.update_customer(cust.id, {"email": "new@example.com"})
        assert upd.email == "new@example.com"

        pending = await c.create_customer(
            {"type": "individual", "firstName": "No", "lastName": "Id", "endorsements": ["basic"]}
        )
        basic = pending.endorsement("basic")
        assert basic.status is models.EndorsementStatus.PENDING
        assert "birthDate" in basic.requirements.missing

        page = await c.list_customers(external_id="usr_rt")
        assert [x.id for x in page.data] == [cust.id] and not page.has_more
        page = await c.list_customers(email="new@example.com")
        assert [x.id for x in page.data] == [cust.id]

        inactive = await c.sandbox_set_customer_status(pending.id, "inactive")
        assert inactive.status is models.CustomerStatus.INACTIVE
        page = await c.list_customers(status="inactive")
        assert [x.id for x in page.data] == [pending.id]

        with pytest.raises(errors.NotFound) as ei:
            await c.get_customer("cst_00000000000000000000000000")
        assert ei.value.request_id and ei.value.request_id.startswith("req_")
        with pytest.raises(errors.ValidationError) as ei:
            await c.list_customers(limit=1000)
        assert ei.value.param == "limit"


async def test_wallets_balance_deposit_find(sandbox):
    async with await fresh_account_client(sandbox) as c:
        cust, wallet = await funded_customer(c, amount="")
        assert wallet.id.startswith("wlt_") and wallet.customer_id == cust.id
        assert wallet.asset == "usdc" and wallet.chain == "polygon"
        assert wallet.status is models.WalletStatus.ACTIVE
        assert (await c.get_wallet(wallet.id)).address == wallet.address
        page = await c.list_wallets(cust.id)
        assert [w.id for w in page.data] == [wallet.id]
        assert [w.id async for w in c.iter_wallets(cust.id)] == [wallet.id]

        bal = await c.get_balance(wallet.id)
        assert bal.balance == Decimal("0") and bal.wallet_id == wallet.id
        bal = await c.sandbox_deposit(wallet.id, Decimal("12.345678"))
        assert bal.balance == Decimal("12.345678") and isinstance(bal.balance, Decimal)
        assert (await c.get_balance(wallet.id)).balance == Decimal("12.345678")

        found = await c.sandbox_find_wallet(wallet.address.lower())
        assert found is not None and found.id == wallet.id
        assert await c.sandbox_find_wallet("0x" + "1" * 40) is None

        with pytest.raises(errors.InvalidState):  # one wallet per asset and chain (D16)
            await c.create_wallet(cust.id)
        with pytest.raises(TypeError):
            await c.sandbox_deposit(wallet.id, 1.5)  # type: ignore[arg-type]


async def test_idempotent_create_returns_the_same_object(sandbox):
    async with await fresh_account_client(sandbox) as c:
        a = await c.create_customer(IDENTITY, idempotency_key="same-key-1")
        b = await c.create_customer(IDENTITY, idempotency_key="same-key-1")
        assert a.id == b.id
        with pytest.raises(errors.IdempotencyError) as ei:
            await c.create_customer(
                {**IDENTITY, "firstName": "Other"}, idempotency_key="same-key-1"
            )
        assert ei.value.code == "idempotency_key_reused" and not ei.value.in_use
        assert len((await c.list_customers()).data) == 1


async def test_tenancy_other_account_ids_are_not_found(sandbox):
    async with await fresh_account_client(sandbox) as a, await fresh_account_client(sandbox) as b:
        cust = await a.create_customer(IDENTITY)
        with pytest.raises(errors.NotFound):
            await b.get_customer(cust.id)
        assert (await b.list_customers()).data == ()


async def test_sandbox_health_and_clock(fresh_sandbox):
    async with client_for(fresh_sandbox) as c:
        health = await c.sandbox_health()
        assert health["status"] == "ok"
        before = models.parse_datetime(health["now"])
        now = await c.sandbox_advance_clock(3600)
        assert now - before >= timedelta(seconds=3600)
        # D18: the Date header carries the sandbox clock
        assert c.last_server_date is not None and c.last_server_date >= now - timedelta(seconds=1)
        assert c.server_time_offset is not None and c.server_time_offset > timedelta(minutes=59)


async def test_bad_credentials_raise_a_clean_auth_error(sandbox):
    async with client_for(sandbox, Credentials(sandbox.api_key, "not-the-secret")) as c:
        with pytest.raises(errors.AuthError) as ei:
            await c.authenticate()
        assert ei.value.code == "invalid_credentials" and ei.value.status == 401
        assert "not-the-secret" not in repr(ei.value) + str(ei.value)
        with pytest.raises(errors.AuthError):
            await c.list_customers()
    async with client_for(sandbox, Credentials("sk_sdbx_nobody", sandbox.api_secret)) as c:
        with pytest.raises(errors.AuthError):
            await c.authenticate()


async def test_credentials_provider_callable(sandbox):
    calls = []

    async def provide():
        calls.append(1)
        return Credentials(sandbox.api_key, sandbox.api_secret)

    async with client_for(sandbox, provide) as c:  # type: ignore[arg-type]
        await c.list_customers(limit=1)
        await c.list_customers(limit=1)
    assert calls == [1]


async def test_cash_locations_and_cash_in_lifecycle(fresh_sandbox):
    async with client_for(fresh_sandbox) as c:
        cust, wallet = await funded_customer(c, amount="")
        locs = await c.list_cash_locations("40.7506", "-73.9935", limit=5)
        assert 1 <= len(locs.data) <= 5
        dists = [loc.distance for loc in locs.data]
        assert dists == sorted(dists) and all(isinstance(d, Decimal) for d in dists)
        assert locs.data[0].id.startswith("loc_") and locs.data[0].location_reference

        ci = await c.create_cash_in(await cash_in_body(c, cust, wallet))
        assert ci.id.startswith("ci_") and ci.status is models.CashInStatus.PENDING
        assert ci.code and ci.expires_at is not None
        assert ci.fee_schedule.estimate(Decimal("100.00")) == Decimal("2.00")
        assert (await c.get_cash_in(ci.id)).code == ci.code
        assert [x.id for x in (await c.list_cash_ins(customer_id=cust.id)).data] == [ci.id]
        assert [x.id async for x in c.iter_cash_ins(status="pending")] == [ci.id]

        refreshed = await c.refresh_cash_in(ci.id)
        assert refreshed.status is models.CashInStatus.PENDING and refreshed.code != ci.code

        declined = await c.sandbox_barcode_auth(refreshed.code, "5.00")
        assert declined["responseCode"] == "05"
        auth = await c.sandbox_barcode_auth(refreshed.code, Decimal("100.00"))
        assert auth["responseCode"] == "00"
        await c.sandbox_auth_commit(auth["confirmationId"])
        processing = await c.get_cash_in(ci.id)
        assert processing.status is models.CashInStatus.PROCESSING
        with pytest.raises(errors.InvalidState):
            await c.refresh_cash_in(ci.id)
        with pytest.raises(errors.InvalidState):
            await c.sandbox_auth_commit(auth["confirmationId"])

        await c.sandbox_advance_clock(11)
        done = await c.get_cash_in(ci.id)
        assert done.status is models.CashInStatus.COMPLETED and done.is_terminal
        assert done.transaction_id
        bal = await c.get_balance(wallet.id)
        assert bal.balance == Decimal("98.00")  # 100 − (1.5 % + 0.50)


async def test_external_accounts(sandbox):
    async with await fresh_account_client(sandbox) as c:
        cust = await c.create_customer(IDENTITY)
        body = {
            "type": "usBank",
            "network": "ach",
            "bankDetails": {
                "bankName": "Chase",
                "routingNumber": "021000021",
                "accountNumber": "123456784242",
                "accountHolderName": "Jane Smith",
            },
        }
        ea = await c.create_external_account(cust.id, body)
        assert ea.id.startswith("cpUsBank_") and ea.customer_id == cust.id
        assert ea.bank_details.account_number.endswith("4242")
        assert "12345678" not in ea.bank_details.account_number  # masked
        assert (await c.get_external_account(cust.id, ea.id)).id == ea.id
        assert [x.id for x in (await c.list_external_accounts(cust.id)).data] == [ea.id]
        bad = {**body, "bankDetails": {**body["bankDetails"], "routingNumber": "021000022"}}
        with pytest.raises(errors.ValidationError) as ei:
            await c.create_external_account(cust.id, bad)
        assert ei.value.param == "bankDetails.routingNumber"


async def test_webhook_endpoints(sandbox):
    async with await fresh_account_client(sandbox) as c:
        wh = await c.create_webhook("http://127.0.0.1:9/hook", events=["cashIn.*"])
        assert wh.id.startswith("whk_") and wh.secret and wh.secret.startswith("whsec_")
        assert wh.events == ("cashIn.*",) and wh.enabled
        got = await c.get_webhook(wh.id)
        assert got.secret is None and got.url == wh.url
        upd = await c.update_webhook(wh.id, enabled=False, events=[])
        assert upd.enabled is False and upd.events == ()
        assert [x.id for x in (await c.list_webhooks()).data] == [wh.id]
        await c.delete_webhook(wh.id)
        with pytest.raises(errors.NotFound):
            await c.get_webhook(wh.id)
        with pytest.raises(errors.ValidationError):
            await c.create_webhook("http://example.com/hook")


async def test_quote_and_transaction_round_trip(fresh_sandbox, needs_quotes):
    async with client_for(fresh_sandbox) as c:
        cust, wallet = await funded_customer(c)
        q = await c.create_quote(send_body(cust, wallet, "10.00"))
        assert q.id.startswith("qt_") and q.status is models.QuoteStatus.OPEN
        assert q.type is models.TransactionType.CRYPTO_TO_CRYPTO
        assert q.source.amount_gross == Decimal("10.00")
        assert q.source.amount_net * q.rates.exchange_rate == q.destination.amount_gross
        assert q.source.fees.total == q.source.fees.oms + q.source.fees.gas
        left = q.remaining(q.received_monotonic)
        assert timedelta(seconds=29) <= left <= timedelta(seconds=30)  # --quote-ttl default 30 s
        assert q.server_date == q.created_at  # ms-precise, not the whole-second Date header
        assert (await c.get_quote(q.id)).id == q.id

        t = await c.create_transaction(q.id, metadata={"ref": "x"})
        assert t.id.startswith("txn_") and t.status is models.TransactionStatus.PROCESSING
        assert t.quote_id == q.id and t.sender == cust.id and not t.is_terminal
        assert (await c.get_quote(q.id)).status is models.QuoteStatus.ACCEPTED
        with pytest.raises(errors.QuoteNotOpen):
            await c.create_transaction(q.id)
        await c.sandbox_advance_clock(6)
        done = await c.get_transaction(t.id)
        assert done.status is models.TransactionStatus.COMPLETED and done.tx_hash
        assert [x.id for x in (await c.list_transactions(customer_id=cust.id)).data] == [t.id]
        assert [x.id for x in (await c.list_customer_transactions(cust.id)).data] == [t.id]
        assert [x.id async for x in c.iter_transactions(status="completed")] == [t.id]
        assert (await c.get_balance(wallet.id)).balance == Decimal("990.00")

        with pytest.raises(errors.InsufficientFunds):
            await c.create_quote(send_body(cust, wallet, "5000.00"))
        q2 = await c.create_quote(send_body(cust, wallet, "1.00"))
        await c.sandbox_advance_clock(31)
        with pytest.raises(errors.QuoteExpired):
            await c.create_transaction(q2.id)
        with pytest.raises(errors.ValidationError) as ei:
            await c.create_quote(
                send_body(
                    cust, wallet, "1.00", address="0xABC1230000000000000000000000000000DEf456"
                )
            )
        assert ei.value.code == "invalid_address"


# ---------------------------------------------------------------------------- paging


@pytest.fixture(scope="module")
def sandbox_250(tmp_path_factory):
    from tests.support.sandbox import start_sandbox

    sb = start_sandbox(tmp_path_factory.mktemp("sb250"), "--demo-customers", "250")
    yield sb
    sb.stop()


async def test_paging_both_ways_over_250_customers(sandbox_250):
    async with client_for(sandbox_250) as c:
        forward = [x.id async for x in c.iter_customers(limit=40)]
        assert len(forward) == 250 and len(set(forward)) == 250
        # newest first: D4 ids are time-sortable
        assert forward == sorted(forward, reverse=True)

        first = await c.list_customers(limit=100)
        assert len(first.data) == 100 and first.has_more
        assert first.next_cursor == first.data[-1].id
        assert first.previous_cursor == first.data[0].id
        second = await c.list_customers(limit=100, starting_after=first.next_cursor)
        third = await c.list_customers(limit=100, starting_after=second.next_cursor)
        assert len(third.data) == 50 and not third.has_more
        assert [x.id for x in first.data + second.data + third.data] == forward

        # backwards from the oldest item: towards newer, items yielded oldest → newest
        oldest = forward[-1]
        back = [x.id async for x in c.iter_customers(limit=30, ending_before=oldest)]
        assert back == list(reversed(forward[:-1]))
        page = await c.list_customers(limit=100, ending_before=third.previous_cursor)
        assert [x.id for x in page.data] == forward[100:200] and page.has_more
        top = await c.list_customers(limit=100, ending_before=first.previous_cursor)
        assert top.data == () and not top.has_more

        # from the middle forward
        mid = [x.id async for x in c.iter_customers(limit=7, starting_after=forward[99])]
        assert mid == forward[100:]
        # createdBefore/createdAfter are inclusive
        t = first.data[10].created_at
        newer = [x async for x in c.iter_customers(created_after=t)]
        assert all(x.created_at >= t for x in newer) and first.data[10].id in {x.id for x in newer}
        with pytest.raises(ValueError):
            [x async for x in c.iter_customers(starting_after="a", ending_before="b")]


async def test_every_post_carries_its_own_idempotency_key(fresh_sandbox, needs_quotes):
    seen: list[httpx.Request] = []

    class Recorder(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request):
            seen.append(request)
            return await super().handle_async_request(request)

    async with client_for(fresh_sandbox, transport=Recorder()) as c:
        cust, wallet = await funded_customer(c)
        q = await c.create_quote(send_body(cust, wallet, "1.00"))
        await c.create_transaction(q.id)
        ci = await c.create_cash_in(await cash_in_body(c, cust, wallet))
        ci = await c.refresh_cash_in(ci.id)
        auth = await c.sandbox_barcode_auth(ci.code, "40.00")
        await c.sandbox_auth_commit(auth["confirmationId"])
        wh = await c.create_webhook("http://127.0.0.1:9/h")
        await c.update_webhook(wh.id, enabled=False)
        await c.delete_webhook(wh.id)
    posts = [r for r in seen if r.method == "POST"]
    keyed = [r for r in posts if "/sandbox/" not in r.url.path and "/auth/" not in r.url.path]
    assert len(keyed) == 9  # customer, wallet, quote, txn, cash-in, refresh, 2 simulate, webhook
    keys = [r.headers.get("idempotency-key") for r in keyed]
    assert all(keys) and len(set(keys)) == len(keys)
    assert all(1 <= len(k) <= 255 and k.isprintable() and k.isascii() for k in keys)
    for r in seen:
        if r.url.path.endswith("/auth/token") or "/sandbox/" in r.url.path:
            assert "idempotency-key" not in r.headers
        if not r.url.path.endswith(("/auth/token", "/sandbox/health")):
            assert r.headers["authorization"].startswith("Bearer ")
