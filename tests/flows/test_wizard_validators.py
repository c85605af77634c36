"""Pure validators of the money wizards: amounts (D6), cash-in limits (D11), EIP-55 (D16), ABA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from desktop.display import money
from desktop.flows.validators import (
    CashInRecord,
    check_account_number,
    check_address,
    check_amount,
    check_cash_in_amount,
    check_cash_in_limits,
    check_routing_number,
    check_typed_confirmation,
    needs_typed_confirmation,
    to_checksum_address,
)

# The EIP-55 specification's own test vectors.
EIP55_SPEC = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
D16 = ["0xabC1230000000000000000000000000000DEf456", "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"]


@pytest.mark.parametrize("addr", EIP55_SPEC + D16)
def test_checksum_vectors(addr):
    assert to_checksum_address(addr.lower()) == addr
    assert check_address(addr).value == addr
    assert check_address(addr.lower()).value == addr  # all-lower accepted, shown checksummed
    assert check_address("0x" + addr[2:].upper()).ok


@pytest.mark.parametrize("addr", EIP55_SPEC + D16)
def test_one_flipped_case_is_refused(addr):
    i = next(i for i, c in enumerate(addr[2:], 2) if c.isalpha())
    flipped = addr[:i] + addr[i].swapcase() + addr[i + 1 :]
    res = check_address(flipped)
    assert not res.ok and "checksum" in res.message


def test_not_sha3():
    import hashlib

    from desktop.flows import validators

    body = EIP55_SPEC[0][2:].lower()
    # Keccak-256 (Ethereum) and SHA3-256 (FIPS 202) differ: the wrong one is plausible-looking.
    assert validators._keccak_hex(body.encode()).startswith("d385650c")
    assert hashlib.sha3_256(body.encode()).hexdigest() != validators._keccak_hex(body.encode())
    assert to_checksum_address(body) == EIP55_SPEC[0]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("", "Enter"),
        ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "starts with 0x"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "40 characters"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd", "40 characters"),
        ("0xZZAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "Only 0-9"),
    ],
)
def test_address_messages(text, needle):
    res = check_address(text)
    assert not res.ok and needle in res.message


def test_paste_trims_whitespace():
    assert check_address("  \t0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n").value == EIP55_SPEC[0]


@given(st.binary(min_size=20, max_size=20))
def test_checksum_roundtrip(raw):
    addr = "0x" + raw.hex()
    cs = to_checksum_address(addr)
    assert cs.lower() == addr
    assert check_address(cs).ok
    assert to_checksum_address(cs.upper().replace("0X", "0x")) == cs


@pytest.mark.parametrize(
    "text,asset,expected",
    [
        ("25", "usdc", Decimal("25")),
        (" 25.50 ", "usdc", Decimal("25.5")),
        ("1,234.56", "usd", Decimal("1234.56")),
        ("0.000001", "usdc", Decimal("0.000001")),
        ("1.100", "usd", Decimal("1.10")),  # trailing zeros beyond places are fine
    ],
)
def test_amount_ok(text, asset, expected):
    res = check_amount(text, asset)
    assert res.ok and res.value == expected and isinstance(res.value, Decimal)


@pytest.mark.parametrize(
    "text,asset,needle",
    [
        ("", "usdc", "Enter"),
        ("0", "usdc", "more than zero"),
        ("0.000", "usd", "more than zero"),
        ("-5", "usdc", "positive"),
        ("1e3", "usdc", "digits only"),
        ("NaN", "usdc", "digits only"),
        (".5", "usdc", "digits only"),
        ("1,5", "usdc", "dot for decimals"),
        ("0.0000001", "usdc", "6 decimal places"),
        ("1.001", "usd", "2 decimal places"),
    ],
)
def test_amount_refused(text, asset, needle):
    res = check_amount(text, asset)
    assert not res.ok and needle in res.message


def test_amount_maximum():
    res = check_amount("100.000001", "usdc", maximum=Decimal("100"))
    assert not res.ok and "100.00 USDC" in res.message
    assert check_amount("100", "usdc", maximum=Decimal("100")).ok


@given(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("10") ** 12, places=6))
def test_amount_roundtrip_usdc(value):
    text = format(value, "f")
    res = check_amount(text, "usdc")
    assert res.ok and res.value == value
    # The formatted form (with grouping) parses back to the same Decimal.
    assert check_amount(money(value), "usdc").value == value


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10") ** 9, places=2))
def test_usd_never_more_than_two_places(value):
    res = check_amount(format(value, "f") + "1", "usd")
    assert not res.ok


@pytest.mark.parametrize(
    "text,ok",
    [("19.99", False), ("20", True), ("500.00", True), ("500.01", False), ("100.001", False)],
)
def test_cash_in_amount(text, ok):
    assert check_cash_in_amount(text).ok is ok


NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def rec(hours_ago, amount, status="pending"):
    return CashInRecord(NOW - timedelta(hours=hours_ago), Decimal(amount), status)


def test_cash_in_limits_daily_count_and_total():
    three = [rec(1, "20"), rec(2, "20"), rec(3, "20")]
    res = check_cash_in_limits(Decimal("20"), three, NOW)
    assert not res.ok and "3 cash deposits per 24 hours" in res.message
    # Expired and failed ones do not count; older than 24 h do not count for the day.
    ok_hist = [rec(1, "20", "expired"), rec(2, "20", "failed"), rec(25, "20"), rec(3, "20")]
    assert check_cash_in_limits(Decimal("20"), ok_hist, NOW).ok
    big = [rec(1, "500"), rec(2, "500")]
    res = check_cash_in_limits(Decimal("500.01"), big, NOW)
    assert not res.ok and "$500.00 left" in res.message
    assert check_cash_in_limits(Decimal("500"), big, NOW).ok


def test_cash_in_limits_weekly_and_monthly():
    week = [rec(24 * d + 1, "450") for d in range(1, 7)] + [rec(2, "450")]  # 3150 in 7 days
    assert check_cash_in_limits(Decimal("350"), week, NOW).ok
    res = check_cash_in_limits(Decimal("400"), week, NOW)
    assert ok_or_msg(res, "7 days")
    month = [rec(24 * d, "20") for d in range(1, 21)]  # 20 in 30 days (days 1..20)
    res = check_cash_in_limits(Decimal("20"), month, NOW)
    assert not res.ok and "30 days" in res.message


def ok_or_msg(res, needle):
    return (not res.ok) and needle in res.message


#: D11 written out by hand (hours, max USD total, max count): the oracle, not the code's table.
D11_WINDOWS = ((24, 1500, 3), (24 * 7, 3500, 12), (24 * 30, 5000, 20))


def d11_allows(items, amount, statuses):
    """Reference model of D11: expired/failed do not count; every window must allow one more."""
    for hours, max_total, max_count in D11_WINDOWS:
        inside = [
            a
            for (h, a), s in zip(items, statuses, strict=True)
            if h < hours and s not in ("expired", "failed")
        ]
        if len(inside) + 1 > max_count or sum(inside) + amount > max_total:
            return False
    return True


@example(items=[], amount=20, statuses=[])  # nothing before: always allowed
@example(items=[(1, 500), (2, 500)], amount=500, statuses=["pending", "completed"])
@example(items=[(1, 500), (2, 500), (3, 500)], amount=20, statuses=["failed"] * 3)
@example(items=[(30, 500)] * 3, amount=500, statuses=["pending"] * 3)  # older than a day
@given(
    st.lists(st.tuples(st.integers(0, 800), st.integers(20, 500)), max_size=25),
    st.integers(20, 500),
    st.lists(st.sampled_from(["pending", "completed", "expired", "failed"]), min_size=25),
)
def test_cash_in_limits_property(items, amount, statuses):
    """Both ways: refused exactly when D11 refuses (a validator that refuses, or allows,
    everything fails here)."""
    statuses = statuses[: len(items)]
    hist = [rec(h, a, s) for (h, a), s in zip(items, statuses, strict=True)]
    res = check_cash_in_limits(Decimal(amount), hist, NOW)
    assert res.ok is d11_allows(items, amount, statuses)


def test_cash_in_limits_property_has_positive_cases():
    """The examples above include allowed requests, so the property cannot pass vacuously."""
    assert d11_allows([], 20, [])
    assert check_cash_in_limits(Decimal(20), [], NOW).ok


@pytest.mark.parametrize(
    "rn,ok",
    [
        ("011000015", True),
        ("021000021", True),
        ("121000358", True),
        ("011000016", False),
        ("12345678", False),
        ("12345678a", False),
        ("", False),
    ],
)
def test_routing_number(rn, ok):
    assert check_routing_number(rn).ok is ok


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_routing_exactly_one_check_digit(prefix):
    good = [d for d in "0123456789" if check_routing_number(prefix + d).ok]
    # 000000000 passes the checksum but is no bank: the shared rule refuses it (issue 13).
    assert len(good) == (0 if prefix == "00000000" else 1)


def test_account_number():
    assert check_account_number(" 000123456789 ").value == "000123456789"
    assert not check_account_number("123").ok
    assert not check_account_number("1" * 18).ok
    assert not check_account_number("12-34").ok


def test_typed_confirmation():
    assert not needs_typed_confirmation(Decimal("9999.999999"))
    assert needs_typed_confirmation(Decimal("10000"))
    amt = Decimal("12500.5")
    assert check_typed_confirmation("12,500.50", amt).ok
    assert check_typed_confirmation("12500.5", amt).ok
    res = check_typed_confirmation("12500", amt)
    assert not res.ok and "12,500.50" in res.message
