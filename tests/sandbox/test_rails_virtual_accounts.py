"""Virtual accounts (D22): create, list, get, pause/activate, delete, and inbound ACH / wire
deposits on the manual sandbox clock, over HTTP against a real sandbox process."""

from __future__ import annotations

import httpx
import pytest

from desktop.rules import routing_number_valid
from tests.support.api import CHASE_ROUTING, Api, assert_error
from tests.support.inbound import open_va, sim_va, snapshot, va_body


def customer_with_wallet(api: Api, **overrides) -> tuple[dict, dict]:
    cst = api.customer(**overrides)
    return cst, api.wallet(cst["id"])


def test_create_get_list_patch_delete(api):
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt, label="Payroll", bankMemo="REF 42")
    assert va["id"].startswith("va_") and len(va["id"]) == 3 + 26
    assert va["object"] == "virtualAccount" and va["status"] == "active"
    assert va["customerId"] == cst["id"] and va["label"] == "Payroll"
    assert va["source"] == {"asset": "usd", "network": "usBank"}
    assert va["destination"] == {
        "wallet": {"id": wlt["id"], "blockchainAddress": None, "externalAccountId": None},
        "asset": "usdc",
        "network": "polygon",
    }
    ins = va["depositInstructions"]
    assert routing_number_valid(ins["routingNumber"])
    assert len(ins["accountNumber"]) == 12 and ins["accountNumber"].isdigit()  # unmasked
    assert ins["accountHolderName"] == "Jane Smith" and ins["bankMemo"] == "REF 42"
    assert ins["bankName"]
    assert api.ok(api.get(f"/virtual-accounts/{va['id']}")) == va
    listed = api.ok(api.get(f"/customers/{cst['id']}/virtual-accounts"))
    assert [v["id"] for v in listed["data"]] == [va["id"]] and listed["hasMore"] is False

    paused = api.ok(api.patch(f"/virtual-accounts/{va['id']}", {"status": "paused"}))
    assert paused == {**va, "status": "paused"}
    assert api.ok(api.get(f"/virtual-accounts/{va['id']}"))["status"] == "paused"
    active = api.ok(api.patch(f"/virtual-accounts/{va['id']}", {"status": "active"}))
    assert active["status"] == "active"
    for bad in ("deleted", None, ["paused"]):
        before = api.ok(api.get(f"/virtual-accounts/{va['id']}"))
        assert_error(
            api.patch(f"/virtual-accounts/{va['id']}", {"status": bad}),
            400,
            "invalid_request",
            "status",
        )
        assert api.ok(api.get(f"/virtual-accounts/{va['id']}")) == before

    r = api.delete(f"/virtual-accounts/{va['id']}")
    assert r.status_code == 204 and r.content == b""
    assert_error(api.get(f"/virtual-accounts/{va['id']}"), 404, "not_found", "virtualAccountId")
    assert api.ok(api.get(f"/customers/{cst['id']}/virtual-accounts"))["data"] == []
    assert_error(api.delete(f"/virtual-accounts/{va['id']}"), 404, "not_found")
    assert_error(api.patch(f"/virtual-accounts/{va['id']}", {"status": "active"}), 404, "not_found")
    r = api.post(f"/virtual-accounts/{va['id']}/simulate", {"rail": "ach_in", "amount": "5"})
    assert_error(r, 404, "not_found")
    # another account never sees it
    other = api.new_account()
    try:
        assert_error(other.get(f"/virtual-accounts/{va['id']}"), 404, "not_found")
    finally:
        other.close()


def test_ach_timeline_fees_and_credit_on_the_manual_clock(api):
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt)
    txn = sim_va(api, va["id"], "100.00", "ach_in")
    assert txn["id"].startswith("txn_") and txn["type"] == "fiatToCrypto"
    assert (txn["status"], txn["subStatus"]) == ("processing", "fundsReceived")
    assert txn["quoteId"] is None and txn["recipient"] == cst["id"]
    src = txn["source"]
    assert (src["asset"], src["network"], src["virtualAccountId"]) == ("usd", "ach", va["id"])
    assert (src["amountGross"], src["amountNet"]) == ("100.00", "99.50")
    assert src["feesDeducted"] == {
        "total": "0.50",
        "developer": "0.00",
        "oms": "0.50",
        "gas": "0.00",
        "rail": "0.00",
    }
    dst = txn["destination"]
    assert dst["wallet"] == {"id": wlt["id"], "blockchainAddress": None, "externalAccountId": None}
    assert (dst["asset"], dst["network"], dst["amountNet"]) == ("usdc", "polygon", "99.50")
    assert txn["rates"]["exchangeRate"] == "1.0"
    api.advance(299.999)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "processing"
    assert api.balance(wlt["id"]) == "0.00"
    api.advance(0.001)
    done = api.ok(api.get(f"/transactions/{txn['id']}"))
    assert (done["status"], done["subStatus"]) == ("completed", "settled")
    assert done["completedAt"] is not None and done["error"] is None
    assert api.balance(wlt["id"]) == "99.50"
    api.advance(600)  # never credited twice
    assert api.balance(wlt["id"]) == "99.50"


def test_wire_timeline_fees_half_up_and_reversal(api):
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt)
    wire = sim_va(api, va["id"], "1000.10", "wire_in")  # oms 5.0005 -> 5.00
    assert wire["source"]["network"] == "wire"
    fees = wire["source"]["feesDeducted"]
    assert (fees["oms"], fees["rail"], fees["total"]) == ("5.00", "10.00", "15.00")
    assert wire["destination"]["amountNet"] == "985.10"
    small = sim_va(api, va["id"], "1", "ach_in")  # oms 0.005 -> 0.01 (half-up)
    assert small["source"]["amountGross"] == "1.00"
    assert small["source"]["feesDeducted"]["oms"] == "0.01"
    assert small["destination"]["amountNet"] == "0.99"
    reversed_ = sim_va(api, va["id"], "66.66", "wire_in")
    assert reversed_["status"] == "processing"
    api.advance(59.999)
    assert api.balance(wlt["id"]) == "0.00"
    api.advance(0.001)
    assert api.ok(api.get(f"/transactions/{wire['id']}"))["status"] == "completed"
    failed = api.ok(api.get(f"/transactions/{reversed_['id']}"))
    assert (failed["status"], failed["subStatus"]) == ("failed", "reversed")
    assert failed["error"]["code"] == "deposit_reversed"
    assert api.balance(wlt["id"]) == "985.10"
    api.advance(240)
    assert api.balance(wlt["id"]) == "986.09"


def test_paused_va_refuses_a_deposit_and_changes_nothing(api):
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt)
    api.ok(api.patch(f"/virtual-accounts/{va['id']}", {"status": "paused"}))
    before = snapshot(api, cst, wlt)
    r = api.post(f"/virtual-accounts/{va['id']}/simulate", {"rail": "ach_in", "amount": "50.00"})
    assert_error(r, 409, "invalid_state", "virtualAccountId")
    api.advance(300)
    assert snapshot(api, cst, wlt) == before
    api.ok(api.patch(f"/virtual-accounts/{va['id']}", {"status": "active"}))
    sim_va(api, va["id"], "50.00")
    api.advance(300)
    assert api.balance(wlt["id"]) == "49.75"


def test_usd_gate_and_inactive_customer(api):
    cst, wlt = customer_with_wallet(api, endorsements=["basic", "cryptoCustody"])
    before = snapshot(api, cst, wlt)
    r = api.post(f"/customers/{cst['id']}/virtual-accounts", va_body(wlt["id"]))
    assert_error(r, 403, "endorsement_required", "usd")
    assert snapshot(api, cst, wlt) == before

    ok, okw = customer_with_wallet(api)
    va = open_va(api, ok, okw)
    api.ok(api.patch(f"/sandbox/customers/{ok['id']}", {"status": "inactive"}))
    before = snapshot(api, ok, okw)
    r = api.post(f"/virtual-accounts/{va['id']}/simulate", {"rail": "wire_in", "amount": "20"})
    assert_error(r, 403, "customer_inactive")
    other_wallet = api.wallet(api.customer()["id"])
    r = api.post(f"/customers/{ok['id']}/virtual-accounts", va_body(other_wallet["id"]))
    assert_error(r, 403, "customer_inactive")
    assert snapshot(api, ok, okw) == before


def test_check_order_404_then_403_then_400(api):
    stranger = api.wallet(api.customer()["id"])
    r = api.post("/customers/cst_00000000000000000000000000/virtual-accounts", va_body("wlt_x"))
    assert_error(r, 404, "not_found", "customerId")
    no_usd, _ = customer_with_wallet(api, endorsements=["basic", "cryptoCustody"])
    r = api.post(f"/customers/{no_usd['id']}/virtual-accounts", va_body(stranger["id"]))
    assert_error(r, 403, "endorsement_required", "usd")
    cst, wlt = customer_with_wallet(api)
    before = snapshot(api, cst, wlt)
    for wallet_id in (stranger["id"], "wlt_00000000000000000000000000"):
        r = api.post(f"/customers/{cst['id']}/virtual-accounts", va_body(wallet_id))
        assert_error(r, 400, "invalid_request", "destination.wallet.id")
    assert snapshot(api, cst, wlt) == before


def test_one_va_per_wallet_and_account_numbers_never_reused(api):
    cst, wlt = customer_with_wallet(api)
    first = open_va(api, cst, wlt)
    before = snapshot(api, cst, wlt)
    r = api.post(f"/customers/{cst['id']}/virtual-accounts", va_body(wlt["id"]))
    assert_error(r, 409, "invalid_state", "destination.wallet.id")
    assert snapshot(api, cst, wlt) == before
    numbers = {first["depositInstructions"]["accountNumber"]}
    api.delete(f"/virtual-accounts/{first['id']}")
    for _ in range(5):  # delete and reopen: a new, never-issued number each time
        va = open_va(api, cst, wlt)
        numbers.add(va["depositInstructions"]["accountNumber"])
        assert api.delete(f"/virtual-accounts/{va['id']}").status_code == 204
    assert len(numbers) == 6


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"rail": "sepa_in", "amount": "10.00"}, "invalid_request", "rail"),
        ({"rail": None, "amount": "10.00"}, "invalid_request", "rail"),
        ({"rail": ["ach_in"], "amount": "10.00"}, "invalid_request", "rail"),
        ({"rail": "ach_in", "amount": "0.99"}, "invalid_amount", "amount"),
        ({"rail": "ach_in", "amount": "100000.01"}, "invalid_amount", "amount"),
        ({"rail": "ach_in", "amount": "10.001"}, "invalid_amount", "amount"),
        ({"rail": "ach_in", "amount": 10}, "invalid_amount", "amount"),
        ({"rail": "ach_in", "amount": "1e3"}, "invalid_amount", "amount"),
        ({"rail": "ach_in"}, "invalid_amount", "amount"),
        ({"rail": "wire_in", "amount": "10.05"}, "invalid_amount", "amount"),  # fees eat it all
        (
            {"rail": "ach_in", "amount": "10.00", "sender": {"routingNumber": "021000022"}},
            "invalid_request",
            "sender.routingNumber",
        ),
        (
            {"rail": "ach_in", "amount": "10.00", "sender": {"routingNumber": "000000000"}},
            "invalid_request",
            "sender.routingNumber",
        ),
    ],
)
def test_bad_simulator_body_changes_nothing(api, body, code, param):
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt)
    before = snapshot(api, cst, wlt)
    assert_error(api.post(f"/virtual-accounts/{va['id']}/simulate", body), 400, code, param)
    assert snapshot(api, cst, wlt) == before


def test_simulator_needs_an_idempotency_key_and_replays(api):
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt)
    path = f"/virtual-accounts/{va['id']}/simulate"
    body = {"rail": "ach_in", "amount": "10.00", "sender": {"routingNumber": CHASE_ROUTING}}
    before = snapshot(api, cst, wlt)
    assert_error(api.post(path, body, key=None), 400, "idempotency_key_required")
    assert snapshot(api, cst, wlt) == before
    first = api.post(path, body, key="va-sim-1")
    again = api.post(path, body, key="va-sim-1")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert first.json()["source"]["sender"] == {"name": None, "routingNumber": CHASE_ROUTING}
    assert len(api.ok(api.get("/transactions", customerId=cst["id"]))["data"]) == 1
    assert_error(
        api.post(path, {**body, "amount": "11.00"}, key="va-sim-1"), 422, "idempotency_key_reused"
    )


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"source": {"asset": "eur", "network": "usBank"}}, "unsupported_asset", "source.asset"),
        ({"source": {"asset": "usd", "network": "sepa"}}, "unsupported_asset", "source.network"),
        ({"source": None}, "invalid_request", "source"),
        ({"destination": {"wallet": {}}}, "invalid_request", "destination.wallet.id"),
        ({"destination": "wlt"}, "invalid_request", "destination"),
        (
            {"destination": {"wallet": {"id": "W"}, "asset": "usdt"}},
            "unsupported_asset",
            "destination.asset",
        ),
        ({"label": "x" * 65}, "invalid_request", "label"),
        ({"label": ""}, "invalid_request", "label"),
        ({"bankMemo": 7}, "invalid_request", "bankMemo"),
    ],
)
def test_bad_create_body_changes_nothing(api, change, code, param):
    cst, wlt = customer_with_wallet(api)
    body = {**va_body(wlt["id"]), **change}
    before = snapshot(api, cst, wlt)
    assert_error(api.post(f"/customers/{cst['id']}/virtual-accounts", body), 400, code, param)
    assert snapshot(api, cst, wlt) == before


def test_a_deleted_vas_in_flight_deposit_still_settles(api):
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt)
    txn = sim_va(api, va["id"], "200.00", "wire_in")
    assert api.delete(f"/virtual-accounts/{va['id']}").status_code == 204
    api.advance(60)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "completed"
    assert api.balance(wlt["id"]) == "189.00"


def test_events_of_va_deposits(api, receiver):
    hook = api.webhook(receiver.url, ["transaction.*"])
    receiver.set_secret(hook["secret"])
    cst, wlt = customer_with_wallet(api)
    va = open_va(api, cst, wlt)
    ok = sim_va(api, va["id"], "30.00", "wire_in")
    bad = sim_va(api, va["id"], "66.66", "ach_in")
    api.advance(300)
    got = receiver.wait_delivered(["processing", "processing", "completed", "failed"])
    assert all(g.valid for g in got)
    assert sorted((g.type, g.body["data"]["id"]) for g in got) == sorted(
        [
            ("transaction.fiatToCrypto.processing", ok["id"]),
            ("transaction.fiatToCrypto.processing", bad["id"]),
            ("transaction.fiatToCrypto.completed", ok["id"]),
            ("transaction.fiatToCrypto.failed", bad["id"]),
        ]
    )


def test_openapi_describes_the_inbound_routes_with_their_errors(sandbox):
    doc = httpx.get(sandbox.base_url + "/openapi.json").json()
    expected = {
        "/v0.9/customers/{customerId}/virtual-accounts": {"get", "post"},
        "/v0.9/virtual-accounts/{virtualAccountId}": {"get", "patch", "delete"},
        "/v0.9/virtual-accounts/{virtualAccountId}/simulate": {"post"},
        "/v0.9/customers/{customerId}/deposit-addresses": {"get", "post"},
        "/v0.9/deposit-addresses/{depositAddressId}": {"get", "delete"},
        "/v0.9/deposit-addresses/{depositAddressId}/simulate": {"post"},
        "/v0.9/customers/{customerId}/external-accounts/{externalAccountId}": {"get", "delete"},
    }
    for path, methods in expected.items():
        assert methods <= set(doc["paths"][path]), path
    for path in expected:
        if "external-accounts" in path:
            continue
        for method, op in doc["paths"][path].items():
            assert {"400", "401", "403", "404", "409", "422"} <= set(op["responses"]), (
                path,
                method,
            )
            assert op["responses"]["404"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }
            assert op["security"] == [{"bearer": []}]
    for path in (
        "/v0.9/virtual-accounts/{virtualAccountId}/simulate",
        "/v0.9/deposit-addresses/{depositAddressId}/simulate",
        "/v0.9/customers/{customerId}/virtual-accounts",
    ):
        post = doc["paths"][path]["post"]
        key = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
        assert key and key[0]["required"] is True
    created = doc["paths"]["/v0.9/customers/{customerId}/virtual-accounts"]["post"]["responses"]
    assert created["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/VirtualAccountOut"
    }
    sim = doc["paths"]["/v0.9/virtual-accounts/{virtualAccountId}/simulate"]["post"]
    assert sim["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TransactionOut"
    }
    schemas = doc["components"]["schemas"]
    assert {"rail", "amount"} <= set(schemas["VirtualAccountSimulate"]["properties"])
    assert {"address", "label", "type"} <= set(schemas["ExternalAccountCreate"]["properties"])
    ext_list = doc["paths"]["/v0.9/customers/{customerId}/external-accounts"]["get"]
    assert "type" in {p["name"] for p in ext_list["parameters"]}
