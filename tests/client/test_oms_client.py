"""OmsClient behaviour that does not need a server: URL rules, headers, retry budget.

The same behaviours are exercised end to end against a real sandbox in tests/api/.
A MockTransport here stands in for faults and timings only.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import httpx
import pytest

from desktop.oms import errors
from desktop.oms.client import Credentials, OmsClient, RetryPolicy, base_url_for, check_base_url

CREDS = Credentials("sk_sdbx_test", "super-secret-value")


class FakeOms:
    """Minimal scripted server: token endpoint plus a queue of answers per path."""

    def __init__(self, ttl: int = 3600):
        self.ttl = ttl
        self.requests: list[httpx.Request] = []
        self.scripts: dict[str, list] = {}
        self.tokens = 0
        self.token_gate: asyncio.Event | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/v0.9/")
        if path == "auth/token":
            if self.token_gate is not None:
                await self.token_gate.wait()
            body = json.loads(request.content)
            if body["apiSecret"] != CREDS.api_secret:
                return err(401, "invalid_credentials")
            self.tokens += 1
            return httpx.Response(
                200, json={"accessToken": f"tok{self.tokens}", "expiresIn": self.ttl}
            )
        script = self.scripts.get(path)
        if script:
            item = script.pop(0)
            if isinstance(item, Exception):
                raise item
            return item(request) if callable(item) else item
        return httpx.Response(200, json={"id": path.rsplit("/", 1)[-1], "status": "processing"})


def err(status, code, headers=None):
    return httpx.Response(
        status,
        json={"error": {"code": code, "message": f"{code} msg", "param": None, "requestId": "r"}},
        headers=headers,
    )


def make(fake, **kw) -> OmsClient:
    delays: list[float] = []

    async def sleep(d):
        delays.append(d)

    kw.setdefault("retry", RetryPolicy(attempts=4, base=0.01, cap=0.05, deadline=5))
    c = OmsClient(
        "http://127.0.0.1:9/v0.9", CREDS, transport=httpx.MockTransport(fake), sleep=sleep, **kw
    )
    c.delays = delays  # type: ignore[attr-defined]
    return c


@pytest.mark.parametrize(
    "url",
    ["https://api.polygon.technology/v0.9", "http://127.0.0.1:5/v0.9", "http://localhost/v0.9",
     "http://[::1]:80/v0.9", "http://127.9.9.9/v0.9"],
)  # fmt: skip
def test_allowed_base_urls(url):
    assert check_base_url(url + "/") == url


@pytest.mark.parametrize(
    "url", ["http://api.polygon.technology/v0.9", "ftp://x/v0.9", "https://u:p@host/v0.9", "x"]
)
def test_rejected_base_urls(url):
    with pytest.raises(ValueError):
        check_base_url(url)


def test_base_url_for_adds_the_version_segment():
    assert base_url_for("https://api.polygon.technology/") == "https://api.polygon.technology/v0.9"
    assert base_url_for("https://h", "v0.11") == "https://h/v0.11"
    assert base_url_for("https://h/v0.11") == "https://h/v0.11"
    with pytest.raises(ValueError):
        base_url_for("http://example.com")


def test_credentials_repr_hides_secret():
    assert "super-secret" not in repr(CREDS) and "sk_sdbx_test" in repr(CREDS)


async def test_posts_carry_idempotency_key_token_and_decimal_strings():
    fake = FakeOms()
    async with make(fake) as c:
        await c.create_quote({"source": {"amount": Decimal("10.50")}})
        await c.create_transaction("qt_1", idempotency_key="k-1")
        await c.get_transaction("txn_1")
    tok, quote, txn, get = fake.requests
    assert "idempotency-key" not in tok.headers and "authorization" not in tok.headers
    assert quote.headers["authorization"] == "Bearer tok1"
    assert len(quote.headers["idempotency-key"]) >= 32
    assert json.loads(quote.content) == {"source": {"amount": "10.50"}}
    assert txn.headers["idempotency-key"] == "k-1"
    assert "idempotency-key" not in get.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
async def test_invalid_caller_keys_are_refused_before_sending(key):
    fake = FakeOms()
    async with make(fake) as c:
        with pytest.raises(ValueError):
            await c.create_transaction("qt_1", idempotency_key=key)
    assert fake.requests == []


async def test_float_money_is_refused():
    async with make(FakeOms()) as c:
        with pytest.raises(TypeError):
            await c.create_quote({"source": {"amount": 10.5}})


async def test_concurrent_callers_share_one_token_exchange():
    fake = FakeOms()
    fake.token_gate = asyncio.Event()
    async with make(fake) as c:
        tasks = [asyncio.create_task(c.get_transaction(f"txn_{i}")) for i in range(20)]
        await asyncio.sleep(0)
        fake.token_gate.set()
        await asyncio.gather(*tasks)
        assert fake.tokens == 1 and c.token_exchanges == 1


async def test_401_renews_once_then_gives_a_clear_error():
    fake = FakeOms()
    fake.scripts["transactions/txn_1"] = [err(401, "token_expired")]
    async with make(fake) as c:
        t = await c.get_transaction("txn_1")
        assert t.id == "txn_1" and fake.tokens == 2
        assert fake.requests[-1].headers["authorization"] == "Bearer tok2"
        fake.scripts["transactions/txn_2"] = [err(401, "token_expired")] * 2
        with pytest.raises(errors.AuthError):
            await c.get_transaction("txn_2")


async def test_bad_credentials_raise_auth_error():
    fake = FakeOms()
    c = OmsClient(
        "http://127.0.0.1:9/v0.9", Credentials("sk_sdbx_test", "wrong"),
        transport=httpx.MockTransport(fake),
    )  # fmt: skip
    async with c:
        with pytest.raises(errors.AuthError) as ei:
            await c.authenticate()
    assert ei.value.code == "invalid_credentials"


async def test_token_renewed_before_expiry_on_monotonic_clock():
    now = [1000.0]
    fake = FakeOms(ttl=100)
    async with make(fake, monotonic=lambda: now[0]) as c:
        await c.get_transaction("txn_1")
        now[0] += 49  # renew at ttl - min(60, ttl/2) = 50 s
        await c.get_transaction("txn_1")
        assert fake.tokens == 1
        now[0] += 2
        await c.get_transaction("txn_1")
        assert fake.tokens == 2


async def test_get_retries_5xx_and_network_errors_with_backoff():
    fake = FakeOms()
    fake.scripts["transactions/txn_1"] = [
        err(500, "internal_error"),
        httpx.ConnectError("refused"),
        err(503, "internal_error"),
    ]
    async with make(fake) as c:
        t = await c.get_transaction("txn_1")
    assert t.id == "txn_1"
    assert len(c.delays) == 3 and all(0 < d <= 0.05 for d in c.delays)


async def test_get_gives_up_after_attempts():
    fake = FakeOms()
    fake.scripts["transactions/txn_1"] = [err(503, "internal_error")] * 10
    async with make(fake) as c:
        with pytest.raises(errors.ServerError):
            await c.get_transaction("txn_1")
        assert len(c.delays) == 3  # 4 attempts
        with pytest.raises(errors.ServerError):
            await c.get_transaction("txn_1", retry=False)
        assert len(c.delays) == 3


async def test_429_honours_retry_after():
    fake = FakeOms()
    fake.scripts["transactions/txn_1"] = [err(429, "rate_limited", {"Retry-After": "2"})]
    async with make(fake) as c:
        await c.get_transaction("txn_1")
    assert 2.0 <= c.delays[0] <= 2.05


async def test_retry_after_beyond_deadline_is_raised():
    fake = FakeOms()
    fake.scripts["transactions/txn_1"] = [err(429, "rate_limited", {"Retry-After": "600"})]
    async with make(fake) as c:
        with pytest.raises(errors.RateLimited) as ei:
            await c.get_transaction("txn_1")
    assert ei.value.retry_after == 600.0


async def test_post_without_key_is_never_retried_and_keyed_post_keeps_its_key():
    fake = FakeOms()
    fake.scripts["sandbox/clock/advance"] = [err(503, "internal_error")]
    fake.scripts["transactions"] = [
        httpx.ReadTimeout("slow"),
        err(409, "idempotency_key_in_use"),
        httpx.Response(201, json={"id": "txn_9", "status": "processing"}),
    ]
    async with make(fake) as c:
        with pytest.raises(errors.ServerError):
            await c.sandbox_advance_clock(5)
        assert c.delays == []
        t = await c.create_transaction("qt_1")
    assert t.id == "txn_9"
    keys = {
        r.headers["idempotency-key"] for r in fake.requests if r.url.path.endswith("/transactions")
    }
    assert len(keys) == 1 and len(c.delays) == 2


async def test_4xx_is_not_retried():
    fake = FakeOms()
    fake.scripts["transactions"] = [err(409, "quote_expired")]
    async with make(fake) as c:
        with pytest.raises(errors.QuoteExpired):
            await c.create_transaction("qt_1")
        assert c.delays == []


async def test_network_error_flags_unsent_connect_failures():
    fake = FakeOms()
    fake.scripts["transactions"] = [httpx.ConnectError("refused")] * 5
    async with make(fake, retry=RetryPolicy(attempts=1)) as c:
        with pytest.raises(errors.NetworkError) as ei:
            await c.create_transaction("qt_1")
    assert ei.value.maybe_sent is False


async def test_server_time_offset_from_date_header():
    def answer(request):
        return httpx.Response(
            201,
            json={"id": "qt_1", "status": "open", "expiresAt": "2030-01-01T00:00:30Z"},
            headers={"Date": "Tue, 01 Jan 2030 00:00:00 GMT"},
        )

    fake = FakeOms()
    fake.scripts["quotes"] = [answer]
    now = [50.0]
    async with make(fake, monotonic=lambda: now[0]) as c:
        q = await c.create_quote({})
        assert c.server_time_offset is not None and c.server_time_offset.days > 365
    assert q.received_monotonic == 50.0
    assert q.remaining(60.0).total_seconds() == 20.0
