"""Bad input: each request gets the right status and code, and nothing changes."""

from __future__ import annotations

import copy

import pytest

from tests.support.api import EXT_ADDR, Api, assert_error


@pytest.fixture(scope="module")
def world(sandbox):
    api = Api.on_new_account(sandbox)
    c, w = api.funded("1000.00")
    other = Api.on_new_account(sandbox)
    oc, ow = other.funded("50.00")
    oq = other.quote(oc, ow, amount="1.00")
    yield api, c, w, oc, ow, oq
    api.close()
    other.close()


def snapshot(api: Api, w: dict) -> tuple:
    return (
        api.balance(w["id"]),
        [q["id"] for q in api.get("/transactions").json()["data"]],
        [c["id"] for c in api.get("/customers").json()["data"]],
        api.get(f"/customers/{w['customerId']}/wallets").json()["data"],
    )


def quote_with(c, w, path: str, value, delete=False) -> dict:
    body = {
        "customerId": c["id"],
        "source": {"walletId": w["id"], "asset": "usdc", "network": "polygon", "amount": "10.00"},
        "destination": {
            "wallet": {"blockchainAddress": EXT_ADDR},
            "asset": "usdc",
            "network": "polygon",
        },
        "sponsorGas": True,
    }
    body = copy.deepcopy(body)
    node = body
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[p]
    if delete:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return body


QUOTE_CASES = [
    # (path, value, delete, status, code, param)
    ("source.amount", "-5.00", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", "0", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", "0.000000", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", "1.0000001", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", "1e3", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", "NaN", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", "Infinity", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", " 10.00", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", 10, False, 400, "invalid_amount", "source.amount"),
    ("source.amount", 10.5, False, 400, "invalid_amount", "source.amount"),
    ("source.amount", "99999999999999999999", False, 400, "invalid_amount", "source.amount"),
    ("source.amount", None, False, 400, "invalid_request", "source.amount"),
    ("destination.amount", "5.00", False, 400, "invalid_request", "source.amount"),
    ("customerId", 123, False, 400, "invalid_request", "customerId"),
    ("customerId", None, True, 400, "invalid_request", "customerId"),
    ("customerId", "cst_00000000000000000000000000", False, 404, "not_found", "customerId"),
    (
        "source.walletId",
        "wlt_00000000000000000000000000",
        False,
        404,
        "not_found",
        "source.walletId",
    ),
    ("source.walletId", None, True, 400, "invalid_request", "source.walletId"),
    ("source.network", "ethereum", False, 400, "unsupported_asset", "source.network"),
    ("destination.network", "solana", False, 400, "unsupported_asset", "destination.network"),
    ("destination.wallet", {}, False, 400, "invalid_request", "destination.wallet"),
    (
        "destination.wallet",
        {"id": "wlt_00000000000000000000000000", "blockchainAddress": EXT_ADDR},
        False,
        400,
        "invalid_request",
        "destination.wallet",
    ),
    (
        "destination.wallet.blockchainAddress",
        "0x1234",
        False,
        400,
        "invalid_address",
        "destination.wallet.blockchainAddress",
    ),
    (
        "destination.wallet.blockchainAddress",
        "0x" + "g" * 40,
        False,
        400,
        "invalid_address",
        "destination.wallet.blockchainAddress",
    ),
    (
        "destination.wallet.blockchainAddress",
        "abC1230000000000000000000000000000DEf45600",
        False,
        400,
        "invalid_address",
        "destination.wallet.blockchainAddress",
    ),
    # one letter's case flipped: fails EIP-55
    (
        "destination.wallet.blockchainAddress",
        "0xAbC1230000000000000000000000000000DEf456",
        False,
        400,
        "invalid_address",
        "destination.wallet.blockchainAddress",
    ),
    (
        "destination.wallet.id",
        "wlt_00000000000000000000000000",
        False,
        400,
        "invalid_request",
        "destination.wallet",
    ),
    ("sponsorGas", "yes", False, 400, "invalid_request", "sponsorGas"),
    ("source", "wallet", False, 400, "invalid_request", "source"),
]


@pytest.mark.parametrize(("path", "value", "delete", "status", "code", "param"), QUOTE_CASES)
def test_quote_bad_input_changes_nothing(world, path, value, delete, status, code, param):
    api, c, w, *_ = world
    before = snapshot(api, w)
    r = api.post("/quotes", quote_with(c, w, path, value, delete))
    assert_error(r, status, code, param)
    assert snapshot(api, w) == before


def test_malformed_and_wrong_bodies_change_nothing(world):
    api, c, w, *_ = world
    before = snapshot(api, w)
    for raw in [b"{", b"[1,2", b"not json", b'{"quoteId": }']:
        r = api.http.post(
            "/transactions",
            content=raw,
            headers={"Idempotency-Key": "m", "Content-Type": "application/json"},
        )
        assert_error(r, 400, "invalid_request", None)
    assert_error(api.post("/transactions", [1, 2]), 400, "invalid_request")
    assert_error(api.post("/transactions", {}), 400, "invalid_request", "quoteId")
    assert_error(api.post("/transactions", {"quoteId": 7}), 400, "invalid_request", "quoteId")
    assert_error(api.post("/transactions", {"quoteId": "qt_x"}), 404, "not_found", "quoteId")
    assert_error(
        api.post(f"/customers/{c['id']}/wallets", {"asset": "usdc"}),
        400,
        "invalid_request",
        "chain",
    )
    assert_error(
        api.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": 5}, key=None),
        400,
        "invalid_amount",
        "amount",
    )
    assert_error(
        api.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": "1.0000001"}, key=None),
        400,
        "invalid_amount",
        "amount",
    )
    assert_error(
        api.post(f"/sandbox/wallets/{w['id']}/deposit", {}, key=None),
        400,
        "invalid_request",
        "amount",
    )
    for path in [
        "/customers/cst_nope",
        "/wallets/wlt_nope",
        "/wallets/wlt_nope/balance",
        "/quotes/qt_nope",
        "/transactions/txn_nope",
        "/customers/cst_nope/wallets",
        "/customers/cst_nope/transactions",
    ]:
        assert_error(api.get(path), 404, "not_found")
    assert snapshot(api, w) == before


def test_other_accounts_ids_change_nothing(world):
    api, c, w, oc, ow, oq = world
    before = snapshot(api, w)
    assert_error(api.post("/transactions", {"quoteId": oq["id"]}), 404, "not_found", "quoteId")
    assert_error(api.get(f"/quotes/{oq['id']}"), 404, "not_found")
    assert_error(
        api.post("/quotes", quote_with(c, ow, "source.walletId", ow["id"])),
        404,
        "not_found",
        "source.walletId",
    )
    assert_error(
        api.post("/quotes", quote_with(oc, w, "customerId", oc["id"])),
        404,
        "not_found",
        "customerId",
    )
    assert_error(api.patch(f"/customers/{oc['id']}", {"firstName": "X"}), 404, "not_found")
    assert_error(
        api.http.patch(f"/sandbox/customers/{oc['id']}", json={"status": "inactive"}),
        404,
        "not_found",
    )
    assert_error(
        api.post(f"/customers/{oc['id']}/wallets", {"asset": "usdc", "chain": "polygon"}),
        404,
        "not_found",
    )
    assert snapshot(api, w) == before


def test_paging_parameter_errors(world):
    api, *_ = world
    assert_error(
        api.get("/customers", params={"startingAfter": "cst_nope"}),
        400,
        "invalid_request",
        "startingAfter",
    )
    assert_error(
        api.get("/transactions", params={"endingBefore": "txn_nope"}),
        400,
        "invalid_request",
        "endingBefore",
    )
    first = api.get("/customers").json()["data"][0]["id"]
    assert_error(
        api.get("/customers", params={"startingAfter": first, "endingBefore": first}),
        400,
        "invalid_request",
    )
    assert_error(
        api.get("/customers", params={"createdAfter": "yesterday"}),
        400,
        "invalid_request",
        "createdAfter",
    )
    assert_error(
        api.get("/transactions", params={"status": "done"}), 400, "invalid_request", "status"
    )
    assert_error(api.get("/transactions", params={"limit": 0}), 400, "invalid_request", "limit")
