"""Pure validators of the money flows (no Qt, no I/O).

Every validator takes what the operator typed and returns a :class:`Check`: ``ok``,
a message fit to show next to the field, and the normalised ``value`` (a ``Decimal``
for amounts, the trimmed/checksummed text for addresses and bank numbers).
Money is ``Decimal`` end to end (contract D6); nothing here ever builds a float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from desktop import rules
from desktop.display import dollars, money
from desktop.oms.models import CashInStatus

__all__ = [
    "ASSET_PLACES",
    "CASH_IN_MAX",
    "CASH_IN_MIN",
    "CASH_IN_WINDOWS",
    "CONFIRM_THRESHOLD",
    "CashInRecord",
    "Check",
    "check_account_number",
    "check_address",
    "check_amount",
    "check_cash_in_amount",
    "check_cash_in_limits",
    "check_routing_number",
    "check_typed_confirmation",
    "needs_typed_confirmation",
    "quantize",
    "to_checksum_address",
]

#: Decimal places allowed per asset (D6).
ASSET_PLACES: dict[str, int] = {"usd": 2, "usdc": 6}
#: Per cash deposit (D11 / cash-ins-and-cash-outs page).
CASH_IN_MIN = Decimal("20.00")
CASH_IN_MAX = Decimal("500.00")
#: Amounts at or above this need the operator to type the amount to confirm.
CONFIRM_THRESHOLD = Decimal("10000")
#: Rolling windows of D11: (label, length, max total USD, max count).
CASH_IN_WINDOWS: tuple[tuple[str, timedelta, Decimal, int], ...] = (
    ("24 hours", timedelta(hours=24), Decimal("1500"), 3),
    ("7 days", timedelta(days=7), Decimal("3500"), 12),
    ("30 days", timedelta(days=30), Decimal("5000"), 20),
)

_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")


@dataclass(frozen=True)
class Check:
    """Outcome of one validator: ``ok``, a message for a person, the normalised value."""

    ok: bool
    message: str = ""
    value: Any = None

    def __bool__(self) -> bool:  # a Check reads naturally in ``if check:``
        return self.ok


def _fail(message: str) -> Check:
    return Check(False, message, None)


def _asset_label(asset: str) -> str:
    return asset.upper()


def quantize(amount: Decimal, asset: str) -> Decimal:
    """Round half-up to the asset's precision (D6: fees round half-up)."""
    places = ASSET_PLACES.get(asset.lower(), 6)
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def check_amount(
    text: str,
    asset: str,
    *,
    maximum: Decimal | None = None,
    maximum_label: str = "the available balance",
) -> Check:
    """Parse an amount as typed (D6): digits with an optional fraction, within the asset's places.

    Whitespace is trimmed; ``1,234.56`` style grouping is accepted, any other comma is not
    (``1,5`` is ambiguous for money and is refused rather than guessed).
    """
    raw = (text or "").strip().replace(" ", "")
    label = _asset_label(asset)
    if not raw:
        return _fail("Enter an amount.")
    if raw.startswith("-"):
        return _fail("The amount must be positive.")
    if _GROUPED.match(raw):
        raw = raw.replace(",", "")
    if "," in raw:
        return _fail("Use a dot for decimals, e.g. 12.50 (no commas).")
    if not rules.AMOUNT_PATTERN.fullmatch(raw):
        return _fail(f"Type digits only, e.g. 25 or 25.50 {label}.")
    if not rules.amount_text_ok(raw):
        return _fail(f"That amount has more than {rules.MAX_AMOUNT_DIGITS} digits.")
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the regex already excludes it
        return _fail("That is not a number.")
    places = ASSET_PLACES.get(asset.lower(), 6)
    frac = raw.split(".")[1] if "." in raw else ""
    if len(frac.rstrip("0")) > places:
        return _fail(f"{label} allows at most {places} decimal places.")
    if value == 0:
        return _fail("The amount must be more than zero.")
    if -value.as_tuple().exponent > places:  # only zeros beyond the asset's places
        value = quantize(value, asset)
    if maximum is not None and value > maximum:
        return _fail(f"More than {maximum_label} ({money(maximum, asset)}).")
    return Check(True, "", value)


def check_cash_in_amount(text: str) -> Check:
    """Expected cash deposit: USD with 2 places, $20–$500 per deposit (D11)."""
    base = check_amount(text, "usd")
    if not base:
        return base
    value: Decimal = base.value
    if value < CASH_IN_MIN or value > CASH_IN_MAX:
        return _fail(
            f"A cash deposit must be between {dollars(CASH_IN_MIN)} and {dollars(CASH_IN_MAX)}."
        )
    return base


#: Cash-ins the period limits do not count (D11).
_NOT_COUNTED = frozenset({CashInStatus.EXPIRED, CashInStatus.FAILED})


@dataclass(frozen=True)
class CashInRecord:
    """One earlier cash-in of the customer, as the period limits count it (D11)."""

    created_at: datetime
    amount: Decimal  # indicated, or authorized once committed
    status: CashInStatus | str


def check_cash_in_limits(amount: Decimal, history: Iterable[CashInRecord], now: datetime) -> Check:
    """Would one more cash-in of ``amount`` pass a rolling 24 h / 7 d / 30 d limit?

    Counts cash-ins that are not ``expired`` or ``failed`` (D11). The message names the
    window and what is left in it, so the operator can pick a smaller amount.
    """
    live = [r for r in history if CashInStatus.parse(r.status) not in _NOT_COUNTED]
    for label, length, max_total, max_count in CASH_IN_WINDOWS:
        since = now - length
        inside = [r for r in live if r.created_at > since]
        total = sum((r.amount for r in inside), Decimal(0))
        if len(inside) + 1 > max_count:
            return _fail(
                f"Limit reached: at most {max_count} cash deposits per {label} "
                f"({len(inside)} already)."
            )
        if total + amount > max_total:
            left = max(Decimal(0), max_total - total)
            return _fail(
                f"Over the {label} limit of {dollars(max_total)}: "
                f"{dollars(left)} left in this window."
            )
    return Check(True, "", amount)


def _keccak_hex(data: bytes) -> str:
    # Keccak-256 as Ethereum uses it, NOT hashlib.sha3_256 (different padding). Imported on
    # first use: pycryptodome loads cffi and pycparser (start-up time and memory).
    from Crypto.Hash import keccak

    h = keccak.new(digest_bits=256)
    h.update(data)
    return h.hexdigest()


def to_checksum_address(address: str) -> str:
    """EIP-55 mixed-case form of a 0x + 40 hex address."""
    body = address[2:].lower() if address[:2].lower() == "0x" else address.lower()
    if not _HEX40.match(body):
        raise ValueError("not a 0x + 40 hex address")
    digest = _keccak_hex(body.encode("ascii"))
    out = [c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(body)]
    return "0x" + "".join(out)


def check_address(text: str) -> Check:
    """External EVM address as typed or pasted (D16).

    Whitespace (a paste often carries a newline or spaces) is trimmed. All-lower or
    all-upper hex is accepted and shown checksummed; mixed case must pass EIP-55.
    """
    raw = "".join((text or "").split())
    if not raw:
        return _fail("Enter the destination address.")
    if raw[:2].lower() != "0x":
        return _fail("An address starts with 0x.")
    if raw[:2] == "0X":
        return _fail("An address starts with a lowercase 0x.")
    body = raw[2:]
    bad = sorted({c for c in body if c not in "0123456789abcdefABCDEF"})
    if bad:
        return _fail(f"Only 0-9 and a-f may follow 0x (found {''.join(bad)!r}).")
    if len(body) != 40:
        return _fail(f"An address has 40 characters after 0x (this has {len(body)}).")
    checksummed = to_checksum_address(raw)
    if body != body.lower() and body != body.upper() and raw != checksummed:
        return _fail(
            "The upper/lower case letters do not match the address checksum (EIP-55): "
            "a character may have been mistyped. Copy the address again."
        )
    return Check(True, "", checksummed)


def check_routing_number(text: str) -> Check:
    """US ABA routing number: 9 digits with the 3-7-1 weighted checksum (D12)."""
    raw = "".join((text or "").split())
    if not raw:
        return _fail("Enter the 9-digit routing number.")
    if not raw.isdigit() or not raw.isascii():
        return _fail("A routing number has digits only.")
    if len(raw) != 9:
        return _fail(f"A routing number has 9 digits (this has {len(raw)}).")
    if not rules.routing_number_valid(raw):  # the one ABA rule of form, client and sandbox
        return _fail("That routing number fails its checksum: check each digit.")
    return Check(True, "", raw)


def check_account_number(text: str) -> Check:
    """US bank account number: 4–17 digits (D12)."""
    raw = "".join((text or "").split())
    if not raw:
        return _fail("Enter the account number.")
    if not raw.isdigit() or not raw.isascii():
        return _fail("An account number has digits only.")
    if not 4 <= len(raw) <= 17:
        return _fail("An account number has 4 to 17 digits.")
    return Check(True, "", raw)


def needs_typed_confirmation(amount: Decimal | None) -> bool:
    """Large movements (≥ 10,000 USDC) ask the operator to type the amount."""
    return amount is not None and amount >= CONFIRM_THRESHOLD


def check_typed_confirmation(typed: str, amount: Decimal, asset: str = "usdc") -> Check:
    """The typed figure must equal the amount (grouping and trailing zeros do not matter)."""
    parsed = check_amount(typed, asset)
    if not parsed or parsed.value != amount:
        return _fail(f"Type {money(amount)} to confirm.")
    return Check(True, "", amount)
