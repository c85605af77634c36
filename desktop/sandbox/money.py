"""Money per contract D6: decimal strings in, integer minor units inside, trimmed strings out."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from desktop.rules import amount_text_ok

from .errors import ApiError

PLACES = {"usdc": 6, "usd": 2}
MAX_MINOR_DIGITS = 18  # keeps every amount well inside SQLite's 64-bit integers


def parse_amount(value: object, asset: str, param: str, places: int | None = None) -> int:
    """Parse a decimal string into minor units of `asset`; 400 invalid_amount when not allowed.

    The text must match D6's pattern whole (desktop.rules: fullmatch, so "10\\n" is refused) and
    have a bounded number of digits, so int() never meets a 5,000-digit string."""
    p = PLACES[asset] if places is None else places
    if not amount_text_ok(value):
        raise ApiError(400, "invalid_amount", "Amount must be a positive decimal string", param)
    whole, _, frac = value.partition(".")
    if len(frac) > p:
        raise ApiError(400, "invalid_amount", f"Amount has more than {p} decimal places", param)
    minor = int(whole) * 10**p + int(frac.ljust(p, "0") or "0")
    if minor <= 0:
        raise ApiError(400, "invalid_amount", "Amount must be greater than zero", param)
    if len(str(minor)) > MAX_MINOR_DIGITS:
        raise ApiError(400, "invalid_amount", "Amount is too large", param)
    return minor


def format_minor(minor: int, places: int) -> str:
    """Exact value, trailing zeros trimmed but at least 2 places ("100.00", "99.421234", "0.10")."""
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    whole, frac = divmod(minor, 10**places)
    frac_s = str(frac).rjust(places, "0").rstrip("0")
    if len(frac_s) < 2:
        frac_s = frac_s.ljust(2, "0")
    return f"{sign}{whole}.{frac_s}"


def format_amount(minor: int, asset: str) -> str:
    return format_minor(minor, PLACES[asset])


def usdc(minor: int) -> str:
    return format_minor(minor, 6)


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_rate(value: Decimal) -> str:
    """Rates: up to 6 places, trailing zeros trimmed, at least one place ("1.0", "0.9942")."""
    q = round_half_up(value, 6)
    s = f"{q:f}"
    if "." in s:
        s = s.rstrip("0")
        if s.endswith("."):
            s += "0"
    else:
        s += ".0"
    return s
