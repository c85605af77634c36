"""The crypto send of OMS_API.md §5.2 end to end, pricing (D13), failures (D10), quote states,
and the ledger invariant (D7) observed through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.api import DEAD_ADDR, EXT_ADDR, Api, assert_error


@pytest.fixture
def api(sandbox):
    client = Api.on_new_account(sandbox)
    yield client
    client.close()


def test_flow_b_crypto_send_end_to_end(api):
    c, w = api.funded("2500.00")
    r = api.post(
        "/quotes",
        {
            "customerId": c["id"],
            "source": {
                "walletId": w["id"],
                "asset": "usdc",
                "network": "polygon",
                "amount": "2000.00",
            },
            "destination": {
                "wallet": {"blockchainAddress": EXT_ADDR},
                "asset": "usdc",
                "network": "polygon",
            },
            "sponsorGas": True,
        },
    )
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["status"] == "open" and q["type"] == "cryptoToCrypto"
    assert q["fixedAmountSide"] == "source"
    assert q["source"]["amountGross"] == "2000.00"
    assert q["source"]["feesDeducted"] == {
        "total": "2.00",
        "developer": "0.00",
        "oms": "2.00",
        "gas": "0.00",
        "rail": "0.00",
    }
    assert q["source"]["amountNet"] == "1998.00"
    assert q["destination"]["amountGross"] == "1998.00"
    assert q["destination"]["amountNet"] == "1998.00"
    assert q["destination"]["wallet"] == {
        "id": None,
        "blockchainAddress": EXT_ADDR,
        "externalAccountId": None,
    }
    assert q["destination"]["bankDetails"] == {}
    assert Decimal(q["source"]["amountNet"]) * Decimal(q["rates"]["exchangeRate"]) == Decimal(
        q["destination"]["amountGross"]
    )
    assert q["rates"]["effectiveRate"] == "0.999"
    # expiresAt is createdAt + 30 s (default --quote-ttl)
    from datetime import datetime

    def ts(s):
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

    assert ts(q["expiresAt"]) - ts(q["createdAt"]) == 30

    r = api.post("/transactions", {"quoteId": q["id"], "partnerTransactionId": 42})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["id"].startswith("txn_") and t["status"] == "processing"
    assert t["subStatus"] == "fundsPulled" and t["destination"]["txHash"] is None
    assert t["sender"] == c["id"] and t["recipient"] is None and t["quoteId"] == q["id"]
    assert api.get(f"/quotes/{q['id']}").json()["status"] == "accepted"
    assert api.balance(w["id"]) == "500.00"  # gross reserved at creation

    api.advance(2)
    t = api.get(f"/transactions/{t['id']}").json()
    assert t["status"] == "processing" and t["subStatus"] == "broadcast"
    tx_hash = t["destination"]["txHash"]
    assert tx_hash.startswith("0x") and len(tx_hash) == 66
    int(tx_hash, 16)
    api.advance(3)
    t = api.get(f"/transactions/{t['id']}").json()
    assert t["status"] == "completed" and t["subStatus"] == "settled"
    assert t["destination"]["txHash"] == tx_hash and t["completedAt"] is not None
    assert ts(t["completedAt"]) - ts(t["createdAt"]) == 5
    assert api.balance(w["id"]) == "500.00"
    lst = api.get(f"/customers/{c['id']}/transactions").json()
    assert [x["id"] for x in lst["data"]] == [t["id"]] and lst["data"][0]["role"] == "sender"


def test_internal_send_fixed_destination_with_gas(api):
    a, wa = api.funded("1000.00")
    b = api.customer(firstName="Bob", email="bob@example.com")
    wb = api.wallet(b["id"])
    q = api.quote(a, wa, amount="100.00", to=wb["id"], side="destination", sponsor=False)
    assert q["fixedAmountSide"] == "destination"
    # smallest gross g with g - max(0.01, round_half_up(g * 0.001, 6)) - 0.01 == 100.00
    assert q["source"]["amountGross"] == "100.11011"
    assert q["source"]["feesDeducted"]["oms"] == "0.10011"
    assert q["source"]["feesDeducted"]["gas"] == "0.01"
    assert q["source"]["feesDeducted"]["total"] == "0.11011"
    assert q["destination"]["amountNet"] == "100.00"
    assert q["destination"]["wallet"]["id"] == wb["id"]
    t = api.post("/transactions", {"quoteId": q["id"]}).json()
    assert t["recipient"] == b["id"]
    assert api.balance(wa["id"]) == "899.88989"
    assert api.balance(wb["id"]) == "0.00"
    api.advance(5)
    assert api.balance(wb["id"]) == "100.00"
    assert (
        api.get(f"/transactions/{t['id']}", params={"recipientCustomerId": b["id"]}).json()["role"]
        == "recipient"
    )
    lst = api.get(f"/customers/{b['id']}/transactions").json()["data"]
    assert [x["role"] for x in lst] == ["recipient"]


def test_minimum_fee_and_fee_consuming_amount(api):
    c, w = api.funded("10.00")
    q = api.quote(c, w, amount="1.00", sponsor=False)
    assert q["source"]["feesDeducted"]["oms"] == "0.01"  # the 0.01 minimum
    assert q["source"]["amountNet"] == "0.98"
    assert_error(
        api.post("/quotes", api.quote_body(c, w, amount="0.02", sponsor=False)),
        400,
        "invalid_amount",
        "source.amount",
    )


def test_send_to_dead_address_fails_and_refunds(api):
    c, w = api.funded("300.00")
    t = api.send(c, w, amount="120.00", to=DEAD_ADDR)
    assert api.balance(w["id"]) == "180.00"
    api.advance(2)
    t = api.get(f"/transactions/{t['id']}").json()
    assert t["status"] == "failed" and t["subStatus"] == "rejected"
    assert t["error"]["code"] == "blockchain_rejected" and t["error"]["message"]
    assert t["destination"]["txHash"] is None
    api.advance(10)
    assert api.balance(w["id"]) == "300.00"
    assert api.get(f"/transactions/{t['id']}").json()["status"] == "failed"


def test_quote_expiry_and_reuse(api):
    c, w = api.funded("500.00")
    q = api.quote(c, w, amount="10.00")
    api.advance(30)
    assert api.get(f"/quotes/{q['id']}").json()["status"] == "expired"
    assert_error(api.post("/transactions", {"quoteId": q["id"]}), 409, "quote_expired", "quoteId")
    q2 = api.quote(c, w, amount="10.00")
    api.post("/transactions", {"quoteId": q2["id"]})
    assert_error(api.post("/transactions", {"quoteId": q2["id"]}), 409, "quote_not_open")
    assert api.balance(w["id"]) == "490.00"


def test_insufficient_funds_at_quote_and_at_transaction(api):
    c, w = api.funded("100.00")
    assert_error(
        api.post("/quotes", api.quote_body(c, w, amount="100.01")), 422, "insufficient_funds"
    )
    q1 = api.quote(c, w, amount="80.00")
    q2 = api.quote(c, w, amount="80.00")
    assert api.post("/transactions", {"quoteId": q1["id"]}).status_code == 201
    assert_error(api.post("/transactions", {"quoteId": q2["id"]}), 422, "insufficient_funds")
    assert api.balance(w["id"]) == "20.00"
    assert api.get(f"/quotes/{q2['id']}").json()["status"] == "open"


def test_gates_pending_and_fiat_source(api):
    c, w = api.funded()
    body = api.quote_body(c, w)
    body["source"]["asset"] = "usd"
    assert_error(api.post("/quotes", body), 400, "unsupported_asset", "source.asset")
    body = api.quote_body(c, w)
    body["destination"]["asset"] = "usdt"
    assert_error(api.post("/quotes", body), 400, "unsupported_asset", "destination.asset")
    p = api.post("/customers", {"type": "individual", "firstName": "P"}).json()
    body = api.quote_body(p, w)
    assert_error(api.post("/quotes", body), 403, "endorsement_required", "basic")


def test_ledger_invariant_through_the_api(api):
    """Σ balances = deposits + completed internal nets − gross of processing/completed sends."""
    a, wa = api.funded("1000.00")
    b = api.customer(firstName="B")
    wb = api.wallet(b["id"])
    sends = [
        api.send(a, wa, amount="100.00", to=wb["id"]),
        api.send(a, wa, amount="50.00", to=EXT_ADDR, sponsor=False),
        api.send(a, wa, amount="25.00", to=DEAD_ADDR),
        api.send(a, wa, amount="5.00", to=wb["id"], side="destination"),
    ]
    api.advance(5)
    sends.append(api.send(a, wa, amount="1.00", to=wb["id"]))  # still processing
    txns = {t["id"]: api.get(f"/transactions/{t['id']}").json() for t in sends}
    total = Decimal(api.balance(wa["id"])) + Decimal(api.balance(wb["id"]))
    completed_internal = sum(
        Decimal(t["destination"]["amountNet"])
        for t in txns.values()
        if t["status"] == "completed" and t["recipient"]
    )
    out = sum(
        Decimal(t["source"]["amountGross"])
        for t in txns.values()
        if t["status"] in ("processing", "completed")
    )
    assert total == Decimal("1000.00") + completed_internal - out
    assert [t["status"] for t in txns.values()] == [
        "completed",
        "completed",
        "failed",
        "completed",
        "processing",
    ]


def test_transaction_list_filters(api):
    a, wa = api.funded("500.00")
    b = api.customer(firstName="Rae")
    wb = api.wallet(b["id"])
    ok = api.send(a, wa, amount="10.00", to=wb["id"])
    bad = api.send(a, wa, amount="5.00", to=DEAD_ADDR)
    api.advance(5)

    def ids(**params):
        return [t["id"] for t in api.get("/transactions", params=params).json()["data"]]

    assert ids() == [bad["id"], ok["id"]]
    assert ids(status="failed") == [bad["id"]]
    assert ids(status="completed", type="cryptoToCrypto") == [ok["id"]]
    assert ids(type="cryptoToFiat") == []
    assert ids(customerId=b["id"]) == [ok["id"]]  # as recipient
    assert ids(customerId=a["id"]) == [bad["id"], ok["id"]]
    page = api.get("/transactions", params={"limit": 1}).json()
    assert page["hasMore"] is True and page["nextCursor"] == bad["id"]
    back = api.get("/transactions", params={"endingBefore": ok["id"]}).json()
    assert [t["id"] for t in back["data"]] == [bad["id"]] and back["hasMore"] is False
    r = api.get(f"/wallets/{wa['id']}/balance", params={"estimatedBalanceCurrencyCode": "eur"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unsupported_asset"
