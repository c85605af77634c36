"""The one money display formatter (desktop.display): exact Decimal, D6 / issue 14's rule."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop import display


@pytest.mark.parametrize(
    "amount,asset,text",
    [
        (Decimal("1234.5"), "usdc", "1,234.50 USDC"),
        (Decimal("99.421234"), "", "99.421234"),
        (Decimal("126.736737"), "usdc", "126.736737 USDC"),
        (Decimal("0.1"), None, "0.10"),
        (Decimal("0.100000"), "usdc", "0.10 USDC"),
        (Decimal("10000"), "", "10,000.00"),
        (Decimal("100"), "usd", "100.00 USD"),
        (Decimal("100.5"), "usd", "100.50 USD"),
        (Decimal("-1.5"), "usd", "-1.50 USD"),
        ("99.4200", "usdc", "99.42 USDC"),  # wire strings are accepted as they are
        (0, "usd", "0.00 USD"),
        (None, "usdc", "—"),
        ("", "usdc", "—"),
        ("abc", "usdc", "—"),
        (Decimal("NaN"), "usdc", "—"),
        (Decimal("Infinity"), "usdc", "—"),
        (1.5, "usd", "—"),  # a float is never money
    ],
)
def test_money(amount, asset, text):
    assert display.money(amount, asset) == text


def test_money_never_rounds():
    # Exact: a figure with more places than the rule's minimum keeps every digit.
    assert display.money(Decimal("0.000001"), "usdc") == "0.000001 USDC"
    assert display.money(Decimal("1234567.891"), "usd") == "1,234,567.891 USD"


def test_money_plain_form_for_typing():
    assert display.money(Decimal("10000"), grouping=False) == "10000.00"


def test_absurd_figure_is_cheap_and_short():
    # Issue 13 point 4: "1E+100000000" once cost 1.1 s and 441 MB to format.
    start = time.perf_counter()
    text = display.money(Decimal("1E+100000000"), "usdc")
    assert time.perf_counter() - start < 0.05
    assert text == "1E+100000000 USDC"
    assert display.rate(Decimal("1E+100000000")) == "1E+100000000"


@given(st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=6))
def test_money_is_exact(value):
    text = display.money(value)
    assert Decimal(text.replace(",", "")) == value
    frac = text.partition(".")[2]
    assert 2 <= len(frac) <= 6
    assert len(frac) == 2 or not frac.endswith("0")


def test_dollars_delta_rate():
    assert display.dollars(Decimal("1500")) == "$1,500.00"
    assert display.dollars("20") == "$20.00"
    assert display.dollars(Decimal("-3.5")) == "-$3.50"
    assert display.dollars(None) == "—"
    assert display.delta(Decimal("0.1")) == "+0.10"
    assert display.delta(Decimal("-1.25"), "usdc") == "-1.25 USDC"
    assert display.delta(Decimal("0")) == "0.00"
    assert display.delta(None) == ""
    assert display.rate(Decimal("1.0")) == "1.0"
    assert display.rate(None) == "—"


@pytest.mark.parametrize(
    "s,text",
    [
        (0, "0:00"),
        (0.2, "0:01"),
        (9.0, "0:09"),
        (30, "0:30"),
        (29.001, "0:30"),
        (59.5, "1:00"),
        (3599.1, "1:00:00"),
        (3600, "1:00:00"),
        (-3, "0:00"),
    ],
)
def test_remaining(s, text):
    assert display.remaining(s) == text
