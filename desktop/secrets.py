"""SecretStore: API keys and secrets in the OS keyring, never in plain text.

Keyring backends may block (D-Bus, a locked wallet prompt), so every keyring call
runs in a worker thread (``asyncio.to_thread``). When no usable backend exists
(headless Linux) or the backend fails, secrets are kept in memory for this session
only and ``persistent`` turns False so the UI can show a banner that says so.
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


def backend_usable(backend: object | None = None) -> bool:
    """True when the keyring backend can really store secrets."""
    kr = backend if backend is not None else keyring.get_keyring()
    mod = type(kr).__module__
    if mod.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if mod.startswith("keyring.backends.chainer"):
        return bool(getattr(kr, "backends", ()))
    try:
        return float(type(kr).priority) > 0  # type: ignore[attr-defined]
    except Exception:
        return True


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
