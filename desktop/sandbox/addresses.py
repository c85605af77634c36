"""EVM addresses and EIP-55 checksums (D16). Keccak-256 from pycryptodome (not sha3_256)."""

from __future__ import annotations

import functools
import re
import secrets

from .errors import ApiError

_ADDR_RE = re.compile(r"0x[0-9a-fA-F]{40}")


@functools.lru_cache(maxsize=4096)
def to_checksum(address: str) -> str:
    hex_addr = address[2:].lower()  # cached per spelling: destinations repeat
    from Crypto.Hash import keccak  # on first use: it loads cffi and pycparser (start-up)

    digest = keccak.new(digest_bits=256, data=hex_addr.encode()).hexdigest()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex_addr)
    )


def validate_address(value: object, param: str) -> str:
    """Return the checksummed form of a valid address or raise 400 invalid_address."""
    if not isinstance(value, str) or not _ADDR_RE.fullmatch(value):
        raise ApiError(400, "invalid_address", "Not an EVM address (0x + 40 hex digits)", param)
    body = value[2:]
    mixed = body != body.lower() and body != body.upper()
    checksummed = to_checksum(value)
    if mixed and value != checksummed:
        raise ApiError(400, "invalid_address", "Address fails the EIP-55 checksum", param)
    return checksummed


def new_address() -> str:
    """A random checksummed address that never ends in 'dead' (D17 test value)."""
    while True:
        addr = to_checksum("0x" + secrets.token_hex(20))
        if not addr.lower().endswith("dead"):
            return addr


def new_tx_hash() -> str:
    return "0x" + secrets.token_hex(32)
