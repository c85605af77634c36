"""Shared helpers for the client-against-sandbox tests (no tests in here).

``FaultTransport`` wraps the real httpx transport to inject faults a real server cannot be
made to show: a connection dropped after the server committed, 5xx/429 answers, timeouts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from desktop.oms.client import Credentials, OmsClient, RetryPolicy
from tests.support.identity import IDENTITY

ADDRESS = "0xabC1230000000000000000000000000000DEf456"


FAST_RETRY = RetryPolicy(attempts=5, base=0.01, cap=0.05, deadline=10)


def client_for(sb, creds: Credentials | None = None, **kw) -> OmsClient:
    kw.setdefault("retry", FAST_RETRY)
    return OmsClient(sb.base_url, creds or Credentials(sb.api_key, sb.api_secret), **kw)


async def fresh_account_client(sb, **kw) -> OmsClient:
    """A client on a new, empty account of a shared sandbox (isolation without a restart)."""
    async with client_for(sb) as admin:
        creds = await admin.sandbox_create_account()
    return client_for(sb, creds, **kw)


async def funded_customer(c: OmsClient, amount: str = "1000.00", **fields):
    cust = await c.create_customer({**IDENTITY, **fields})
    wallet = await c.create_wallet(cust.id)
    if amount:
        await c.sandbox_deposit(wallet.id, amount)
    return cust, wallet


def send_body(cust, wallet, amount: str = "10.00", address: str = ADDRESS) -> dict:
    return {
        "customerId": cust.id,
        "source": {"walletId": wallet.id, "asset": "usdc", "network": "polygon", "amount": amount},
        "destination": {
            "wallet": {"blockchainAddress": address},
            "asset": "usdc",
            "network": "polygon",
        },
    }


async def first_location(c: OmsClient):
    page = await c.list_cash_locations("40.7506", "-73.9935", limit=1)
    return page.data[0]


async def cash_in_body(c: OmsClient, cust, wallet, amount: str = "100.00") -> dict:
    loc = await first_location(c)
    return {
        "customerId": cust.id,
        "source": {"asset": "usd", "indicatedAmount": amount},
        "destination": {"wallet": {"id": wallet.id}, "asset": "usdc", "network": "polygon"},
        "cash": {"locationId": loc.id, "locationReference": loc.location_reference},
    }


Rule = Callable[[httpx.Request], str | None]


@dataclass
class FaultTransport(httpx.AsyncBaseTransport):
    """Forwards to a real transport; ``faults`` is a list of (predicate, action), each used once.

    Actions: ``drop_after`` (forward, let the server answer, then fail as if the connection
    dropped before the response arrived), ``500``/``503`` (answer without forwarding),
    ``429:N`` (Retry-After N), ``read_timeout`` (forward, then raise ReadTimeout),
    ``connect_error`` (do not forward).
    """

    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    faults: list[tuple[Callable[[httpx.Request], bool], str]] = field(default_factory=list)
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, outcome)

    def add(self, predicate: Callable[[httpx.Request], bool], action: str) -> None:
        self.faults.append((predicate, action))

    def _take(self, request: httpx.Request) -> str | None:
        for i, (pred, action) in enumerate(self.faults):
            if pred(request):
                del self.faults[i]
                return action
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        action = self._take(request)
        path = request.url.path
        if action in ("500", "503"):
            self.log.append((request.method, path, action))
            body = {
                "error": {"code": "internal_error", "message": "injected", "requestId": "req_x"}
            }
            return httpx.Response(int(action), json=body, request=request)
        if action and action.startswith("429"):
            self.log.append((request.method, path, action))
            body = {"error": {"code": "rate_limited", "message": "slow down", "requestId": "r"}}
            return httpx.Response(
                429, json=body, headers={"Retry-After": action.split(":")[1]}, request=request
            )
        if action == "connect_error":
            self.log.append((request.method, path, action))
            raise httpx.ConnectError("injected: connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if action in ("drop_after", "read_timeout"):
            await response.aread()  # the server has fully processed the request
            await response.aclose()
            self.log.append((request.method, path, f"{action}:{response.status_code}"))
            if action == "read_timeout":
                raise httpx.ReadTimeout("injected: read timeout", request=request)
            raise httpx.RemoteProtocolError("injected: connection dropped", request=request)
        self.log.append((request.method, path, str(response.status_code)))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for m, p, _ in self.log if m == method and p.endswith(suffix))


def is_post(suffix: str) -> Callable[[httpx.Request], bool]:
    return lambda r: r.method == "POST" and r.url.path.endswith(suffix)


def is_get(suffix_part: str) -> Callable[[httpx.Request], bool]:
    return lambda r: r.method == "GET" and suffix_part in r.url.path
