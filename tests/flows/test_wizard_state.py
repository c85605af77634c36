"""Wizard state dataclasses, request bodies, quote diff, cash-in estimate, countdown math."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.flows.state import (
    ConfirmState,
    FundState,
    SendState,
    WithdrawState,
    diff_quotes,
    estimate_cash_in,
)
from desktop.flows.timing import Deadline
from desktop.oms import new_idempotency_key

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


class FakeClock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_deadline_uses_server_date_not_local_clock():
    clock = FakeClock(500.0)
    server_now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    # The local wall clock could be hours off; only expiresAt − Date counts.
    d = Deadline.from_server(server_now + timedelta(seconds=30), server_now, 500.0, clock)
    assert d.remaining() == 30
    clock.t += 20.5
    assert d.remaining() == pytest.approx(9.5)
    assert not d.expired()
    assert d.ms_to_next_tick() == 500
    clock.t += 9.5
    assert d.expired() and d.remaining() == 0
    clock.t += 100
    assert d.remaining() == 0  # never negative


def test_deadline_received_late_counts_from_receipt():
    server_now = datetime(2026, 1, 1, tzinfo=UTC)
    d = Deadline.from_server(server_now + timedelta(seconds=30), server_now, 10.0, FakeClock(12))
    assert d.remaining() == 28


def test_deadline_http_date_resolution_is_conservative():
    server_now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)  # whole second: a Date header
    exp = server_now + timedelta(seconds=30, milliseconds=700)
    d = Deadline.from_server(exp, server_now, 0.0, FakeClock(0), date_resolution=1.0)
    assert d.remaining() == pytest.approx(29.7)
    precise = server_now.replace(microsecond=500_000)
    d = Deadline.from_server(exp, precise, 0.0, FakeClock(0), date_resolution=1.0)
    assert d.remaining() == pytest.approx(30.2)


def test_deadline_without_date_is_expired():
    d = Deadline.from_server(datetime(2026, 1, 1, tzinfo=UTC), None, 10.0, FakeClock(10))
    assert d.expired()


@given(st.floats(0, 7200, allow_nan=False), st.floats(0, 7200, allow_nan=False))
def test_deadline_property(lifetime, elapsed):
    server_now = datetime(2026, 1, 1, tzinfo=UTC)
    clock = FakeClock(0.0)
    d = Deadline.from_server(server_now + timedelta(seconds=lifetime), server_now, 0.0, clock)
    clock.t = elapsed
    assert d.remaining() == pytest.approx(max(0.0, lifetime - elapsed), abs=1e-6)


def test_send_state_body_address_source_fixed():
    s = SendState(
        customer_id="cst_1",
        source_wallet_id="wlt_1",
        source_balance=Decimal("50"),
        destination_address_text=" " + ADDR.lower() + "\n",
        amount_text="10.5",
    )
    assert s.is_ready()
    body = s.quote_body()
    assert body == {
        "customerId": "cst_1",
        "source": {"walletId": "wlt_1", "asset": "usdc", "network": "polygon", "amount": "10.5"},
        "destination": {
            "wallet": {"blockchainAddress": ADDR},
            "asset": "usdc",
            "network": "polygon",
        },
    }


def test_send_state_destination_fixed_and_wallet():
    s = SendState(
        customer_id="cst_1",
        source_wallet_id="wlt_1",
        source_balance=Decimal("5"),
        destination_kind="wallet",
        destination_wallet_id="wlt_2",
        amount_text="10",
        fixed_side="destination",
    )
    # receive-exactly is not capped locally (fees go on top; the server decides).
    body = s.quote_body()
    assert body["destination"]["amount"] == "10" and "amount" not in body["source"]
    assert body["destination"]["wallet"] == {"id": "wlt_2"}


def test_send_state_errors():
    s = SendState(
        customer_id="cst_1",
        source_wallet_id="wlt_1",
        source_balance=Decimal("5"),
        destination_address_text="0x123",
        amount_text="6",
    )
    errs = s.errors()
    assert any("40 characters" in e for e in errs)
    assert any("More than the available balance" in e for e in errs)
    with pytest.raises(ValueError):
        s.quote_body()
    same = SendState(
        customer_id="c",
        source_wallet_id="w",
        destination_kind="wallet",
        destination_wallet_id="w",
        amount_text="1",
    )
    assert "same wallet" in same.errors()[0]


def test_withdraw_state_body():
    w = WithdrawState(
        customer_id="cst_1",
        source_wallet_id="wlt_1",
        source_balance=Decimal("1000"),
        external_account_id=" cpUsBank_1 ",
        network="wire",
        amount_text="100.00",
    )
    body = w.quote_body()
    assert body["destination"] == {
        "wallet": {"externalAccount": "cpUsBank_1"},
        "asset": "usd",
        "network": "wire",
    }
    assert body["source"]["amount"] == "100.00"
    w.amount_text = "100.001"  # 2 places on cryptoToFiat (D13)
    assert not w.is_ready()


def test_fund_state_body_and_limits():
    f = FundState(
        customer_id="cst_1",
        wallet_id="wlt_1",
        amount_text="120",
        location_id="loc_1",
        location_reference="ref",
    )
    body = f.cash_in_body()
    assert body["source"]["indicatedAmount"] == "120.00"
    assert body["cash"] == {"locationId": "loc_1", "locationReference": "ref"}
    assert body["destination"]["wallet"] == {"id": "wlt_1"}
    f.amount_text = "19"
    assert any("between $20.00 and $500.00" in e for e in f.errors())
    f.amount_text = "20"
    f.limit_message = "Over the 24 hours limit"
    assert f.errors() == ["Over the 24 hours limit"]


def test_estimate_cash_in():
    e = estimate_cash_in(Decimal("100"))
    assert (e.fee, e.net_usdc) == (Decimal("2.00"), Decimal("98.000000"))
    e = estimate_cash_in(Decimal("33.33"))  # 0.49995 → 0.50 half-up, + 0.50
    assert e.fee == Decimal("1.00") and e.net_usdc == Decimal("32.33")


@given(st.decimals(min_value=20, max_value=500, places=2))
def test_estimate_cash_in_property(amount):
    e = estimate_cash_in(amount)
    assert e.fee + e.net_usdc == amount
    assert e.fee >= Decimal("0.80")


def quote(gross="100.00", net="99.89", oms="0.10", dest="99.89", rate="1.0"):
    return {
        "source": {
            "amountGross": gross,
            "amountNet": net,
            "feesDeducted": {
                "total": "0.11",
                "oms": oms,
                "gas": "0.01",
                "developer": "0.00",
                "rail": "0.00",
            },
        },
        "destination": {"amountGross": dest, "amountNet": dest},
        "rates": {"exchangeRate": rate, "effectiveRate": "0.9989"},
    }


def test_diff_quotes():
    assert diff_quotes(quote(), quote(rate="1.00")) == []  # same figure, other spelling
    ch = diff_quotes(quote(), quote(net="99.80", oms="0.19", dest="99.80"))
    labels = {c.label: c for c in ch}
    assert set(labels) == {
        "After source fees (net)",
        "OMS fee",
        "Destination gross",
        "Recipient gets (net)",
    }
    assert labels["OMS fee"].delta == Decimal("0.09")
    missing = diff_quotes(quote(), {"source": {}})
    assert any(c.new is None and c.delta is None for c in missing)


def test_confirm_state():
    c = ConfirmState(amount=Decimal("9999"))
    assert not c.required and c.check().ok
    c = ConfirmState(amount=Decimal("10000"), typed="")
    assert c.required and not c.check().ok
    c.typed = "10,000.00"
    assert c.check().ok


def test_idempotency_keys_unique_and_printable():
    keys = {new_idempotency_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(k.isascii() and k.isprintable() and len(k) <= 255 for k in keys)


@pytest.mark.parametrize(
    "typed,place",
    [
        (" 10001-1234 ", "New York, NY"),
        ("10002", "New York, NY"),  # issue 13: once "unknown"
        ("95814", "Sacramento, CA"),  # the README's own example, once "unknown"
        ("59801", "Missoula, MT"),
        ("00601", "Adjuntas, PR"),
        ("99950", "Ketchikan, AK"),
    ],
)
def test_zip_lookup_knows_every_us_zip(typed, place):
    from desktop.flows.zips import lookup_zip

    lat, lon, found = lookup_zip(typed)
    assert found == place and isinstance(lat, Decimal) and isinstance(lon, Decimal)
    assert -90 <= lat <= 90 and -180 <= lon <= 180


@pytest.mark.parametrize("typed", ["1000", "00000", "abcde", "", "１０００２", "100021"])
def test_zip_lookup_refuses_what_is_not_a_zip(typed):
    from desktop.flows.zips import lookup_zip

    assert lookup_zip(typed) is None


def test_zip_of_the_customers_address():
    from desktop.flows.zips import customer_zip

    assert customer_zip({"residentialAddress": {"zipCode": "95814-4501"}}) == "95814"
    assert customer_zip({"residentialAddress": {"zipCode": "no"}}) == ""
    assert customer_zip({"residentialAddress": None}) == ""
    assert customer_zip({}) == "" and customer_zip(None) == ""


def test_timeline_rows():
    from desktop.flows.state import timeline_rows

    rows = timeline_rows("cryptoToCrypto", "processing", "fundsPulled")
    assert [s for _, s in rows] == ["done", "done", "current", "todo"]
    rows = timeline_rows("cryptoToCrypto", "failed", "rejected")
    assert [s for _, s in rows] == ["done", "done", "failed", "todo"]
    rows = timeline_rows("cryptoToFiat", "failed", "returned")
    assert [s for _, s in rows] == ["done", "done", "done", "failed"]
    rows = timeline_rows("cryptoToFiat", "completed", "settled")
    assert all(s == "done" for _, s in rows) and rows[2][0] == "Sent to the bank"
    rows = timeline_rows("fiatToCrypto", "processing", "fundsReceived")
    assert [s for _, s in rows] == ["done", "done", "current"]
