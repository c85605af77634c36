"""Rules that the form, the client and the sandbox must apply alike, written once.

Qt-free and I/O-free, so `desktop.oms`, `desktop.sandbox` and `desktop.ui` can all import it
without importing each other. A rule that exists in two copies drifts: the client once
accepted routing number 000000000 while the sandbox refused it, and the profile form took
``127.evil.example`` for this computer while the client did not.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = [
    "AMOUNT_PATTERN",
    "MAX_AMOUNT_DIGITS",
    "amount_text_ok",
    "is_loopback_host",
    "routing_number_valid",
]

# D6: digits, optionally a point and more digits. Always used with fullmatch: `$` in
# `re.match` also matches before a trailing newline, which let "10\n" through.
AMOUNT_PATTERN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# No real amount has more digits than this; a longer one is hostile or broken input, and
# refusing it early keeps Decimal arithmetic and formatting cheap ("1E+100000000" costs
# seconds and hundreds of MB to print).
MAX_AMOUNT_DIGITS = 40


def amount_text_ok(text: object) -> bool:
    """True for a D6 decimal string of at most MAX_AMOUNT_DIGITS digits."""
    if not isinstance(text, str) or len(text) > MAX_AMOUNT_DIGITS + 1:
        return False
    return AMOUNT_PATTERN.fullmatch(text) is not None and len(text.replace(".", "")) <= (
        MAX_AMOUNT_DIGITS
    )


def is_loopback_host(host: str) -> bool:
    """This computer only: ``localhost`` (and ``*.localhost``) or a loopback IP literal.

    A name that merely starts with ``127.`` (``127.evil.example``) is a DNS name like any
    other and is *not* loopback.
    """
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def routing_number_valid(value: object) -> bool:
    """A US ABA routing number: 9 digits passing the 3-7-1 checksum (python-stdnum), and not
    all zeros (which passes the checksum but is no bank)."""
    if not isinstance(value, str) or len(value) != 9 or not value.isascii():
        return False
    # Imported here: stdnum.util imports pydoc and ssl (~13 ms, ~1.3 MB), which nothing
    # on the way to the desk's first rows or the sandbox's ready line needs.
    from stdnum.us import rtn

    return value != "000000000" and rtn.is_valid(value)


# -- webhooks (D14) ----------------------------------------------------------------------
#: The events of D14, in the contract's order: what the sandbox sends and the desk accepts.
WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    "transaction.fiatToCrypto.processing",
    "transaction.fiatToCrypto.completed",
    "transaction.fiatToCrypto.failed",
    "transaction.cryptoToCrypto.processing",
    "transaction.cryptoToCrypto.completed",
    "transaction.cryptoToCrypto.failed",
    "transaction.cryptoToFiat.processing",
    "transaction.cryptoToFiat.completed",
    "transaction.cryptoToFiat.failed",
    "cashIn.processing",
    "cashIn.completed",
    "cashIn.failed",
    "cashIn.expired",
    "customer.endorsement.granted",
    "customer.endorsement.rejected",
    "wallet.depositDetected",
)

BAD_WEBHOOK_SECRET = "the secret is not whsec_ followed by hex digits"


def webhook_key(secret: str) -> bytes:
    """The signing key of a ``whsec_…`` secret (D14): the hex-decoded part, as
    ``standardwebhooks.Webhook`` wants it (passing the ``whsec_`` text itself would
    base64-decode it into another key). ValueError(BAD_WEBHOOK_SECRET) if bad or empty."""
    try:
        key = bytes.fromhex(secret.strip().removeprefix("whsec_"))
    except ValueError as exc:
        raise ValueError(BAD_WEBHOOK_SECRET) from exc
    if not key:
        raise ValueError(BAD_WEBHOOK_SECRET)
    return key
