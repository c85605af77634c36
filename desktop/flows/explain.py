"""What a money action's objects mean, in plain words for an operator (no Qt, no I/O)."""

from __future__ import annotations

import re
from typing import Any

from desktop.display import EMPTY, bank_words
from desktop.oms import errors

__all__ = ["PLAIN_ERRORS", "describe_destination", "explain_error"]


def describe_destination(d: Any) -> str:
    w = d.wallet
    if w is not None and w.id:
        return f"OMS wallet {w.id}"
    if w is not None and w.blockchain_address:
        return w.blockchain_address
    acc = (w.external_account_id if w is not None else None) or d.external_account_id
    if acc:  # by the bank's name and masked number; the id only when nothing else is known
        return f"Bank account {bank_words(d.bank_details) or acc}"
    return EMPTY


#: What failures mean, in plain words (D10, D2).
PLAIN_ERRORS: dict[str, str] = {
    "blockchain_rejected": "The blockchain network rejected the transfer to this address, "
    "so nothing reached it.",
    "bank_returned": "The receiving bank returned the payment (for example a closed "
    "account or wrong account number).",
    "deposit_reversed": "The store reversed the cash deposit, so no USDC was credited.",
    "insufficient_funds": "The wallet does not hold enough USDC for this amount plus fees.",
    "limit_exceeded": "This would pass one of the customer's limits.",
    "quote_expired": "The quote expired before it was used; nothing was sent.",
    "endorsement_required": "The customer is not yet approved for this (an endorsement "
    "is missing).",
    "customer_inactive": "The customer's account is inactive.",
    "invalid_address": "The destination address is not valid.",
    "invalid_amount": "The amount is not valid for this asset (too small once fees are "
    "deducted, or too many decimal places).",
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _restates(message: str, plain: str) -> bool:
    """The server's message says nothing the plain sentence does not: its words appear in
    the plain sentence, in the same order ("The network rejected the transfer to this
    address" inside "The blockchain network rejected the transfer to this address, …")."""
    rest = iter(_words(plain))
    return all(w in rest for w in _words(message))


def explain_error(exc: BaseException | Any) -> str:
    code = getattr(exc, "code", None)
    plain = PLAIN_ERRORS.get(code or "")
    message = str(exc) if isinstance(exc, BaseException) else (getattr(exc, "message", "") or "")
    if isinstance(exc, errors.NetworkError):
        return f"Could not reach the payments service: {message}"
    if plain and message and not _restates(message, plain):
        return f"{plain} ({message.rstrip('.')}.)"
    return plain or message or "Something went wrong."
