"""Fees at the half-unit, rail by rail (D13: half-up at the asset's precision), over HTTP.

Every expected value is worked out by hand in the comment beside it, never by the sandbox's
own fee functions, and each rail has an amount where half-up and truncation differ: a change
from half-up to truncation (or to half-even) fails here.
"""

from __future__ import annotations

import pytest

from tests.support.api import EXT_ADDR, Api


@pytest.fixture(scope="module")
def payer(sandbox):
    api = Api.on_new_account(sandbox)
    c, w = api.funded("5000.00")
    yield api, c, w
    api.close()


def _fees(side: dict) -> dict:
    return side["feesDeducted"]


# -- cryptoToCrypto: oms 0.10 % half-up at 6 places, at least 0.01; gas 0.01 unless sponsored ---
@pytest.mark.parametrize(
    ("amount", "sponsor", "oms", "gas", "total", "net"),
    [
        # 100.0005 x 0.001 = 0.1000005 -> half-up 0.100001 (truncation: 0.100000)
        ("100.0005", True, "0.100001", "0.00", "0.100001", "99.900499"),
        ("100.0005", False, "0.100001", "0.01", "0.110001", "99.890499"),
        # 100.0004 x 0.001 = 0.1000004 -> 0.100000, shown "0.10"
        ("100.0004", True, "0.10", "0.00", "0.10", "99.9004"),
        # 3.0005 x 0.001 = 0.0030005 -> below the 0.01 minimum
        ("3.0005", True, "0.01", "0.00", "0.01", "2.9905"),
        # 12.3455 x 0.001 = 0.0123455 -> 0.012346 (truncation: 0.012345)
        ("12.3455", False, "0.012346", "0.01", "0.022346", "12.323154"),
    ],
)
def test_crypto_to_crypto_fee_rounds_half_up(payer, amount, sponsor, oms, gas, total, net):
    api, c, w = payer
    q = api.quote(c, w, amount=amount, to=EXT_ADDR, sponsor=sponsor)
    assert q["source"]["amountGross"] == amount
    assert _fees(q["source"]) == {
        "total": total,
        "developer": "0.00",
        "oms": oms,
        "gas": gas,
        "rail": "0.00",
    }
    assert q["source"]["amountNet"] == net
    assert q["destination"]["amountGross"] == q["destination"]["amountNet"] == net


@pytest.mark.parametrize(
    ("net", "gross", "oms"),
    [
        # smallest g with g - r(g x 0.001) = 99.9005: g = 100.000501 -> fee 0.100000501 ->
        # 0.100001, net 99.9005; g = 100.0005 -> fee 0.100001 -> net 99.900499 (too little).
        # Under truncation the answer would be 100.0005 (fee 0.100000).
        ("99.9005", "100.000501", "0.100001"),
        # g = 100.000499 -> fee 0.100000499 -> 0.100000 -> net 99.900499; one less is short.
        ("99.900499", "100.000499", "0.10"),
    ],
)
def test_crypto_to_crypto_fixed_destination_picks_the_smallest_gross(payer, net, gross, oms):
    api, c, w = payer
    q = api.quote(c, w, amount=net, to=EXT_ADDR, side="destination", sponsor=True)
    assert q["fixedAmountSide"] == "destination"
    assert (q["source"]["amountGross"], _fees(q["source"])["oms"]) == (gross, oms)
    assert q["source"]["amountNet"] == q["destination"]["amountNet"] == net


# -- cryptoToFiat: amounts in 2 places; oms 0.50 % half-up at the cent + rail 0.25 / 15.00 ------
@pytest.mark.parametrize(
    ("network", "amount", "oms", "rail", "total", "net"),
    [
        # 101.00 x 0.005 = 0.505 -> 0.51 (truncation: 0.50)
        ("ach", "101.00", "0.51", "0.25", "0.76", "100.24"),
        ("wire", "101.00", "0.51", "15.00", "15.51", "85.49"),
        # 100.99 x 0.005 = 0.50495 -> 0.50
        ("ach", "100.99", "0.50", "0.25", "0.75", "100.24"),
        # 3.00 x 0.005 = 0.015 -> 0.02 (truncation: 0.01)
        ("ach", "3.00", "0.02", "0.25", "0.27", "2.73"),
    ],
)
def test_crypto_to_fiat_fee_rounds_half_up(payer, network, amount, oms, rail, total, net):
    api, c, w = payer
    ext = api.bank_account(c["id"], network=network)
    body = {
        "customerId": c["id"],
        "source": {"walletId": w["id"], "asset": "usdc", "network": "polygon", "amount": amount},
        "destination": {
            "wallet": {"externalAccount": ext["id"]},
            "asset": "usd",
            "network": network,
        },
    }
    q = api.ok(api.post("/quotes", body), 201)
    assert q["type"] == "cryptoToFiat"
    assert _fees(q["source"]) == {
        "total": total,
        "developer": "0.00",
        "oms": oms,
        "gas": "0.00",
        "rail": rail,
    }
    assert (q["source"]["amountGross"], q["source"]["amountNet"]) == (amount, net)
    assert q["destination"]["amountGross"] == q["destination"]["amountNet"] == net


# -- cash-in: 1.5 % half-up at the cent + 0.50 -------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "fee", "net"),
    [
        # 21.00 x 0.015 = 0.315 -> 0.32 (truncation: 0.31); + 0.50 = 0.82
        ("21.00", "0.82", "20.18"),
        # 23.30 x 0.015 = 0.3495 -> 0.35; + 0.50 = 0.85
        ("23.30", "0.85", "22.45"),
        # 100.00 x 0.015 = 1.50; + 0.50 = 2.00
        ("100.00", "2.00", "98.00"),
    ],
)
def test_cash_in_fee_rounds_half_up(sandbox, amount, fee, net):
    api = Api.on_new_account(sandbox)  # its own account: the D11 limits count per customer
    try:
        c = api.customer()
        w = api.wallet(c["id"])
        ci = api.cash_in(c["id"], w["id"], amount)
        assert _fees(ci["source"])["oms"] == _fees(ci["source"])["total"] == fee
        assert (ci["source"]["amountGross"], ci["source"]["amountNet"]) == (amount, net)
        assert ci["destination"]["amountNet"] == net
        api.deposit_cash(ci, amount)
        api.advance(10)
        assert api.balance(w["id"]) == net
    finally:
        api.close()


# -- inbound: no fee at all ------------------------------------------------------------------------
def test_inbound_money_carries_no_fee(payer):
    api, c, w = payer
    other = api.customer()
    ow = api.wallet(other["id"])
    api.fund(ow["id"], "100.0005")  # a simulated on-chain deposit: credited in full
    assert api.balance(ow["id"]) == "100.0005"
    # An internal send credits the recipient exactly the quote's net, nothing taken on arrival.
    t = api.send(c, w, amount="100.0005", to=ow["id"], sponsor=True)
    assert t["destination"]["amountNet"] == "99.900499"
    assert _fees(t["destination"]) == {
        "total": "0.00",
        "developer": "0.00",
        "oms": "0.00",
        "gas": "0.00",
        "rail": "0.00",
    }
    api.advance(5)
    assert api.balance(ow["id"]) == "199.900999"  # 100.0005 + 99.900499
