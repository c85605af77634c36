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


# -- D3: every outcome, stored or not --------------------------------------------------------------
def _replayed(r1, r2) -> bool:
    """r2 is r1 replayed: same status and body, marked Idempotent-Replayed."""
    return (
        r2.headers.get("Idempotent-Replayed") == "true"
        and r2.status_code == r1.status_code
        and r2.content == r1.content
        and "Idempotent-Replayed" not in r1.headers
    )


def test_d3_403_is_stored_even_after_the_customer_is_active_again(api):
    c, w = api.funded("50.00")
    api.ok(api.patch(f"/sandbox/customers/{c['id']}", {"status": "inactive"}))
    body = api.quote_body(c, w, amount="5.00")
    r1 = api.post("/quotes", body, key="k403")
    assert_error(r1, 403, "customer_inactive")
    api.ok(api.patch(f"/sandbox/customers/{c['id']}", {"status": "active"}))
    r2 = api.post("/quotes", body, key="k403")
    assert _replayed(r1, r2)
    assert api.post("/quotes", body, key="k403-new").status_code == 201  # it would pass now


def test_d3_403_endorsement_required_is_stored(api):
    pending = api.customer(birthDate=...)
    body = {"asset": "usdc", "chain": "polygon"}
    path = f"/customers/{pending['id']}/wallets"
    r1 = api.post(path, body, key="k403-e")
    assert_error(r1, 403, "endorsement_required")
    api.ok(api.patch(f"/customers/{pending['id']}", {"birthDate": "1990-05-15"}))
    assert _replayed(r1, api.post(path, body, key="k403-e"))
    assert api.post(path, body, key="k403-e2").status_code == 201


def test_d3_2xx_is_stored(api):
    c, w = api.funded("50.00")
    q = api.quote(c, w, amount="5.00")
    r1 = api.post("/transactions", {"quoteId": q["id"]}, key="k201")
    assert r1.status_code == 201
    assert _replayed(r1, api.post("/transactions", {"quoteId": q["id"]}, key="k201"))
    assert api.balance(w["id"]) == "45.00"  # sent once


def test_d3_404_for_a_missing_customer_is_stored(api):
    path = "/customers/cst_00000000000000000000000000/wallets"
    body = {"asset": "usdc", "chain": "polygon"}
    r1 = api.post(path, body, key="k404-c")
    assert_error(r1, 404, "not_found")
    assert _replayed(r1, api.post(path, body, key="k404-c"))


@pytest.fixture
def own_clock(fresh_sandbox):
    """A client of a sandbox of its own: these tests move the clock."""
    client = Api.of(fresh_sandbox)
    yield client
    client.close()


def test_d3_409_quote_expired_is_stored(own_clock):
    api = own_clock
    c, w = api.funded("50.00")
    q = api.quote(c, w, amount="5.00")
    api.advance(31)  # past the 30 s quote lifetime (D5)
    r1 = api.post("/transactions", {"quoteId": q["id"]}, key="k409-exp")
    assert_error(r1, 409, "quote_expired")
    assert _replayed(r1, api.post("/transactions", {"quoteId": q["id"]}, key="k409-exp"))


def test_d3_409_quote_not_open_is_stored(api):
    c, w = api.funded("50.00")
    q = api.quote(c, w, amount="5.00")
    api.ok(api.post("/transactions", {"quoteId": q["id"]}, key="first"), 201)
    r1 = api.post("/transactions", {"quoteId": q["id"]}, key="k409-open")
    assert_error(r1, 409, "quote_not_open")
    assert _replayed(r1, api.post("/transactions", {"quoteId": q["id"]}, key="k409-open"))


def test_d3_409_invalid_state_is_stored(api):
    c = api.customer()
    api.wallet(c["id"])
    body = {"asset": "usdc", "chain": "polygon"}
    r1 = api.post(f"/customers/{c['id']}/wallets", body, key="k409-state")
    assert_error(r1, 409, "invalid_state")
    assert _replayed(r1, api.post(f"/customers/{c['id']}/wallets", body, key="k409-state"))


def test_d3_422_limit_exceeded_is_stored(own_clock):
    api = own_clock
    c = api.customer()
    w = api.wallet(c["id"])
    for _ in range(3):  # 3 cash-ins in 24 h is the D11 count limit
        api.cash_in(c["id"], w["id"], "20.00")
    body = api.cash_in_body(c["id"], w["id"], "20.00")
    r1 = api.post("/cash-ins", body, key="k422-limit")
    assert_error(r1, 422, "limit_exceeded")
    api.advance(25 * 3600)  # the window has passed: a new attempt would pass
    assert _replayed(r1, api.post("/cash-ins", body, key="k422-limit"))


def test_d3_400_and_401_are_not_stored(api):
    c, w = api.funded("50.00")
    bad = api.quote_body(c, w, amount="5.001.0")
    r1 = api.post("/quotes", bad, key="k400-q")
    assert_error(r1, 400, "invalid_amount")
    # The retry with the same key runs again: with the body fixed (a new body is fine, since
    # nothing was stored) it succeeds.
    good = api.quote_body(c, w, amount="5.00")
    r2 = api.post("/quotes", good, key="k400-q")
    assert r2.status_code == 201 and "Idempotent-Replayed" not in r2.headers
    # 401: a request that never got past authentication leaves no record.
    r = api.http.post(
        "/quotes",
        json=good,
        headers={"Authorization": "Bearer expired-or-bogus", "Idempotency-Key": "k401"},
    )
    assert_error(r, 401, "unauthorized")
    r = api.post("/quotes", good, key="k401")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
