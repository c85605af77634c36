"""Which account a piece of client state belongs to, stable across restarts.

The outbox files every journalled submission under such a scope, and replays a scope's
entries only through a client of the same account. The scope must not depend on anything
that changes between runs of the same account: the embedded sandbox listens on a new port
every start, so a scope made from its URL lost every send interrupted by a crash.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

from desktop.rules import is_loopback_host

__all__ = ["account_scope_for", "embedded_locator", "legacy_scope_matches"]


def account_scope_for(locator: str, api_key: str) -> str:
    """An opaque scope for (where the account lives, its API key).

    ``locator`` is the base URL of a remote server, or ``embedded_locator(data_dir)`` for the
    embedded sandbox. The key is hashed so the journal names no credential.
    """
    digest = hashlib.sha256(f"{locator}\n{api_key}".encode()).hexdigest()[:32]
    return f"acct_{digest}"


def embedded_locator(data_dir: str | os.PathLike[str]) -> str:
    """The embedded sandbox's account lives in its data dir, whatever port it listens on."""
    return "embedded:" + str(Path(data_dir).expanduser().resolve())


def legacy_scope_matches(scope: str, base_url: str, api_key: str | None) -> bool:
    """Whether a scope of the first format (``base_url#api_key``) is this account's.

    A loopback URL with the same key is the same embedded sandbox on another port (its
    key is random per data dir); a remote URL must match exactly.
    """
    url, sep, key = scope.rpartition("#")
    if not sep or not api_key or key != api_key:
        return False
    if url == base_url:
        return True
    host, mine = urlsplit(url).hostname or "", urlsplit(base_url).hostname or ""
    return is_loopback_host(host) and is_loopback_host(mine)
