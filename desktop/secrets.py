"""SecretStore: API keys and secrets in the OS keyring, never in plain text.

Keyring backends may block (D-Bus, a locked wallet prompt), so every keyring call
runs in a worker thread (``asyncio.to_thread``). When no usable backend exists
(headless Linux) or the backend fails, secrets are kept in memory for this session
only and ``persistent`` turns False so the UI can show a banner that says so.

Only the operating system's own keyrings count (issue 13.8): Secret Service (GNOME Keyring,
KWallet's Secret Service, via ``SecretService`` or ``libsecret``), the macOS Keychain and the
Windows Credential Locker — or keyring's chainer when it holds only those. Anything else
(``keyrings.alt``'s ``PlaintextKeyring``, which writes the secret base64-encoded to a file,
other file backends, ``fail``, ``null``, third-party plugins) means memory mode with the
banner: a secret never lands on disk outside an OS keyring.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import keyring
import keyring.errors

SERVICE = "oms-desk"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiKeyPair:
    api_key: str
    api_secret: str

    def __repr__(self) -> str:  # never show the secret
        return f"ApiKeyPair(api_key={self.api_key[:12]}…, api_secret=***)"


# The modules of keyring's OS backends (a subclass of one of their classes counts too).
OS_KEYRING_MODULES = frozenset(
    {
        "keyring.backends.SecretService",  # freedesktop Secret Service over D-Bus
        "keyring.backends.libsecret",  # the same store through libsecret
        "keyring.backends.macOS",  # macOS Keychain
        "keyring.backends.Windows",  # Windows Credential Locker
    }
)


def is_os_keyring(backend: object) -> bool:
    """True for one of the OS keyrings, or a chainer holding only OS keyrings."""
    mro = type(backend).__mro__
    if any(c.__module__ == "keyring.backends.chainer" for c in mro):
        chained = list(getattr(backend, "backends", ()) or ())
        return bool(chained) and all(is_os_keyring(b) for b in chained)
    return any(c.__module__ in OS_KEYRING_MODULES for c in mro)


def backend_usable(backend: object | None = None) -> bool:
    """True when the keyring backend is an OS keyring that can really store secrets."""
    try:
        kr = backend if backend is not None else keyring.get_keyring()
        if not is_os_keyring(kr):
            return False
        if any(c.__module__ == "keyring.backends.chainer" for c in type(kr).__mro__):
            return True  # it chains only viable backends (priority > 0), all OS keyrings
        return float(type(kr).priority) > 0  # type: ignore[attr-defined]
    except Exception as e:  # a backend that cannot even say whether it works does not
        log.warning("keyring backend check failed (%s)", type(e).__name__)
        return False


class SecretStore:
    """Async facade over keyring with an in-memory, session-only fallback."""

    def __init__(self, service: str = SERVICE, *, backend: object | None = None) -> None:
        self.service = service
        self._backend = backend
        self._memory: dict[str, ApiKeyPair] = {}
        self._persistent: bool | None = None  # unknown until first checked
        self._listeners: list[Callable[[bool], None]] = []

    # ---- state -------------------------------------------------------------------

    @property
    def persistent(self) -> bool:
        """False once we know secrets are kept in memory only."""
        return self._persistent is not False

    def on_persistence_changed(self, cb: Callable[[bool], None]) -> None:
        self._listeners.append(cb)

    def _set_persistent(self, value: bool) -> None:
        if self._persistent != value:
            self._persistent = value
            if not value:
                log.warning(
                    "no usable keyring backend: secrets are kept in memory for this session"
                )
            for cb in list(self._listeners):
                cb(value)

    def _kr(self):
        return self._backend if self._backend is not None else keyring.get_keyring()

    async def probe(self) -> bool:
        """Check the backend once (off the GUI thread); returns ``persistent``."""
        ok = await asyncio.to_thread(backend_usable, self._backend)
        self._set_persistent(ok)
        return ok

    # ---- operations --------------------------------------------------------------

    async def get(self, profile: str) -> ApiKeyPair | None:
        if profile in self._memory:
            return self._memory[profile]
        if self._persistent is None:
            await self.probe()
        if not self.persistent:
            return None
        try:
            raw = await asyncio.to_thread(self._kr().get_password, self.service, profile)
        except Exception as e:  # keyring.errors.KeyringError and backend failures
            log.warning("keyring read failed (%s); using memory for this session", type(e).__name__)
            self._set_persistent(False)
            return None
        if not raw:
            return None
        try:
            d = json.loads(raw)
            return ApiKeyPair(str(d["apiKey"]), str(d["apiSecret"]))
        except (ValueError, KeyError, TypeError):
            return None

    async def set(self, profile: str, pair: ApiKeyPair) -> bool:
        """Store ``pair``; returns True when it went to the keyring, False = memory."""
        if self._persistent is None:
            await self.probe()
        if self.persistent:
            raw = json.dumps({"apiKey": pair.api_key, "apiSecret": pair.api_secret})
            try:
                await asyncio.to_thread(self._kr().set_password, self.service, profile, raw)
                self._memory.pop(profile, None)
                return True
            except Exception as e:
                log.warning("keyring write failed (%s); using memory", type(e).__name__)
                self._set_persistent(False)
        self._memory[profile] = pair
        return False

    async def delete(self, profile: str) -> None:
        self._memory.pop(profile, None)
        if not self.persistent:
            return
        try:
            await asyncio.to_thread(self._kr().delete_password, self.service, profile)
        except keyring.errors.PasswordDeleteError:
            pass
        except Exception as e:
            log.warning("keyring delete failed (%s)", type(e).__name__)

    async def rename(self, old: str, new: str) -> None:
        pair = await self.get(old)
        if pair is not None:
            await self.set(new, pair)
            await self.delete(old)
