"""Boundaries of the sandbox's money text (D6) and pricing (D13), with hand-computed values:
the digit cap at its edge, formatting at every width, the fee block's total, the fixed side
given as text that does not share the literal's identity, and the fixed-destination scan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.sandbox import pricing
from desktop.sandbox.errors import ApiError
from desktop.sandbox.money import (
    MAX_MINOR_DIGITS,
    format_minor,
    format_rate,
    parse_amount,
    round_half_up,
    usdc,
)


# -- money ---------------------------------------------------------------------------------------
def test_the_digit_cap_is_eighteen_minor_digits():
    assert MAX_MINOR_DIGITS == 18
    # 999999999999.999999 usdc = 999,999,999,999,999,999 minor units: 18 digits, accepted
    assert parse_amount("999999999999.999999", "usdc", "a") == 999_999_999_999_999_999
    assert parse_amount("100000000000", "usdc", "a") == 10**17  # 18 digits
    # 1,000,000,000,000 usdc = 10**18 minor units: 19 digits, refused
    for text in ("1000000000000", "1000000000000.000001"):
        with pytest.raises(ApiError) as e:
            parse_amount(text, "usdc", "amt")
        assert (e.value.status, e.value.code, e.value.param) == (400, "invalid_amount", "amt")
        assert e.value.message == "Amount is too large"
    # usd has 2 places: 9999999999999999.99 is 18 digits, 10**16 usd is 19
    assert parse_amount("9999999999999999.99", "usd", "a") == 999_999_999_999_999_999
    with pytest.raises(ApiError):
        parse_amount("10000000000000000", "usd", "a")


def test_places_override_and_messages():
    assert parse_amount("1.5", "usdc", "a", places=2) == 150
    with pytest.raises(ApiError) as e:
        parse_amount("1.555", "usdc", "p", places=2)
    assert (e.value.status, e.value.code, e.value.param) == (400, "invalid_amount", "p")
    assert e.value.message == "Amount has more than 2 decimal places"
    with pytest.raises(ApiError) as e:
        parse_amount("0.0000001", "usdc", "q")
    assert (e.value.status, e.value.code, e.value.param) == (400, "invalid_amount", "q")
    assert e.value.message == "Amount has more than 6 decimal places"
    assert parse_amount("0.1", "usd", "a") == 10
    assert parse_amount("7", "usd", "a") == 700


@pytest.mark.parametrize(
    ("minor", "places", "text"),
    [
        (0, 6, "0.00"),
        (1, 6, "0.000001"),
        (10, 6, "0.00001"),
        (100_000, 6, "0.10"),
        (120_000, 6, "0.12"),
        (123_000, 6, "0.123"),
        (1_000_000, 6, "1.00"),
        (1_000_001, 6, "1.000001"),
        (-1_500_000, 6, "-1.50"),
        (-1, 6, "-0.000001"),
        (5, 2, "0.05"),
        (50, 2, "0.50"),
        (12_345, 2, "123.45"),
        (7, 0, "7.00"),
    ],
)
def test_format_minor(minor, places, text):
    assert format_minor(minor, places) == text


def test_usdc_and_rates():
    assert usdc(99_421_234) == "99.421234"
    assert round_half_up(Decimal("0.0000005"), 6) == Decimal("0.000001")
    assert round_half_up(Decimal("0.00000049"), 6) == Decimal("0.000000")
    assert format_rate(Decimal(1)) == "1.0"
    assert format_rate(Decimal("0.99420")) == "0.9942"
    assert format_rate(Decimal("0.9999995")) == "1.0"
    assert format_rate(Decimal("0.1234564")) == "0.123456"
    assert format_rate(Decimal("0.1234565")) == "0.123457"


# -- pricing -------------------------------------------------------------------------------------
def test_fee_block_total_is_the_sum_of_all_four():
    # 0.000001 + 0.000002 + 0.000003 + 0.000005 = 0.000011 (3 ^ 5 would be 6, 3 >> 8 is 0)
    assert pricing.fees_block(oms=1, gas=2, rail=3, developer=5) == {
        "total": "0.000011",
        "developer": "0.000005",
        "oms": "0.000001",
        "gas": "0.000002",
        "rail": "0.000003",
    }
    assert pricing.fees_block(oms=12, gas=30, rail=45, developer=67, places=2) == {
        "total": "1.54",
        "developer": "0.67",
        "oms": "0.12",
        "gas": "0.30",
        "rail": "0.45",
    }
    assert pricing.fees_block()["total"] == "0.00"


def test_fixed_side_given_as_text_from_elsewhere():
    """The side may come from parsed JSON: a str equal to "source" but not the same object."""
    side = "".join(["sou", "rce"])
    assert side == "source" and id(side) != id("source")
    # 100.00 fixed at the source: oms 0.10, gas 0.01 -> net 99.89
    assert pricing.price_crypto(side, 100_000_000, False) == {
        "gross": 100_000_000,
        "net": 99_890_000,
        "oms": 100_000,
        "gas": 10_000,
    }
    # 100.00 fixed at the destination, gas sponsored: smallest g with g - round(g/1000) = 100.00
    # g = 100.100100: fee 0.100100 -> net 100.000000
    side = "".join(["desti", "nation"])
    assert pricing.price_crypto(side, 100_000_000, True) == {
        "gross": 100_100_100,
        "net": 100_000_000,
        "oms": 100_100,
        "gas": 0,
    }


def test_fees_that_eat_the_amount_are_refused():
    # 0.02 fixed at the source: oms 0.01 (minimum) + gas 0.01 = the whole amount
    with pytest.raises(ApiError) as e:
        pricing.price_crypto("source", 20_000, False)
    assert (e.value.status, e.value.code, e.value.param) == (400, "invalid_amount", "source.amount")
    # 0.020001: net 0.000001
    assert pricing.price_crypto("source", 20_001, False)["net"] == 1


def test_fixed_destination_scan_starts_close_to_the_answer(monkeypatch):
    """The scan starts from a lower bound within a few units of the gross, even for the largest
    amounts: counted through the fee function it calls once per step."""
    calls = [0]
    real = pricing.oms_fee

    def counted(g):
        calls[0] += 1
        if calls[0] > 1000:
            raise AssertionError("gross_for_net scanned more than 1000 steps")
        return real(g)

    monkeypatch.setattr(pricing, "oms_fee", counted)
    for net, sponsor in ((999_999_999_999_999, True), (123_456_789_012, False), (1, False)):
        calls[0] = 0
        g = pricing.gross_for_net(net, sponsor)
        gas = 0 if sponsor else pricing.GAS_FEE
        assert g - real(g) - gas == net and (g - 1) - real(g - 1) - gas < net
        assert calls[0] <= 10


def test_crypto_rates_and_amounts():
    # 99.89 net of 100.00 gross: 0.9989
    assert pricing.crypto_rates(100_000_000, 99_890_000) == {
        "exchangeRate": "1.0",
        "effectiveRate": "0.9989",
        "pair": "usdc/usdc",
    }
    # 100.00 of 100.1001: 0.999 + 0.1 / 100100100 = 0.999000000999... -> 0.999000 -> "0.999"
    assert pricing.crypto_rates(100_100_100, 100_000_000)["effectiveRate"] == "0.999"
    # 1.00 of 3.00: 0.333333(3...) -> "0.333333"; 2.00 of 3.00: 0.666666(6...) -> "0.666667"
    assert pricing.crypto_rates(3_000_000, 1_000_000)["effectiveRate"] == "0.333333"
    assert pricing.crypto_rates(3_000_000, 2_000_000)["effectiveRate"] == "0.666667"
    assert pricing.amounts(100_100_100, 100_000_000) == {
        "amountGross": "100.1001",
        "amountNet": "100.00",
    }
