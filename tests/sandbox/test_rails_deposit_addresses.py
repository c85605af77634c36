"""Deposit addresses (D22): create, list, get, delete, and inbound USDC transfers completed
in 5 s on the manual sandbox clock, with `wallet.depositDetected`; plus the ledger invariant
(D7) after 200 mixed inbound deposits."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from Crypto.Hash import keccak

from tests.support.api import Api, assert_error
from tests.support.inbound import da_body, open_da, open_va, sim_da, sim_va, snapshot

SENDER = "0xabC1230000000000000000000000000000DEf456"


def eip55(address: str) -> str:
    hex_addr = address[2:].lower()
    digest = keccak.new(digest_bits=256, data=hex_addr.encode()).hexdigest()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex_addr)
    )


def customer_with_wallet(api: Api, **overrides) -> tuple[dict, dict]:
    cst = api.customer(**overrides)
    return cst, api.wallet(cst["id"])


def test_create_get_list_delete_several_per_wallet(api):
    cst, wlt = customer_with_wallet(api)
    da = open_da(api, cst, wlt, label="Exchange withdrawals")
    assert da["id"].startswith("da_") and len(da["id"]) == 3 + 26
    assert da["object"] == "depositAddress" and da["status"] == "active"
    assert da["customerId"] == cst["id"] and da["label"] == "Exchange withdrawals"
    assert da["source"] == {"asset": "usdc", "network": "polygon"}
    assert da["destination"] == {
        "wallet": {"id": wlt["id"], "blockchainAddress": None, "externalAccountId": None}
    }
    ins = da["depositInstructions"]
    assert (ins["asset"], ins["network"]) == ("usdc", "polygon")
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", ins["address"]) and ins["address"] == eip55(
        ins["address"]
    )
    second = open_da(api, cst, wlt)
    assert second["label"] is None
    assert second["depositInstructions"]["address"] != ins["address"]
    assert api.ok(api.get(f"/deposit-addresses/{da['id']}")) == da
    listed = api.ok(api.get(f"/customers/{cst['id']}/deposit-addresses"))
    assert [d["id"] for d in listed["data"]] == [second["id"], da["id"]]
    assert api.delete(f"/deposit-addresses/{da['id']}").status_code == 204
    assert_error(api.get(f"/deposit-addresses/{da['id']}"), 404, "not_found", "depositAddressId")
    listed = api.ok(api.get(f"/customers/{cst['id']}/deposit-addresses"))
    assert [d["id"] for d in listed["data"]] == [second["id"]]
    before = snapshot(api, cst, wlt)
    assert_error(
        api.post(f"/deposit-addresses/{da['id']}/simulate", {"amount": "5"}), 404, "not_found"
    )
    assert_error(api.delete(f"/deposit-addresses/{da['id']}"), 404, "not_found")
    assert snapshot(api, cst, wlt) == before


def test_transfer_timeline_and_deposit_event(api, receiver):
    hook = api.webhook(receiver.url, ["transaction.cryptoToCrypto.*", "wallet.depositDetected"])
    receiver.set_secret(hook["secret"])
    cst, wlt = customer_with_wallet(api)
    da = open_da(api, cst, wlt)
    txn = sim_da(api, da["id"], "25", fromAddress=SENDER.lower())
    assert txn["type"] == "cryptoToCrypto"
    assert (txn["status"], txn["subStatus"]) == ("processing", "broadcast")
    assert re.fullmatch(r"0x[0-9a-f]{64}", txn["txHash"])
    assert txn["depositAddressId"] == da["id"] and txn["recipient"] == cst["id"]
    src = txn["source"]
    assert src["depositAddressId"] == da["id"] and src["blockchainAddress"] == SENDER
    assert (src["amountGross"], src["amountNet"]) == ("25.00", "25.00")
    assert src["feesDeducted"]["total"] == "0.00"
    assert txn["destination"]["wallet"]["id"] == wlt["id"]
    assert txn["destination"]["amountNet"] == "25.00"
    default = sim_da(api, da["id"], "1.50")
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", default["source"]["blockchainAddress"])
    api.advance(4.999)
    assert api.ok(api.get(f"/transactions/{txn['id']}"))["status"] == "processing"
    assert api.balance(wlt["id"]) == "0.00"
    api.advance(0.001)
    done = api.ok(api.get(f"/transactions/{txn['id']}"))
    assert (done["status"], done["subStatus"]) == ("completed", "settled")
    assert done["txHash"] == txn["txHash"]
    assert api.balance(wlt["id"]) == "26.50"
    got = receiver.wait_delivered(["p", "p", "c", "c", "d", "d"])
    types = [g.type for g in got]
    assert types.count("transaction.cryptoToCrypto.processing") == 2
    assert types.count("transaction.cryptoToCrypto.completed") == 2
    deposits = [g.body["data"] for g in got if g.type == "wallet.depositDetected"]
    mine = next(d for d in deposits if d["txHash"] == txn["txHash"])
    assert mine == {
        "object": "deposit",
        "walletId": wlt["id"],
        "customerId": cst["id"],
        "asset": "usdc",
        "network": "polygon",
        "amount": "25.00",
        "txHash": txn["txHash"],
        "createdAt": mine["createdAt"],
    }
    # completion comes before its deposit event
    order = [(g.type, g.body["data"].get("txHash")) for g in got]
    assert order.index(("transaction.cryptoToCrypto.completed", txn["txHash"])) < order.index(
        ("wallet.depositDetected", txn["txHash"])
    )


def test_crypto_custody_gate_and_check_order(api):
    stranger = api.wallet(api.customer()["id"])
    no_custody = api.customer(endorsements=["basic", "usd"])
    before = snapshot(api, no_custody)
    r = api.post(f"/customers/{no_custody['id']}/deposit-addresses", da_body(stranger["id"]))
    assert_error(r, 403, "endorsement_required", "cryptoCustody")
    assert snapshot(api, no_custody) == before
    r = api.post("/customers/cst_00000000000000000000000000/deposit-addresses", da_body("w"))
    assert_error(r, 404, "not_found", "customerId")
    cst, wlt = customer_with_wallet(api)
    before = snapshot(api, cst, wlt)
    r = api.post(f"/customers/{cst['id']}/deposit-addresses", da_body(stranger["id"]))
    assert_error(r, 400, "invalid_request", "destination.wallet.id")
    assert snapshot(api, cst, wlt) == before


def test_inactive_customer_cannot_receive_through_a_deposit_address(api):
    cst, wlt = customer_with_wallet(api)
    da = open_da(api, cst, wlt)
    api.ok(api.patch(f"/sandbox/customers/{cst['id']}", {"status": "inactive"}))
    before = snapshot(api, cst, wlt)
    r = api.post(f"/deposit-addresses/{da['id']}/simulate", {"amount": "5.00"})
    assert_error(r, 403, "customer_inactive")
    r = api.post(f"/customers/{cst['id']}/deposit-addresses", da_body(wlt["id"]))
    assert_error(r, 403, "customer_inactive")
    assert snapshot(api, cst, wlt) == before


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"amount": "0.001"}, "invalid_amount", "amount"),
        ({"amount": "100000.01"}, "invalid_amount", "amount"),
        ({"amount": "0"}, "invalid_amount", "amount"),
        ({"amount": 5}, "invalid_amount", "amount"),
        ({"amount": "-5"}, "invalid_amount", "amount"),
        ({}, "invalid_amount", "amount"),
        ({"amount": "5", "fromAddress": "0x1234"}, "invalid_address", "fromAddress"),
        (
            {"amount": "5", "fromAddress": "0xABc1230000000000000000000000000000DEf456"},
            "invalid_address",
            "fromAddress",
        ),
    ],
)
def test_bad_simulator_body_changes_nothing(api, body, code, param):
    cst, wlt = customer_with_wallet(api)
    da = open_da(api, cst, wlt)
    before = snapshot(api, cst, wlt)
    assert_error(api.post(f"/deposit-addresses/{da['id']}/simulate", body), 400, code, param)
    assert_error(
        api.post(f"/deposit-addresses/{da['id']}/simulate", {"amount": "5"}, key=None),
        400,
        "idempotency_key_required",
    )
    assert snapshot(api, cst, wlt) == before


@pytest.mark.parametrize(
    ("change", "code", "param"),
    [
        ({"source": {"asset": "usdt", "network": "polygon"}}, "unsupported_asset", "source.asset"),
        (
            {"source": {"asset": "usdc", "network": "ethereum"}},
            "unsupported_asset",
            "source.network",
        ),
        ({"destination": {}}, "invalid_request", "destination.wallet"),
        ({"label": "x" * 65}, "invalid_request", "label"),
    ],
)
def test_bad_create_body_changes_nothing(api, change, code, param):
    cst, wlt = customer_with_wallet(api)
    before = snapshot(api, cst, wlt)
    body = {**da_body(wlt["id"]), **change}
    assert_error(api.post(f"/customers/{cst['id']}/deposit-addresses", body), 400, code, param)
    assert snapshot(api, cst, wlt) == before


def test_ledger_invariant_after_200_mixed_inbound_deposits(api):
    """D7 with D22: Σ balances = simulated deposits + completed VA/DA destination.amountNet."""
    started = time.monotonic()
    targets = []
    for _ in range(4):
        cst, wlt = customer_with_wallet(api)
        api.fund(wlt["id"], "10.00")
        targets.append((wlt, open_va(api, cst, wlt), open_da(api, cst, wlt)))
    txns = []
    for i in range(200):
        wlt, va, da = targets[i % 4]
        amount = "66.66" if i % 17 == 0 else f"{1 + i * 37 % 5000}.{i % 100:02d}"
        if i % 3 == 0:
            txns.append(sim_da(api, da["id"], amount))
        else:
            txns.append(sim_va(api, va["id"], amount, "wire_in" if i % 3 == 1 else "ach_in"))
        if i == 100:
            api.advance(30)  # interleave settlement with new deposits

    def check() -> dict[str, int]:
        now = {t["id"]: api.ok(api.get(f"/transactions/{t['id']}")) for t in txns}
        credited = sum(
            Decimal(t["destination"]["amountNet"])
            for t in now.values()
            if t["status"] == "completed"
        )
        total = sum(Decimal(api.balance(w["id"])) for w, _, _ in targets)
        assert total == Decimal("40.00") + credited
        counts: dict[str, int] = {}
        for t in now.values():
            counts[t["status"]] = counts.get(t["status"], 0) + 1
        return counts

    mid = check()
    assert mid.get("processing", 0) > 0 and mid.get("completed", 0) > 0
    api.advance(300)
    end = check()
    assert end.get("processing", 0) == 0
    reversed_ = [
        t for t in txns if t["type"] == "fiatToCrypto" and t["source"]["amountGross"] == "66.66"
    ]
    assert end["failed"] == len(reversed_) > 0
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"{elapsed:.1f} s"


def test_inbound_deposits_in_flight_survive_a_kill(tmp_path):
    """Settlement jobs of VA and DA deposits are durable: after kill -9 and a restart they
    still settle once, and account numbers stay unique."""
    import signal

    from tests.support.sandbox import start_sandbox

    data = tmp_path / "sb"
    sb = start_sandbox(data)
    try:
        api = Api(sb.base_url, sb.api_key, sb.api_secret)
        cst, wlt = customer_with_wallet(api)
        va, da = open_va(api, cst, wlt), open_da(api, cst, wlt)
        bank = sim_va(api, va["id"], "100.00", "wire_in")
        usdc = sim_da(api, da["id"], "7.00")
        api.close()
    finally:
        sb.stop(signal.SIGKILL)
    sb2 = start_sandbox(data)
    try:
        api = Api(sb2.base_url, sb2.api_key, sb2.api_secret)
        assert api.ok(api.get(f"/transactions/{bank['id']}"))["status"] == "processing"
        api.advance(60)
        assert api.ok(api.get(f"/transactions/{bank['id']}"))["status"] == "completed"
        assert api.ok(api.get(f"/transactions/{usdc['id']}"))["status"] == "completed"
        assert api.balance(wlt["id"]) == "96.50"
        api.advance(600)
        assert api.balance(wlt["id"]) == "96.50"
        other = api.wallet(api.customer()["id"])
        second = open_va(api, {"id": other["customerId"]}, other)
        assert (
            second["depositInstructions"]["accountNumber"]
            != va["depositInstructions"]["accountNumber"]
        )
        api.close()
    finally:
        sb2.stop()
