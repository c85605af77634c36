"""Idempotency in flight (D3): a duplicate that arrives while the first request with its key is
still running answers 409 idempotency_key_in_use (not stored); once the first has answered, the
key replays it. The claim never outlives its request: not after a crash of the handler, not
across a kill -9 and restart.

Deterministic, no sleeping: the sandbox is started with OMS_SANDBOX_TEST_HOLD=<keys>, so the
first request carrying one of those keys claims it and then blocks until the test releases it
(POST /sandbox/test/hold/wait, /sandbox/test/hold/release).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.support.api import EXT_ADDR, assert_error
from tests.support.identity import IDENTITY
from tests.support.sandbox import start_sandbox

HELD_KEYS = "cust-held,txn-held,crash-held"


@pytest.fixture(scope="module")
def held_sandbox(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMS_SANDBOX_TEST_HOLD", HELD_KEYS)
        sb = start_sandbox(tmp_path_factory.mktemp("held"))
    yield sb
    sb.stop()


@asynccontextmanager
async def _client(base_url: str, api_key: str, api_secret: str):
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as h:
        r = await h.post("/auth/token", json={"apiKey": api_key, "apiSecret": api_secret})
        assert r.status_code == 200, r.text
        h.headers["Authorization"] = f"Bearer {r.json()['accessToken']}"
        yield h


@asynccontextmanager
async def _new_account(sb):
    """A client of a new, empty account (so resource counts are exact)."""
    async with _client(sb.base_url, sb.api_key, sb.api_secret) as root:
        r = await root.post("/sandbox/accounts")
        assert r.status_code == 201, r.text
        creds = r.json()
    async with _client(sb.base_url, creds["apiKey"], creds["apiSecret"]) as h:
        yield h


def _key(k: str) -> dict:
    return {"Idempotency-Key": k}


async def _wait_held(h: httpx.AsyncClient, key: str) -> None:
    r = await h.post("/sandbox/test/hold/wait", json={"idempotencyKey": key})
    assert r.status_code == 200, r.text
    assert r.json()["held"] is True


async def _release(h: httpx.AsyncClient, key: str, crash: bool = False) -> None:
    r = await h.post("/sandbox/test/hold/release", json={"idempotencyKey": key, "crash": crash})
    assert r.status_code == 200, r.text


async def _count(h: httpx.AsyncClient, path: str) -> int:
    r = await h.get(path, params={"limit": 100})
    assert r.status_code == 200, r.text
    return len(r.json()["data"])


async def test_duplicate_in_flight_is_409_then_replays(held_sandbox):
    async with _new_account(held_sandbox) as h:
        first = asyncio.create_task(h.post("/customers", json=IDENTITY, headers=_key("cust-held")))
        await _wait_held(h, "cust-held")
        dup = await h.post("/customers", json=IDENTITY, headers=_key("cust-held"))
        assert_error(dup, 409, "idempotency_key_in_use", "Idempotency-Key")
        # Another body under the same key is still a mismatch, in flight or not.
        other = await h.post(
            "/customers", json={**IDENTITY, "firstName": "Other"}, headers=_key("cust-held")
        )
        assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")
        assert not first.done()
        assert await _count(h, "/customers") == 0  # the held request has not run yet
        await _release(h, "cust-held")
        r1 = await first
        assert r1.status_code == 201, r1.text
        assert "Idempotent-Replayed" not in r1.headers
        # The 409 was not stored: the retry gets the first request's answer, replayed.
        retry = await h.post("/customers", json=IDENTITY, headers=_key("cust-held"))
        assert retry.status_code == 201
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.content == r1.content
        assert await _count(h, "/customers") == 1


async def test_transaction_in_flight_sends_once(held_sandbox):
    async with _new_account(held_sandbox) as h:
        c = (await h.post("/customers", json=IDENTITY, headers=_key("c"))).json()
        w = await h.post(
            f"/customers/{c['id']}/wallets",
            json={"asset": "usdc", "chain": "polygon"},
            headers=_key("w"),
        )
        assert w.status_code == 201, w.text
        wid = w.json()["id"]
        r = await h.post(f"/sandbox/wallets/{wid}/deposit", json={"amount": "100.00"})
        assert r.status_code == 201, r.text
        q = await h.post(
            "/quotes",
            json={
                "customerId": c["id"],
                "source": {
                    "walletId": wid,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "30.00",
                },
                "destination": {
                    "wallet": {"blockchainAddress": EXT_ADDR},
                    "asset": "usdc",
                    "network": "polygon",
                },
            },
            headers=_key("q"),
        )
        assert q.status_code == 201, q.text
        body = {"quoteId": q.json()["id"]}
        first = asyncio.create_task(h.post("/transactions", json=body, headers=_key("txn-held")))
        await _wait_held(h, "txn-held")
        for _ in range(3):
            dup = await h.post("/transactions", json=body, headers=_key("txn-held"))
            assert_error(dup, 409, "idempotency_key_in_use", "Idempotency-Key")
        bal = (await h.get(f"/wallets/{wid}/balance")).json()["balance"]
        assert bal == "100.00"  # nothing reserved while the first is held
        await _release(h, "txn-held")
        r1 = await first
        assert r1.status_code == 201, r1.text
        retry = await h.post("/transactions", json=body, headers=_key("txn-held"))
        assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
        assert retry.content == r1.content
        assert await _count(h, "/transactions") == 1
        assert (await h.get(f"/wallets/{wid}/balance")).json()["balance"] == "70.00"


async def test_handler_crash_releases_the_claim(held_sandbox):
    async with _new_account(held_sandbox) as h:
        first = asyncio.create_task(h.post("/customers", json=IDENTITY, headers=_key("crash-held")))
        await _wait_held(h, "crash-held")
        assert_error(
            await h.post("/customers", json=IDENTITY, headers=_key("crash-held")),
            409,
            "idempotency_key_in_use",
        )
        await _release(h, "crash-held", crash=True)
        assert_error(await first, 500, "internal_error")
        assert await _count(h, "/customers") == 0
        # The 500 was not stored and the claim is gone: the retry runs, once.
        r = await h.post("/customers", json=IDENTITY, headers=_key("crash-held"))
        assert r.status_code == 201, r.text
        assert "Idempotent-Replayed" not in r.headers
        again = await h.post("/customers", json=IDENTITY, headers=_key("crash-held"))
        assert again.headers["Idempotent-Replayed"] == "true" and again.content == r.content
        assert await _count(h, "/customers") == 1


async def test_claim_does_not_survive_kill_9(tmp_path, monkeypatch):
    monkeypatch.setenv("OMS_SANDBOX_TEST_HOLD", "kill-held")
    sb = start_sandbox(tmp_path / "sb")
    try:
        async with _client(sb.base_url, sb.api_key, sb.api_secret) as h:
            first = asyncio.create_task(
                h.post("/customers", json=IDENTITY, headers=_key("kill-held"))
            )
            await _wait_held(h, "kill-held")
            sb.kill()
            (outcome,) = await asyncio.gather(first, return_exceptions=True)
            assert isinstance(outcome, httpx.TransportError), outcome
    finally:
        sb.stop()
    monkeypatch.delenv("OMS_SANDBOX_TEST_HOLD")
    sb = start_sandbox(tmp_path / "sb")
    try:
        async with _client(sb.base_url, sb.api_key, sb.api_secret) as h:
            r = await h.post("/customers", json=IDENTITY, headers=_key("kill-held"))
            assert r.status_code == 201, r.text
            assert "Idempotent-Replayed" not in r.headers
            again = await h.post("/customers", json=IDENTITY, headers=_key("kill-held"))
            assert again.headers["Idempotent-Replayed"] == "true"
            assert await _count(h, "/customers") == 1
            # Without the environment variable the hooks do not exist.
            r = await h.post("/sandbox/test/hold/wait", json={"idempotencyKey": "kill-held"})
            assert_error(r, 404, "not_found")
    finally:
        sb.stop()
