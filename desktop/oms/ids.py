"""The one idempotency-key generator (D3): one new key per user-initiated attempt.

``new_idempotency_key()`` → ``"desk-<uuid4>"``; ``new_idempotency_key("txn")`` →
``"txn-<uuid4>"`` (the prefix only helps a person reading logs or the outbox). Both are
printable ASCII well under D3's 255 characters. Automatic retries reuse the key they got.
"""

from __future__ import annotations

import re
import uuid

__all__ = ["new_idempotency_key", "valid_idempotency_key"]

_PREFIX = re.compile(r"[A-Za-z0-9_.]{1,32}")


def new_idempotency_key(prefix: str = "desk") -> str:
    """A fresh key: ``{prefix}-{uuid4}`` (prefix: 1–32 letters, digits, ``_`` or ``.``)."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"an idempotency-key prefix is 1–32 letters or digits, not {prefix!r}")
    return f"{prefix}-{uuid.uuid4()}"


def valid_idempotency_key(key: object) -> bool:
    """D3: 1–255 printable ASCII characters."""
    return isinstance(key, str) and 1 <= len(key) <= 255 and all(" " <= ch <= "~" for ch in key)
