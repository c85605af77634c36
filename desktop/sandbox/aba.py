"""US bank routing (ABA) numbers: 9 digits with the weighted mod-10 checksum."""

from __future__ import annotations

import re

_NINE_DIGITS = re.compile(r"^[0-9]{9}$")
_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


def routing_number_valid(value: object) -> bool:
    """True for 9 ASCII digits whose 3-7-1 weighted sum is a multiple of 10 (and not all zero)."""
    if not isinstance(value, str) or not _NINE_DIGITS.match(value):
        return False
    if value == "000000000":
        return False
    return sum(w * int(c) for w, c in zip(_WEIGHTS, value, strict=True)) % 10 == 0


def mask_account_number(number: str) -> str:
    """`******4242`: six asterisks and the last four digits."""
    return "******" + number[-4:]
