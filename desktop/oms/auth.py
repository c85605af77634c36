"""Bearer-token authentication as an ``httpx.Auth`` flow (D15).

The flow puts the current token on each request; on a 401 it renews the token once and
sends the request once more. A second 401 goes back to the client, which raises a clear
``AuthError``. Renewal is shared: concurrent callers that find the token stale (or get a
401 with the same token) wait for one exchange instead of starting one each.

The token is renewed ahead of expiry at receipt + expiresIn − min(60 s, expiresIn/2) on the
monotonic clock. The exchange itself (``POST /auth/token``) is the client's job: this class
only gets an ``exchange`` coroutine returning ``(token, ttl_seconds)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable

import httpx

__all__ = ["TokenAuth"]

Exchange = Callable[[], Awaitable[tuple[str, float]]]


class TokenAuth(httpx.Auth):
    def __init__(
        self,
        exchange: Exchange,
        *,
        monotonic: Callable[[], float],
        read_body: Callable[[httpx.Response], Awaitable[bytes]] | None = None,
    ) -> None:
        self._exchange = exchange
        self._monotonic = monotonic
        self._read_body = read_body
        self.token: str | None = None
        self.renew_at: float = 0.0
        self._renewal: asyncio.Future[str] | None = None
        self.exchanges = 0

    # ------------------------------------------------------------------ token state

    async def current(self) -> str:
        """A token that is not due for renewal (exchanging one if needed)."""
        if self.token is not None and self._monotonic() < self.renew_at:
            return self.token
        return await self.renew(stale=self.token)

    async def renew(self, *, stale: str | None, force: bool = False) -> str:
        """A token other than ``stale``; one exchange serves every concurrent caller."""
        if (
            not force
            and self.token is not None
            and self.token != stale
            and self._monotonic() < self.renew_at
        ):
            return self.token  # somebody else already replaced the stale token
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.ensure_future(self._run_exchange())
            self._renewal.add_done_callback(lambda f: f.cancelled() or f.exception())
        fut = self._renewal
        try:
            return await asyncio.shield(fut)
        finally:
            if fut.done() and self._renewal is fut:
                self._renewal = None

    async def _run_exchange(self) -> str:
        self.exchanges += 1
        token, ttl = await self._exchange()
        received = self._monotonic()
        ttl = max(1.0, ttl)
        self.token = token
        self.renew_at = received + ttl - min(60.0, ttl / 2)
        return token

    def cancel(self) -> None:
        if self._renewal is not None and not self._renewal.done():
            self._renewal.cancel()

    # ------------------------------------------------------------------ httpx flow

    def sync_auth_flow(self, request):  # pragma: no cover - the client is async only
        raise RuntimeError("TokenAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.current()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        if self._read_body is not None:
            # httpx reads an intermediate response in full before the next request; read it
            # here instead, under the client's size limit, so a hostile 401 cannot be huge.
            response._content = await self._read_body(response)
        token = await self.renew(stale=token)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request
