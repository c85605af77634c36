"""A synchronous client of the sandbox for the core API tests (tests only; not desktop.oms).

TODO(tests that bite): one API helper — merge with tests/support/api.py."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

FULL_IDENTITY = {
    "type": "individual",
    "firstName": "Jane",
    "lastName": "Smith",
    "email": "jane@example.com",
    "phone": "+12125551234",
    "birthDate": "1990-05-15",
    "nationality": "US",
    "externalId": "usr_7890",
    "signedAgreement": True,
    "ipAddress": "203.0.113.7",
    "residentialAddress": {
        "line1": "123 Main St",
        "city": "New York",
        "state": "NY",
        "country": "US",
        "zipCode": "10001",
    },
    "identifyingInformation": [{"type": "ssn", "issuingCountry": "US", "number": "123456789"}],
    "endorsements": ["basic", "cryptoCustody", "usd"],
}
EXT_ADDR = "0xabC1230000000000000000000000000000DEf456"
DEAD_ADDR = "0x000000000000000000000000000000000000dEaD"


class Api:
    """A tiny synchronous client of the sandbox (tests only; not desktop.oms)."""

    def __init__(self, base_url: str, api_key: str, api_secret: str):
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)
        r = self.http.post("/auth/token", json={"apiKey": api_key, "apiSecret": api_secret})
        assert r.status_code == 200, r.text
        self.token = r.json()["accessToken"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    @classmethod
    def new_account(cls, sb) -> Api:
        """A client of a brand-new, empty account of sandbox `sb`."""
        root = cls(sb.base_url, sb.api_key, sb.api_secret)
        r = root.http.post("/sandbox/accounts")
        assert r.status_code == 201, r.text
        creds = r.json()
        root.close()
        return cls(sb.base_url, creds["apiKey"], creds["apiSecret"])

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, body=None, key: str | None = "auto", **kw) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if key == "auto":
            key = str(uuid.uuid4())
        if key is not None:
            headers["Idempotency-Key"] = key
        if body is None:
            return self.http.post(path, headers=headers, **kw)
        return self.http.post(path, json=body, headers=headers, **kw)

    def patch(self, path: str, body, **kw) -> httpx.Response:
        return self.http.patch(path, json=body, **kw)

    # -- conveniences ----------------------------------------------------------------
    def customer(self, **overrides) -> dict:
        r = self.post("/customers", {**FULL_IDENTITY, **overrides})
        assert r.status_code == 201, r.text
        return r.json()

    def wallet(self, customer_id: str) -> dict:
        r = self.post(f"/customers/{customer_id}/wallets", {"asset": "usdc", "chain": "polygon"})
        assert r.status_code == 201, r.text
        return r.json()

    def funded(self, amount: str = "2500.00") -> tuple[dict, dict]:
        c = self.customer()
        w = self.wallet(c["id"])
        r = self.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": amount}, key=None)
        assert r.status_code == 201, r.text
        return c, w

    def balance(self, wallet_id: str) -> Decimal:
        r = self.get(f"/wallets/{wallet_id}/balance")
        assert r.status_code == 200, r.text
        return Decimal(r.json()["balance"])

    def quote_body(
        self, c: dict, w: dict, amount="100.00", to=EXT_ADDR, side="source", sponsor=True
    ) -> dict:
        dest_wallet = {"id": to} if to.startswith("wlt_") else {"blockchainAddress": to}
        src = {"walletId": w["id"], "asset": "usdc", "network": "polygon"}
        dst = {"wallet": dest_wallet, "asset": "usdc", "network": "polygon"}
        (src if side == "source" else dst)["amount"] = amount
        return {"customerId": c["id"], "source": src, "destination": dst, "sponsorGas": sponsor}

    def quote(self, c, w, **kw) -> dict:
        r = self.post("/quotes", self.quote_body(c, w, **kw))
        assert r.status_code == 201, r.text
        return r.json()

    def send(self, c, w, **kw) -> dict:
        q = self.quote(c, w, **kw)
        r = self.post("/transactions", {"quoteId": q["id"]})
        assert r.status_code == 201, r.text
        return r.json()

    def advance(self, seconds: float) -> str:
        r = self.post("/sandbox/clock/advance", {"seconds": seconds}, key=None)
        assert r.status_code == 200, r.text
        return r.json()["now"]

    def all_pages(self, path: str, **params) -> list[dict]:
        items, cursor = [], None
        while True:
            q = dict(params, limit=100)
            if cursor:
                q["startingAfter"] = cursor
            body = self.get(path, params=q).json()
            items += body["data"]
            if not body["hasMore"]:
                return items
            cursor = body["nextCursor"]


def assert_error(r: httpx.Response, status: int, code: str, param: str | None = "any") -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code, r.text
    assert err["requestId"] == r.headers["Request-Id"]
    assert err["requestId"].startswith("req_")
    if param != "any":
        assert err["param"] == param, r.text
    return err
