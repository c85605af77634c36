"""Saved blockchain addresses (D23): external accounts of type blockchainAddress, the
`?type=` filter, DELETE of any external account, and sends naming a saved address."""

from __future__ import annotations

import pytest

from tests.support.api import Api, assert_error
from tests.support.inbound import save_address, snapshot

ADDR = "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"
OTHER = "0xabC1230000000000000000000000000000DEf456"


def funded(api: Api, amount: str = "500.00") -> tuple[dict, dict]:
    cst = api.customer()
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], amount)
    return cst, wlt


def send_body(cst: dict, wlt: dict, ext_id: str, amount: str = "100.00", **dest) -> dict:
    return {
        "customerId": cst["id"],
        "source": {"walletId": wlt["id"], "asset": "usdc", "network": "polygon", "amount": amount},
        "destination": {
            "wallet": {"externalAccount": ext_id},
            "asset": "usdc",
            "network": "polygon",
            **dest,
        },
        "sponsorGas": True,
    }


def test_save_list_filter_get_delete(api):
    cst = api.customer()
    saved = save_address(api, cst, ADDR.lower(), "Treasury cold")
    assert saved["id"].startswith("cpBcAddr_") and len(saved["id"]) == 9 + 26
    assert saved == {
        "id": saved["id"],
        "object": "externalAccount",
        "customerId": cst["id"],
        "type": "blockchainAddress",
        "network": "polygon",
        "address": ADDR,  # EIP-55 form
        "label": "Treasury cold",
        "createdAt": saved["createdAt"],
    }
    bank = api.bank_account(cst["id"])
    path = f"/customers/{cst['id']}/external-accounts"
    assert [a["id"] for a in api.ok(api.get(path))["data"]] == [bank["id"], saved["id"]]
    assert [a["id"] for a in api.ok(api.get(path, type="blockchainAddress"))["data"]] == [
        saved["id"]
    ]
    assert [a["id"] for a in api.ok(api.get(path, type="usBank"))["data"]] == [bank["id"]]
    assert_error(api.get(path, type="card"), 400, "invalid_request", "type")
    assert api.ok(api.get(f"{path}/{saved['id']}")) == saved

    other = api.customer()
    before = snapshot(api, cst)
    assert_error(
        api.delete(f"/customers/{other['id']}/external-accounts/{saved['id']}"), 404, "not_found"
    )
    assert_error(
        api.delete(f"/customers/cst_00000000000000000000000000/external-accounts/{saved['id']}"),
        404,
        "not_found",
        "customerId",
    )
    assert snapshot(api, cst) == before
    for ext in (saved, bank):  # any external account
        r = api.delete(f"{path}/{ext['id']}")
        assert r.status_code == 204 and r.content == b""
        assert_error(api.get(f"{path}/{ext['id']}"), 404, "not_found")
        assert_error(api.delete(f"{path}/{ext['id']}"), 404, "not_found")
    assert api.ok(api.get(path))["data"] == []


def test_duplicate_address_is_refused_until_deleted(api):
    cst = api.customer()
    first = save_address(api, cst, ADDR)
    before = snapshot(api, cst)
    body = {
        "type": "blockchainAddress",
        "network": "polygon",
        "address": ADDR.lower(),
        "label": "again",
    }
    r = api.post(f"/customers/{cst['id']}/external-accounts", body)
    assert_error(r, 409, "invalid_state", "address")
    assert snapshot(api, cst) == before
    other = api.customer()  # another customer may save the same address
    assert save_address(api, other, ADDR)["address"] == ADDR
    assert api.delete(f"/customers/{cst['id']}/external-accounts/{first['id']}").status_code == 204
    again = save_address(api, cst, ADDR, "again")
    assert again["id"] != first["id"]


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"address": "0x1234"}, "invalid_address", "address"),
        ({"address": None}, "invalid_address", "address"),
        ({"address": "0x7b3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"}, "invalid_address", "address"),
        ({"network": "ethereum"}, "unsupported_asset", "network"),
        ({"label": ""}, "invalid_request", "label"),
        ({"label": "x" * 65}, "invalid_request", "label"),
        ({"label": None}, "invalid_request", "label"),
        ({"type": "iban"}, "invalid_request", "type"),
    ],
)
def test_bad_saved_address_changes_nothing(api, change, code, param):
    cst = api.customer()
    body = {
        "type": "blockchainAddress",
        "network": "polygon",
        "address": ADDR,
        "label": "L",
        **change,
    }
    before = snapshot(api, cst)
    assert_error(api.post(f"/customers/{cst['id']}/external-accounts", body), 400, code, param)
    assert snapshot(api, cst) == before


def test_send_to_a_saved_address(api):
    cst, wlt = funded(api)
    saved = save_address(api, cst, OTHER)
    quote = api.ok(api.post("/quotes", send_body(cst, wlt, saved["id"])), 201)
    target = {"id": None, "blockchainAddress": OTHER, "externalAccountId": saved["id"]}
    assert quote["type"] == "cryptoToCrypto" and quote["destination"]["wallet"] == target
    assert quote["destination"]["amountNet"] == "99.90"
    txn = api.ok(api.post("/transactions", {"quoteId": quote["id"]}), 201)
    assert txn["destination"]["wallet"] == target
    assert txn["destination"]["externalAccountId"] == saved["id"]
    assert api.balance(wlt["id"]) == "400.00"
    api.advance(5)
    done = api.ok(api.get(f"/transactions/{txn['id']}"))
    assert done["status"] == "completed" and done["destination"]["txHash"]
    assert api.balance(wlt["id"]) == "400.00"


def test_bad_sends_to_saved_addresses_change_nothing(api):
    cst, wlt = funded(api)
    stranger = api.customer()
    theirs = save_address(api, stranger, OTHER)
    mine = save_address(api, cst, ADDR)
    gone = save_address(api, cst, OTHER)
    api.delete(f"/customers/{cst['id']}/external-accounts/{gone['id']}")
    before = snapshot(api, cst, wlt)
    param = "destination.wallet.externalAccount"
    for ext_id in (theirs["id"], gone["id"], "cpBcAddr_00000000000000000000000000"):
        r = api.post("/quotes", send_body(cst, wlt, ext_id))
        assert_error(r, 400, "invalid_request", param)
    r = api.post("/quotes", send_body(cst, wlt, mine["id"], network="ethereum"))
    assert_error(r, 400, "unsupported_asset")
    r = api.post("/quotes", send_body(cst, wlt, mine["id"], amount="9999.00"))
    assert_error(r, 422, "insufficient_funds")
    assert snapshot(api, cst, wlt) == before


def test_bank_accounts_of_an_older_database_are_filtered_by_type(tmp_path):
    """Bank accounts once stored their network in the `type` column; the start-up migration
    turns it into their type (once), so `?type=usBank` finds them."""
    from desktop.sandbox.saved_addresses import _migrate
    from desktop.sandbox.store import Store

    store = Store(str(tmp_path / "old.db"))
    try:
        for i, network in enumerate(("ach", "wire")):
            store.insert_resource(
                id=f"cpUsBank_{i}",
                account="a",
                kind="externalAccount",
                body={},
                created_ms=i,
                customer_id="c",
                status="verified",
                type=network,
            )
        _migrate(store)
        rows, _ = store.page("externalAccount", "a", customer_id="c", type="usBank")
        assert [r["id"] for r in rows] == ["cpUsBank_1", "cpUsBank_0"]
        assert store.get_meta("ext_type_column") == "type"
    finally:
        store.close()
