"""How the desk writes money and time for a person: the ONE formatter (no Qt, no I/O).

Every view, wizard, notice and CSV goes through :func:`money`, so the same figure reads
the same everywhere (D6, issue 14's rule):

* exact ``Decimal``, never a float and never rounded: what the server said is what is shown;
* trailing zeros trimmed, but at least 2 places — ``usd`` therefore reads with 2 places
  (``"100.00"``), ``usdc`` with 2 to 6 (``"99.421234"``, ``"0.10"``);
* thousands grouped with ``,``; the asset code, upper case, after the figure.

Absurd server values cannot hurt the desk: a figure with more than
:data:`MAX_DIGITS` integer digits (``"1E+100000000"``) is written in scientific form
instead of being expanded to a hundred million characters, and NaN/infinity read as "—".
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "EMPTY",
    "MAX_DIGITS",
    "delta",
    "dollars",
    "money",
    "parse",
    "rate",
    "remaining",
]

#: What an absent figure reads as.
EMPTY = "—"
#: More integer digits than this are shown in scientific form (no 100 MB strings).
MAX_DIGITS = 40


def parse(amount: Any) -> Decimal | None:
    """A Decimal from a Decimal/int/str (never a float), or ``None`` when it is not a figure."""
    if amount is None or isinstance(amount, bool | float):
        return None
    if isinstance(amount, Decimal):
        value = amount
    else:
        try:
            value = Decimal(str(amount).strip())
        except (InvalidOperation, ValueError):
            return None
    return value if value.is_finite() else None


def _digits(value: Decimal, *, grouping: bool) -> str:
    """Exact text, trailing zeros trimmed, at least 2 places."""
    if value.adjusted() >= MAX_DIGITS:
        return f"{value:E}"
    exp = value.as_tuple().exponent
    assert isinstance(exp, int)  # finite
    places = max(2, -exp)
    text = f"{value:,.{places}f}" if grouping else f"{value:.{places}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{whole}.{frac}"


def money(amount: Any, asset: str | None = "", *, grouping: bool = True) -> str:
    """``money(Decimal("1234.5"), "usdc") == "1,234.50 USDC"``; ``money(None) == "—"``.

    ``asset`` empty or ``None`` leaves the unit off. ``grouping=False`` gives the plain
    form a person can type back into an amount field (``"10000.00"``).
    """
    value = parse(amount)
    if value is None:
        return EMPTY
    text = _digits(value, grouping=grouping)
    return f"{text} {asset.upper()}" if asset else text


def dollars(amount: Any) -> str:
    """Cash at a store counter: ``$1,500.00`` (2 places, exact)."""
    value = parse(amount)
    if value is None:
        return EMPTY
    text = _digits(value, grouping=True)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def delta(amount: Any, asset: str | None = "") -> str:
    """A change between two figures, signed: ``+0.10``, ``-1.25``; empty when unknown."""
    value = parse(amount)
    if value is None:
        return ""
    sign = "+" if value > 0 else ""
    return sign + money(value, asset)


def rate(value: Any) -> str:
    """An exchange rate exactly as given (``1.0``, ``0.998``), no grouping, no unit."""
    parsed = parse(value)
    if parsed is None:
        return EMPTY
    if parsed.adjusted() >= MAX_DIGITS:
        return f"{parsed:E}"
    return format(parsed, "f")


def remaining(seconds: float) -> str:
    """Time left on a countdown: ``0:27``, ``59:59``, ``1:00:00``.

    Whole seconds rounded *up*: a code shown as 0:01 is still valid; 0:00 means gone.
    """
    whole = math.ceil(max(0.0, seconds) - 1e-9)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
