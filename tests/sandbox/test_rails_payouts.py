"""External accounts (D12) and bank payouts (cryptoToFiat, D13, D21; flow §5.3), over HTTP
against a real sandbox process."""

from __future__ import annotations

import pytest

from tests.support.api import CHASE_ROUTING, Api, assert_error
from tests.support.vectors import ROUTING_INVALID, ROUTING_VALID


def payout_quote(api: Api, cst: dict, wlt: dict, ext_id: str, network: str, **amounts) -> dict:
    body = {
        "customerId": cst["id"],
        "source": {"walletId": wlt["id"], "asset": "usdc", "network": "polygon"},
        "destination": {"wallet": {"externalAccount": ext_id}, "asset": "usd", "network": network},
    }
    if "source_amount" in amounts:
        body["source"]["amount"] = amounts["source_amount"]
    if "destination_amount" in amounts:
        body["destination"]["amount"] = amounts["destination_amount"]
    return body


# -- external accounts -------------------------------------------------------------------------
def test_external_accounts_create_get_list_masked(api):
    cst = api.customer()
    acct = api.bank_account(cst["id"], "000123454242", "ach")
    assert acct["id"].startswith("cpUsBank_") and len(acct["id"]) == len("cpUsBank_") + 26
    assert acct["object"] == "externalAccount" and acct["customerId"] == cst["id"]
    assert (acct["type"], acct["network"]) == ("usBank", "ach")
    assert acct["bankDetails"] == {
        "bankName": "Chase",
        "routingNumber": CHASE_ROUTING,
        "accountNumber": "******4242",
        "accountHolderName": "Jane Smith",
    }
    wire = api.bank_account(cst["id"], "9876543210", "wire")
    got = api.ok(api.get(f"/customers/{cst['id']}/external-accounts/{acct['id']}"))
    assert got == acct
    listed = api.ok(api.get(f"/customers/{cst['id']}/external-accounts"))
    assert [a["id"] for a in listed["data"]] == [wire["id"], acct["id"]]
    assert "000123454242" not in str(listed) and "9876543210" not in str(listed)
    page = api.ok(api.get(f"/customers/{cst['id']}/external-accounts", limit=1))
    assert page["hasMore"] is True and page["nextCursor"] == wire["id"]
    other = api.customer()
    assert_error(
        api.get(f"/customers/{other['id']}/external-accounts/{acct['id']}"), 404, "not_found"
    )
    assert api.ok(api.get(f"/customers/{other['id']}/external-accounts"))["data"] == []


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"type": "card"}, "type"),
        ({"type": None}, "type"),
        ({"network": "sepa"}, "network"),
        ({"bankDetails": None}, "bankDetails"),
        ({"bankDetails.routingNumber": "021000022"}, "bankDetails.routingNumber"),  # checksum
        ({"bankDetails.routingNumber": "02100002"}, "bankDetails.routingNumber"),
        ({"bankDetails.routingNumber": "02100002a"}, "bankDetails.routingNumber"),
        ({"bankDetails.routingNumber": 21000021}, "bankDetails.routingNumber"),
        ({"bankDetails.accountNumber": "123"}, "bankDetails.accountNumber"),
        ({"bankDetails.accountNumber": "1" * 18}, "bankDetails.accountNumber"),
        ({"bankDetails.accountNumber": "12345x78"}, "bankDetails.accountNumber"),
        ({"bankDetails.bankName": ""}, "bankDetails.bankName"),
        ({"bankDetails.accountHolderName": None}, "bankDetails.accountHolderName"),
    ],
)
def test_external_account_bad_input_changes_nothing(api, change, param):
    cst = api.customer()
    body = {
        "type": "usBank",
        "network": "ach",
        "bankDetails": {
            "bankName": "Chase",
            "routingNumber": CHASE_ROUTING,
            "accountNumber": "000123454242",
            "accountHolderName": "Jane Smith",
        },
    }
    for path, value in change.items():
        if "." in path:
            outer, inner = path.split(".")
            body[outer][inner] = value
        else:
            body[path] = value
    assert_error(
        api.post(f"/customers/{cst['id']}/external-accounts", body), 400, "invalid_request", param
    )
    assert api.ok(api.get(f"/customers/{cst['id']}/external-accounts"))["data"] == []


def test_routing_numbers_follow_the_one_aba_rule(api):
    """The shared vectors (the client and the form check the same ones, desktop.rules)."""
    cst = api.customer()
    for routing in ROUTING_VALID:
        acct = api.bank_account(cst["id"], routing=routing)
        assert acct["bankDetails"]["routingNumber"] == routing
    for routing in ROUTING_INVALID:
        r = api.post(
            f"/customers/{cst['id']}/external-accounts",
            api.bank_account_body(routing=routing),
        )
        assert_error(r, 400, "invalid_request", "bankDetails.routingNumber")
    listed = api.ok(api.get(f"/customers/{cst['id']}/external-accounts", limit=100))["data"]
    assert len(listed) == len(ROUTING_VALID)


def test_external_account_unknown_customer(api):
    r = api.post(
        "/customers/cst_00000000000000000000000000/external-accounts",
        {
            "type": "usBank",
            "network": "ach",
            "bankDetails": {
                "bankName": "Chase",
                "routingNumber": CHASE_ROUTING,
                "accountNumber": "4242424242",
                "accountHolderName": "J",
            },
        },
    )
    assert_error(r, 404, "not_found", "customerId")
    assert_error(
        api.get("/customers/cst_00000000000000000000000000/external-accounts"), 404, "not_found"
    )


# -- flow §5.3 ---------------------------------------------------------------------------------
def test_flow_c_ach_payout_with_webhooks(fresh_api, receiver):
    api = fresh_api
    hook = api.webhook(receiver.url, ["transaction.cryptoToFiat.*"])
    receiver.set_secret(hook["secret"])
    cst = api.customer()
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], "1000.00")
    ext = api.bank_account(cst["id"], "000123454242", "ach")
    quote = api.ok(
        api.post("/quotes", payout_quote(api, cst, wlt, ext["id"], "ach", source_amount="500.00")),
        201,
    )
    assert quote["type"] == "cryptoToFiat" and quote["status"] == "open"
    assert quote["fixedAmountSide"] == "source"
    src, dst = quote["source"], quote["destination"]
    # oms 0.50 % of 500.00 = 2.50, ach rail 0.25
    assert (src["amountGross"], src["amountNet"]) == ("500.00", "497.25")
    assert src["feesDeducted"] == {
        "total": "2.75",
        "developer": "0.00",
        "oms": "2.50",
        "gas": "0.00",
        "rail": "0.25",
    }
    assert (dst["asset"], dst["network"]) == ("usd", "ach")
    assert (dst["amountGross"], dst["amountNet"]) == ("497.25", "497.25")
    assert dst["wallet"] == {"id": None, "blockchainAddress": None, "externalAccountId": ext["id"]}
    assert quote["rates"]["exchangeRate"] == "1.0"

    txn = api.ok(api.post("/transactions", {"quoteId": quote["id"]}), 201)
    assert (txn["type"], txn["status"], txn["subStatus"]) == (
        "cryptoToFiat",
        "processing",
        "fundsPulled",
    )
    d = txn["destination"]
    assert d["rail"] == "ach" and d["externalAccountId"] == ext["id"]
    assert d["bankDetails"]["accountNumber"] == "******4242"
    assert api.balance(wlt["id"]) == "500.00"
    assert api.ok(api.get(f"/quotes/{quote['id']}"))["status"] == "accepted"

    api.advance(5)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["subStatus"] == "bankSubmitted"
    api.advance(55)  # 60 s: a wire would be done, ACH is not
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "processing"
    api.advance(239.999)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "processing"
    api.advance(0.001)
    done = api.ok(api.get(f"/transactions/{txn['id']}"))
    assert (done["status"], done["subStatus"]) == ("completed", "settled")
    assert done["completedAt"] is not None and done["error"] is None
    assert api.balance(wlt["id"]) == "500.00"

    expected = ["transaction.cryptoToFiat.processing", "transaction.cryptoToFiat.completed"]
    got = receiver.wait_delivered(expected)
    assert [g.type for g in got] == expected and all(g.valid for g in got)
    assert got[1].body["data"]["destination"]["rail"] == "ach"
    assert got[1].body["data"]["destination"]["bankDetails"]["accountNumber"] == "******4242"


def test_wire_payout_with_fixed_destination_amount(fresh_api):
    api = fresh_api
    cst = api.customer()
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], "200.00")
    ext = api.bank_account(cst["id"], "55554444", "wire")
    quote = api.ok(
        api.post(
            "/quotes", payout_quote(api, cst, wlt, ext["id"], "wire", destination_amount="100.00")
        ),
        201,
    )
    # Smallest gross whose net is exactly 100.00: 115.58 - 0.58 - 15.00
    assert quote["fixedAmountSide"] == "destination"
    assert quote["source"]["amountGross"] == "115.58"
    assert quote["source"]["feesDeducted"]["oms"] == "0.58"
    assert quote["source"]["feesDeducted"]["rail"] == "15.00"
    assert quote["destination"]["amountNet"] == "100.00"
    txn = api.ok(api.post("/transactions", {"quoteId": quote["id"]}), 201)
    assert txn["destination"]["rail"] == "wire"
    api.advance(59.999)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "processing"
    api.advance(0.001)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "completed"
    assert api.balance(wlt["id"]) == "84.42"


def test_bank_returned_refunds_the_wallet(fresh_api, receiver):
    api = fresh_api
    hook = api.webhook(receiver.url, ["transaction.cryptoToFiat.*"])
    receiver.set_secret(hook["secret"])
    cst = api.customer()
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], "300.00")
    ext = api.bank_account(cst["id"], "123450000", "ach")
    assert ext["bankDetails"]["accountNumber"] == "******0000"
    quote = api.ok(
        api.post("/quotes", payout_quote(api, cst, wlt, ext["id"], "ach", source_amount="200.00")),
        201,
    )
    txn = api.ok(api.post("/transactions", {"quoteId": quote["id"]}), 201)
    assert api.balance(wlt["id"]) == "100.00"
    api.advance(5)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["subStatus"] == "bankSubmitted"
    api.advance(54.999)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "processing"
    api.advance(0.001)
    failed = api.ok(api.get(f"/transactions/{txn['id']}"))
    assert (failed["status"], failed["subStatus"]) == ("failed", "returned")
    assert failed["error"]["code"] == "bank_returned" and failed["completedAt"] is None
    assert api.balance(wlt["id"]) == "300.00"
    api.advance(600)  # nothing else happens later
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "failed"
    expected = ["transaction.cryptoToFiat.processing", "transaction.cryptoToFiat.failed"]
    got = receiver.wait_delivered(expected)
    assert [g.type for g in got] == expected and all(g.valid for g in got)
    assert got[1].body["data"]["error"]["code"] == "bank_returned"


def test_payout_gates_and_bad_input_change_nothing(api):
    cst = api.customer()
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], "100.00")
    ext = api.bank_account(cst["id"])
    no_usd = api.customer(endorsements=["basic", "cryptoCustody"])
    no_usd_wlt = api.wallet(no_usd["id"])
    api.fund(no_usd_wlt["id"], "100.00")
    no_usd_ext = api.bank_account(no_usd["id"])

    def q(**kw):
        return payout_quote(api, cst, wlt, ext["id"], "ach", **kw)

    cases = [
        (q(source_amount="10.001"), 400, "invalid_amount", "source.amount"),
        (q(destination_amount="10.001"), 400, "invalid_amount", "destination.amount"),
        (q(source_amount="0.25"), 400, "invalid_amount", "source.amount"),
        (q(source_amount="100.01"), 422, "insufficient_funds", None),
        (q(), 400, "invalid_request", "source.amount"),
        (
            q(source_amount="10.00", destination_amount="5.00"),
            400,
            "invalid_request",
            "source.amount",
        ),
        (
            {
                **q(source_amount="10.00"),
                "destination": {
                    "wallet": {"externalAccount": ext["id"]},
                    "asset": "usd",
                    "network": "sepa",
                },
            },
            400,
            "unsupported_asset",
            "destination.network",
        ),
        (
            {
                **q(source_amount="10.00"),
                "destination": {
                    "wallet": {"externalAccount": "cpUsBank_00000000000000000000000000"},
                    "asset": "usd",
                    "network": "ach",
                },
            },
            404,
            "not_found",
            "destination.wallet.externalAccount",
        ),
        (
            {
                **q(source_amount="10.00"),
                "destination": {
                    "wallet": {"externalAccount": no_usd_ext["id"]},
                    "asset": "usd",
                    "network": "ach",
                },
            },
            404,
            "not_found",
            "destination.wallet.externalAccount",
        ),
        (
            payout_quote(api, no_usd, no_usd_wlt, no_usd_ext["id"], "ach", source_amount="10.00"),
            403,
            "endorsement_required",
            "usd",
        ),
    ]
    for body, status, code, param in cases:
        assert_error(api.post("/quotes", body), status, code, param if param else "any")
    assert api.balance(wlt["id"]) == "100.00"
    assert api.ok(api.get("/transactions"))["data"] == []
