"""Boundaries of the wizard validators that the mutation run (issue 19, item 4) found untested.

Each expected value is worked out by hand from the rule it pins (D6, D11, D16), not from the
validator itself.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from desktop.flows.validators import (
    CashInRecord,
    check_address,
    check_amount,
    check_cash_in_limits,
    check_typed_confirmation,
    quantize,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _history(days_ago: list[float], amount: str = "20.00") -> list[CashInRecord]:
    return [CashInRecord(NOW - timedelta(days=d), Decimal(amount), "completed") for d in days_ago]


def test_seven_day_window_allows_the_twelfth_deposit_and_refuses_the_thirteenth():
    # D11: at most 12 cash-ins per 7 days. Eleven earlier deposits of $20, each 2–6 days ago
    # (none in the last 24 h, so the 3-per-day rule is not what decides): $220 in the window.
    eleven = _history([2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.25, 6.5])
    twelfth = check_cash_in_limits(Decimal("20.00"), eleven, NOW)
    assert twelfth.ok and twelfth.value == Decimal("20.00")
    twelve = _history([2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.25, 6.5, 6.75])
    thirteenth = check_cash_in_limits(Decimal("20.00"), twelve, NOW)
    assert not thirteenth.ok
    assert thirteenth.message == "Limit reached: at most 12 cash deposits per 7 days (12 already)."


def test_extra_zeros_beyond_the_assets_places_are_dropped_from_the_value():
    # D6: "1.500" USD is 1.50 (only zeros beyond 2 places): the body must carry "1.50",
    # never "1.500", which the server refuses as 3 places for USD.
    usd = check_amount("1.500", "usd")
    assert usd.ok and format(usd.value, "f") == "1.50"
    usdc = check_amount("2.50000000", "usdc")
    assert usdc.ok and format(usdc.value, "f") == "2.500000"
    # Exactly the asset's places: kept as typed.
    assert format(check_amount("1.50", "usd").value, "f") == "1.50"
    assert format(check_amount("7", "usd").value, "f") == "7"


def test_quantize_rounds_half_up_to_the_places():
    assert quantize(Decimal("0.125"), "usd") == Decimal("0.13")
    assert format(quantize(Decimal("0.125"), "USD"), "f") == "0.13"
    assert format(quantize(Decimal("1.0000005"), "usdc"), "f") == "1.000001"


def test_address_must_start_with_0x_even_when_it_sorts_below_it():
    # "00…" sorts below "0x": a prefix check by ordering would let it through.
    for prefix in ("00", "0a", "1x", "0 "):
        res = check_address(prefix.strip() + "a" * 40)
        assert not res.ok and res.message == "An address starts with 0x.", prefix


def test_typed_confirmation_must_equal_the_amount_not_exceed_it():
    amount = Decimal("12000")
    assert check_typed_confirmation("12,000.00", amount).ok
    for typed in ("12001", "120000", "11999.999999"):
        res = check_typed_confirmation(typed, amount)
        assert not res.ok and res.message == "Type 12,000.00 to confirm.", typed


def test_thirty_day_window_counts_a_deposit_until_it_is_thirty_days_old():
    # D11: $5,000 per 30 days. Nine $500 deposits 8–24 days ago ($4,500) and one of $480
    # 30 days minus 10 minutes ago: $4,980 in the window, so $20 fits and $25 does not.
    nine = [
        CashInRecord(NOW - timedelta(days=d), Decimal("500.00"), "completed")
        for d in (8, 10, 12, 14, 16, 18, 20, 22, 24)
    ]
    edge = CashInRecord(NOW - timedelta(days=30, minutes=-10), Decimal("480.00"), "completed")
    assert check_cash_in_limits(Decimal("20.00"), [*nine, edge], NOW).ok
    over = check_cash_in_limits(Decimal("25.00"), [*nine, edge], NOW)
    assert not over.ok
    assert over.message == "Over the 30 days limit of $5,000.00: $20.00 left in this window."
    # Exactly 30 days old, it has left the window: $500 left.
    gone = CashInRecord(NOW - timedelta(days=30), Decimal("480.00"), "completed")
    assert check_cash_in_limits(Decimal("500.00"), [*nine, gone], NOW).ok
    # Expired and failed cash-ins are not counted at all.
    dead = [
        CashInRecord(NOW - timedelta(days=9), Decimal("500.00"), s) for s in ("expired", "failed")
    ]
    assert check_cash_in_limits(Decimal("500.00"), [*nine, *dead], NOW).ok


def test_a_check_is_an_immutable_value():
    check = check_amount("25.50", "usd")
    with pytest.raises(dataclasses.FrozenInstanceError):
        check.ok = False  # type: ignore[misc]
    assert check.value == Decimal("25.50")
    assert len({check_address(""), check_address("")}) == 1  # hashable: usable as a key
