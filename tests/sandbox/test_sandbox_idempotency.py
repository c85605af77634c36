"""Idempotency (D3): replay, mismatch, in-flight and concurrent duplicates, what is stored."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.support.api import Api, assert_error
from tests.support.identity import IDENTITY


@pytest.fixture
def api(sandbox):
    client = Api.on_new_account(sandbox)
    yield client
    client.close()


def test_replay_returns_identical_body(api):
    r1 = api.post("/customers", IDENTITY, key="cust-001")
    r2 = api.post("/customers", IDENTITY, key="cust-001")
    assert r1.status_code == r2.status_code == 201
    assert r1.content == r2.content
    assert r2.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in r1.headers
    assert r1.headers["Request-Id"] != r2.headers["Request-Id"]
    # Key order and whitespace do not matter: "same body" is equal after JSON parsing.
    reordered = dict(reversed(list(IDENTITY.items())))
    r3 = api.post("/customers", reordered, key="cust-001")
    assert r3.content == r1.content
    assert len(api.get("/customers").json()["data"]) == 1


def test_same_key_other_body_is_422_and_not_stored(api):
    api.post("/customers", IDENTITY, key="k1")
    r = api.post("/customers", {**IDENTITY, "firstName": "Other"}, key="k1")
    assert_error(r, 422, "idempotency_key_reused", "Idempotency-Key")
    # the original is still what the key replays
    r = api.post("/customers", IDENTITY, key="k1")
    assert r.status_code == 201 and r.json()["firstName"] == "Jane"
    assert len(api.get("/customers").json()["data"]) == 1


def test_scope_is_method_and_path_and_account(sandbox, api):
    c = api.post("/customers", IDENTITY, key="shared").json()
    w = api.post(
        f"/customers/{c['id']}/wallets", {"asset": "usdc", "chain": "polygon"}, key="shared"
    )
    assert w.status_code == 201 and w.json()["object"] == "wallet"
    other = Api.on_new_account(sandbox)
    r = other.post("/customers", IDENTITY, key="shared")
    assert r.status_code == 201 and r.json()["id"] != c["id"]
    assert "Idempotent-Replayed" not in r.headers
    other.close()


def test_errors_400_not_stored_but_404_409_422_are(api):
    bad = {"type": "individual", "firstName": 5}
    assert_error(api.post("/customers", bad, key="k400"), 400, "invalid_request")
    # A 400 is not stored: the same key runs again (here with the same bad body).
    r = api.post("/customers", bad, key="k400")
    assert r.status_code == 400 and "Idempotent-Replayed" not in r.headers
    # 404 is stored and replayed even after the resource would exist.
    body = {"quoteId": "qt_00000000000000000000000000"}
    r1 = api.post("/transactions", body, key="k404")
    r2 = api.post("/transactions", body, key="k404")
    assert_error(r1, 404, "not_found")
    assert r2.status_code == 404 and r2.headers["Idempotent-Replayed"] == "true"
    assert r2.content == r1.content
    # 422 insufficient_funds is stored: a deposit does not change the replayed answer.
    c, w = api.funded("1.00")
    qb = api.quote_body(c, w, amount="5.00")
    assert_error(api.post("/quotes", qb, key="k422"), 422, "insufficient_funds")
    api.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": "10.00"}, key=None)
    r = api.post("/quotes", qb, key="k422")
    assert r.status_code == 422 and r.headers["Idempotent-Replayed"] == "true"
    assert api.post("/quotes", qb, key="k422-new").status_code == 201


def test_transaction_replay_does_not_send_twice(api):
    c, w = api.funded("100.00")
    q = api.quote(c, w, amount="30.00")
    r1 = api.post("/transactions", {"quoteId": q["id"]}, key="send-1")
    r2 = api.post("/transactions", {"quoteId": q["id"]}, key="send-1")
    assert r1.status_code == r2.status_code == 201 and r1.content == r2.content
    assert api.balance(w["id"]) == "70.00"
    assert len(api.get("/transactions").json()["data"]) == 1


def test_key_validation(api):
    assert_error(
        api.post("/customers", IDENTITY, key=""), 400, "invalid_request", "Idempotency-Key"
    )
    assert_error(
        api.post("/customers", IDENTITY, key="x" * 256),
        400,
        "invalid_request",
        "Idempotency-Key",
    )
    assert_error(
        api.post("/customers", IDENTITY, key="tab\there"),
        400,
        "invalid_request",
        "Idempotency-Key",
    )
    assert api.post("/customers", IDENTITY, key="x" * 255).status_code == 201
    # Optional on PATCH; token endpoint and sandbox extras never need one.
    c = api.get("/customers").json()["data"][0]
    assert api.patch(f"/customers/{c['id']}", {"middleName": "Q"}).status_code == 200
    assert (
        api.patch(
            f"/customers/{c['id']}", {"middleName": "R"}, headers={"Idempotency-Key": "p1"}
        ).status_code
        == 200
    )
    r = api.patch(f"/customers/{c['id']}", {"middleName": "R"}, headers={"Idempotency-Key": "p1"})
    assert r.headers["Idempotent-Replayed"] == "true"


def test_concurrent_duplicates_create_exactly_one(api):
    c, w = api.funded("1000.00")
    q = api.quote(c, w, amount="10.00")
    barrier = threading.Barrier(12)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def fire(i: int):
        with httpx.Client(
            base_url=api.base_url, timeout=30, headers={"Authorization": f"Bearer {api.token}"}
        ) as h:
            barrier.wait()
            if i % 2:
                r = h.post(
                    "/transactions",
                    json={"quoteId": q["id"]},
                    headers={"Idempotency-Key": "dup-send"},
                )
            else:
                r = h.post("/customers", json=IDENTITY, headers={"Idempotency-Key": "dup-cust"})
            with lock:
                results.append(r)

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 12
    ok = [r for r in results if r.status_code == 201]
    for r in results:
        if r.status_code != 201:
            assert_error(r, 409, "idempotency_key_in_use")
    assert {r.json()["object"] for r in ok} <= {"transaction", "customer"}
    txn_bodies = {r.content for r in ok if r.json()["object"] == "transaction"}
    cust_bodies = {r.content for r in ok if r.json()["object"] == "customer"}
    assert len(txn_bodies) == 1 and len(cust_bodies) == 1
    assert len(api.get("/transactions").json()["data"]) == 1
    assert len(api.get("/customers").json()["data"]) == 2  # funded() made one, plus one
    assert api.balance(w["id"]) == "990.00"
