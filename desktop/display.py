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
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "EMPTY",
    "KIND_NAMES",
    "MAX_DIGITS",
    "bank_words",
    "delta",
    "dollars",
    "estimate",
    "kind_name",
    "mask_account",
    "money",
    "parse",
    "plural",
    "rate",
    "remaining",
    "status_words",
    "transaction_status_texts",
    "when",
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


def estimate(amount: Any, currency: str | None = "usd") -> str:
    """An estimate in a national currency, to the cent: ``"≈ 596.12 USD"`` (a USDC balance
    of 596.115 valued in dollars). Only estimates are rounded (half up); figures the server
    states exactly go through :func:`money`."""
    value = parse(amount)
    if value is None:
        return EMPTY
    if value.adjusted() < MAX_DIGITS:
        value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"≈ {money(value, currency or 'usd')}"


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


# ---- names a person reads (issue 14: one name for each kind, used everywhere) ----------

#: The one name of each kind of money movement: tables, detail, filters, CSV, notices.
KIND_NAMES = {
    "fund_cash": "Fund with cash",
    "bank_deposit": "Bank deposit",
    "send": "Send",
    "receive": "Receive",
    "withdraw": "Withdraw to bank",
}

_SUB_STATUS_WORDS = {
    "fundsPulled": "funds taken from the wallet",
    "broadcast": "broadcast to the network",
    "settled": "settled",
    "bankSubmitted": "submitted to the bank",
    "fundsReceived": "funds received",
    "rejected": "rejected by the network",
    "returned": "returned by the bank",
    "reversed": "deposit reversed",
    # cash-ins (OMS_API "Cash-in" subStatus)
    "order_reserved": "code issued, waiting for the cash",
    "cash_deposit_expired": "the code expired before any cash was paid",
    "cash_deposit_failed": "the cash deposit failed",
    "provider_order_failed": "the store's provider refused the order",
    "provider_order_template_error": "the store's provider could not issue the code",
}

_STATUS_WORDS = {
    "processing": "Processing",
    "completed": "Completed",
    "failed": "Failed",
    "cashPickupReady": "Ready for cash pickup",
    "pending": "Pending",
    "expired": "Expired",
}


def _get(obj: Any, name: str) -> Any:
    return getattr(obj, name, None) if obj is not None else None


def kind_key(txn: Any, viewer: str | None = None) -> str:
    """Which of :data:`KIND_NAMES` a transaction is; ``viewer`` is the customer looking.

    A send between two OMS customers is a *Receive* for the recipient; a transfer into a
    deposit address is always a *Receive*.
    """
    kind = str(_get(txn, "type") or "")
    src = _get(txn, "source")
    if kind == "fiatToCrypto":
        network = str(_get(src, "network") or "").lower()
        if (
            _get(src, "virtual_account_id")
            or _get(txn, "virtual_account_id")
            or network
            in (
                "ach",
                "wire",
                "usbank",
            )
        ):
            return "bank_deposit"
        return "fund_cash"
    if kind == "cryptoToFiat":
        return "withdraw"
    if kind == "cryptoToCrypto":
        if _get(src, "deposit_address_id") or _get(txn, "deposit_address_id"):
            return "receive"
        sender, recipient = _get(txn, "sender"), _get(txn, "recipient")
        if viewer and viewer == recipient and viewer != sender:
            return "receive"
        return "send"
    return ""


def kind_name(txn: Any, viewer: str | None = None) -> str:
    """``"Send"``, ``"Withdraw to bank"`` … (the one mapping); unknown kinds read "Other"."""
    return KIND_NAMES.get(kind_key(txn, viewer), "Other")


def status_words(status: Any, sub_status: Any = None) -> str:
    """``"Processing — broadcast to the network"``; never a raw enum or ``None``."""
    st = str(status or "")
    head = _STATUS_WORDS.get(st, st[:1].upper() + st[1:] if st else "Unknown")
    sub = str(sub_status or "")
    if not sub:
        return head
    return f"{head} — {_SUB_STATUS_WORDS.get(sub, sub)}"


#: The sub-statuses a transaction can show under each status (a table sizes its Status
#: column from the longest of these words, so no status is ever cut off).
TRANSACTION_STEPS = {
    "processing": ("", "fundsPulled", "broadcast", "bankSubmitted", "fundsReceived"),
    "completed": ("", "settled"),
    "failed": ("", "rejected", "returned", "reversed"),
}


def transaction_status_texts() -> list[str]:
    """Every status text a transaction row can show (``"Failed — returned by the bank"``)."""
    return [status_words(st, sub) for st, subs in TRANSACTION_STEPS.items() for sub in subs]


def mask_account(number: Any) -> str:
    """``"******4242"`` stays; an unmasked number shows only its last 4 digits."""
    text = str(number or "")
    if not text:
        return ""
    if "*" in text or "•" in text:
        return "••••" + text.lstrip("*•")[-4:]
    return "••••" + text[-4:]


def bank_words(bank: Any) -> str:
    """``"Chase ••••4415"``: the bank of a withdrawal by name and masked account."""
    bank = bank or {}
    return " ".join(
        x for x in (bank.get("bankName") or "", mask_account(bank.get("accountNumber"))) if x
    )


def when(dt: Any) -> str:
    """A UTC timestamp as ``2026-11-24 10:00:05 UTC``; ``—`` when absent."""
    if dt is None or not hasattr(dt, "astimezone"):
        return EMPTY
    from datetime import UTC

    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def plural(n: int, one: str, many: str | None = None) -> str:
    """``plural(1, "customer") == "1 customer"``; ``plural(2000, "row") == "2,000 rows"``."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
