"""The one synchronous HTTP helper of the sandbox tests (tests only; not desktop.oms).

It talks to a real sandbox process over loopback, exactly as any client would: it adds a
fresh Idempotency-Key to every POST outside /sandbox/ unless told otherwise, and renews a
token the sandbox clock has expired once (D15).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import httpx

from tests.support.identity import identity

NYC = ("40.7506", "-73.9972")
SACRAMENTO = ("38.495133", "-121.505336")
CHASE_ROUTING = "021000021"
EXT_ADDR = "0xabC1230000000000000000000000000000DEf456"
DEAD_ADDR = "0x000000000000000000000000000000000000dEaD"


class Api:
    def __init__(self, base_url: str, api_key: str, api_secret: str):
        self.base_url = base_url
        self._creds = {"apiKey": api_key, "apiSecret": api_secret}
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.token = ""
        self._login()

    def _login(self) -> None:
        r = self.http.post("/auth/token", json=self._creds)
        assert r.status_code == 200, r.text
        self.token = r.json()["accessToken"]
        self.http.headers["Authorization"] = "Bearer " + self.token

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request; a token the sandbox clock has expired is renewed once (D15)."""
        r = self.http.request(method, path, **kw)
        if r.status_code == 401 and r.json()["error"]["code"] == "token_expired":
            self._login()
            r = self.http.request(method, path, **kw)
        return r

    @classmethod
    def of(cls, sb) -> Api:
        """A client of sandbox `sb`'s default account."""
        return cls(sb.base_url, sb.api_key, sb.api_secret)

    @classmethod
    def on_new_account(cls, sb) -> Api:
        """A client of a brand-new, empty account of sandbox `sb`."""
        root = cls.of(sb)
        try:
            return root.new_account()
        finally:
            root.close()

    def new_account(self) -> Api:
        r = self._send("POST", "/sandbox/accounts")
        assert r.status_code == 201, r.text
        creds = r.json()
        return Api(self.base_url, creds["apiKey"], creds["apiSecret"])

    def close(self) -> None:
        self.http.close()

    # -- verbs ----------------------------------------------------------------------------------
    def post(self, path: str, body: Any = None, key: str | None = "auto", **kw) -> httpx.Response:
        headers = dict(kw.pop("headers", None) or {})
        if key == "auto" and not path.startswith("/sandbox/"):
            key = uuid.uuid4().hex
        if key not in (None, "auto"):
            headers["Idempotency-Key"] = key
        if body is None:
            return self._send("POST", path, headers=headers, **kw)
        return self._send("POST", path, json=body, headers=headers, **kw)

    def get(self, path: str, params: dict | None = None, **query: Any) -> httpx.Response:
        merged = {**(params or {}), **query}
        return self._send("GET", path, params={k: v for k, v in merged.items() if v is not None})

    def patch(self, path: str, body: Any, **kw) -> httpx.Response:
        return self._send("PATCH", path, json=body, **kw)

    def delete(self, path: str, **kw) -> httpx.Response:
        return self._send("DELETE", path, **kw)

    def ok(self, r: httpx.Response, status: int = 200) -> dict:
        assert r.status_code == status, (
            f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
        )
        return r.json() if r.content else {}

    def all_pages(self, path: str, **params) -> list[dict]:
        items, cursor = [], None
        while True:
            q = dict(params, limit=100)
            if cursor:
                q["startingAfter"] = cursor
            body = self.ok(self.get(path, q))
            items += body["data"]
            if not body["hasMore"]:
                return items
            cursor = body["nextCursor"]

    # -- sandbox ---------------------------------------------------------------------------------
    def advance(self, seconds: float) -> str:
        return self.ok(self.post("/sandbox/clock/advance", {"seconds": seconds}))["now"]

    def now(self) -> str:
        return self.ok(self.get("/sandbox/health"))["now"]

    # -- building blocks -------------------------------------------------------------------------
    def customer(self, **overrides: Any) -> dict:
        """A customer with the full identity (tests.support.identity) and a unique email unless
        given; an override of `...` drops that field."""
        overrides.setdefault("email", f"jane+{uuid.uuid4().hex[:8]}@example.com")
        return self.ok(self.post("/customers", identity(**overrides)), 201)

    def wallet(self, customer_id: str) -> dict:
        body = {"asset": "usdc", "chain": "polygon"}
        return self.ok(self.post(f"/customers/{customer_id}/wallets", body), 201)

    def balance(self, wallet_id: str) -> str:
        """The balance exactly as served (a D6 string: "100.00", "99.421234")."""
        return self.ok(self.get(f"/wallets/{wallet_id}/balance"))["balance"]

    def fund(self, wallet_id: str, amount: str) -> dict:
        return self.ok(self.post(f"/sandbox/wallets/{wallet_id}/deposit", {"amount": amount}), 201)

    def funded(self, amount: str = "2500.00") -> tuple[dict, dict]:
        """A new customer and its wallet holding `amount`."""
        c = self.customer()
        w = self.wallet(c["id"])
        self.fund(w["id"], amount)
        return c, w

    def quote_body(
        self, c: dict, w: dict, amount="100.00", to=EXT_ADDR, side="source", sponsor=True
    ) -> dict:
        dest_wallet = {"id": to} if to.startswith("wlt_") else {"blockchainAddress": to}
        src = {"walletId": w["id"], "asset": "usdc", "network": "polygon"}
        dst = {"wallet": dest_wallet, "asset": "usdc", "network": "polygon"}
        (src if side == "source" else dst)["amount"] = amount
        return {"customerId": c["id"], "source": src, "destination": dst, "sponsorGas": sponsor}

    def quote(self, c, w, **kw) -> dict:
        return self.ok(self.post("/quotes", self.quote_body(c, w, **kw)), 201)

    def send(self, c, w, **kw) -> dict:
        q = self.quote(c, w, **kw)
        return self.ok(self.post("/transactions", {"quoteId": q["id"]}), 201)

    def location(self, point: tuple[str, str] = NYC) -> dict:
        lat, lng = point
        r = self.get("/cash-locations", provider="greendot", latitude=lat, longitude=lng, limit=1)
        return self.ok(r)["data"][0]

    def cash_in_body(self, customer_id: str, wallet_id: str, amount: str | None = "100.00"):
        loc = self.location()
        source: dict[str, Any] = {"asset": "usd"}
        if amount is not None:
            source["indicatedAmount"] = amount
        return {
            "customerId": customer_id,
            "source": source,
            "destination": {"wallet": {"id": wallet_id}, "asset": "usdc", "network": "polygon"},
            "cash": {"locationId": loc["id"], "locationReference": loc["locationReference"]},
        }

    def cash_in(self, customer_id: str, wallet_id: str, amount: str | None = "100.00") -> dict:
        return self.ok(
            self.post("/cash-ins", self.cash_in_body(customer_id, wallet_id, amount)), 201
        )

    def deposit_cash(self, cash_in: dict, amount: str) -> dict:
        """barcode-auth (must approve) then auth-commit; returns the commit response."""
        code = cash_in["depositInstructions"]["code"]
        auth = self.ok(
            self.post(
                "/cash-ins/simulate/barcode-auth",
                {"accountReferenceNumber": code, "amount": amount},
            )
        )
        assert auth["responseCode"] == "00", auth
        return self.ok(
            self.post(
                "/cash-ins/simulate/auth-commit", {"originalConfirmationId": auth["confirmationId"]}
            )
        )

    @staticmethod
    def bank_account_body(
        number: str = "000123454242", network: str = "ach", routing: str = CHASE_ROUTING
    ) -> dict:
        return {
            "type": "usBank",
            "network": network,
            "bankDetails": {
                "bankName": "Chase",
                "routingNumber": routing,
                "accountNumber": number,
                "accountHolderName": "Jane Smith",
            },
        }

    def bank_account(
        self,
        customer_id: str,
        number: str = "000123454242",
        network: str = "ach",
        routing: str = CHASE_ROUTING,
    ) -> dict:
        body = self.bank_account_body(number, network, routing)
        return self.ok(self.post(f"/customers/{customer_id}/external-accounts", body), 201)

    def webhook(self, url: str, events: list[str] | None = None) -> dict:
        body: dict[str, Any] = {"url": url}
        if events is not None:
            body["events"] = events
        return self.ok(self.post("/webhooks", body), 201)

    def deliveries(self, webhook_id: str) -> list[dict]:
        return self.ok(self.get(f"/sandbox/webhooks/{webhook_id}/deliveries"))["data"]

    def wait_attempts(self, webhook_id: str, event_id: str, n: int, timeout: float = 5.0) -> dict:
        """The delivery of `event_id` once the sandbox has recorded `n` attempts.

        The receiver sees a request a moment before the sandbox records its outcome, so this
        re-reads the debug view until it catches up (bounded; no sleeping)."""
        deadline = time.monotonic() + timeout
        while True:
            for d in self.deliveries(webhook_id):
                if d["eventId"] == event_id and d["attemptCount"] >= n:
                    return d
            if time.monotonic() > deadline:
                raise AssertionError(f"{event_id}: fewer than {n} attempts recorded")

    def wait_deliveries_recorded(self, webhook_id: str, n: int, timeout: float = 5.0) -> list:
        """The debug view once it lists `n` deliveries none of which is still pending: the
        receiver sees each request a moment before the sandbox records its outcome."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.deliveries(webhook_id)
            if len(seen) >= n and all(d["status"] != "pending" for d in seen):
                return seen
            if time.monotonic() > deadline:
                return seen  # the caller's assertions say what is missing


def assert_error(r: httpx.Response, status: int, code: str, param: str | None = "any") -> dict:
    """`r` is D1's error body with this status and code (and param, unless "any")."""
    assert r.status_code == status, f"{r.status_code} {r.text}"
    err = r.json()["error"]
    assert err["code"] == code, r.text
    assert err["requestId"] == r.headers["Request-Id"]
    assert err["requestId"].startswith("req_")
    if param != "any":
        assert err["param"] == param, r.text
    return err


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
