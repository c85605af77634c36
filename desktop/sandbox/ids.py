"""TypeID-style ids (D4): prefix + 26 lowercase Crockford base32 chars, time-sortable.

128 bits = 48-bit millisecond timestamp + 80 bits that are random for the first id of a
millisecond and incremented for later ids of the same millisecond (monotonic, like ULID),
so ids made by one process sort in creation order even when the sandbox clock stands still.
"""

from __future__ import annotations

import base64
import secrets
import threading

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_lock = threading.Lock()
_last_ms = -1
_last_rand = 0


def _encode(n: int) -> str:
    out = []
    for _ in range(26):
        out.append(_ALPHABET[n & 31])
        n >>= 5
    return "".join(reversed(out))


_B32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


_time_cache: dict[int, str] = {}


def _encode_time(ms: int) -> str:
    hit = _time_cache.get(ms)
    if hit is not None:
        return hit
    if len(_time_cache) > 1024:
        _time_cache.clear()
    key = ms
    out = []
    for _ in range(10):
        out.append(_ALPHABET[ms & 31])
        ms >>= 5
    _time_cache[key] = text = "".join(reversed(out))
    return text


def bulk_id(prefix: str, ms: int) -> str:
    """Like historic_id, faster (for bulk inserts): 10 time chars + 16 random chars."""
    rand = base64.b32encode(secrets.token_bytes(10)).translate(_B32).decode()
    return prefix + _encode_time(ms & (2**48 - 1)) + rand


def new_id(prefix: str, ms: int) -> str:
    """A new monotonic id for time `ms` (sandbox clock). Never smaller than the previous one."""
    global _last_ms, _last_rand
    with _lock:
        if ms <= _last_ms:
            ms = _last_ms
            _last_rand += 1
        else:
            _last_ms = ms
            _last_rand = secrets.randbits(79)  # headroom for increments
        rand = _last_rand
    tail = base64.b32encode((rand & (2**80 - 1)).to_bytes(10, "big")).translate(_B32).decode()
    return prefix + _encode_time(ms & (2**48 - 1)) + tail


def historic_id(prefix: str, ms: int) -> str:
    """An id for a back-dated record (demo history); random, not monotonic."""
    return prefix + _encode(((ms & (2**48 - 1)) << 80) | secrets.randbits(80))


def is_id(value: str, prefix: str) -> bool:
    if not isinstance(value, str) or not value.startswith(prefix):
        return False
    rest = value[len(prefix) :]
    return len(rest) == 26 and all(c in _ALPHABET for c in rest)
