"""Sandbox launch (D20), auth (D15), customers (D8), wallets, balances, extras (D17), D1 errors,
Date header (D18) and the OpenAPI document."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.support.api import Api, assert_error
from tests.support.identity import IDENTITY


@pytest.fixture
def api(sandbox):
    client = Api.on_new_account(sandbox)
    yield client
    client.close()


# -- launch ------------------------------------------------------------------------------
def test_ready_line_credentials_and_second_instance(fresh_sandbox):
    sb = fresh_sandbox
    assert sb.base_url.startswith("http://127.0.0.1:") and sb.base_url.endswith("/v0.9")
    creds_path = sb.data_dir / "credentials.json"
    assert stat.S_IMODE(os.stat(creds_path).st_mode) == 0o600
    assert sb.api_key.startswith("sk_sdbx_")
    # A second instance on the same data dir prints the live one's ready line and exits 3.
    out = subprocess.run(
        [sys.executable, "-m", "desktop.sandbox", "--port", "0", "--data-dir", str(sb.data_dir)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 3, out.stderr
    ready = json.loads(out.stdout.splitlines()[0])
    assert ready == {"event": "ready", "baseUrl": sb.base_url, "pid": sb.pid}


def test_credentials_kept_across_restart(tmp_path):
    from tests.support.sandbox import start_sandbox

    sb = start_sandbox(tmp_path / "d")
    key, secret = sb.api_key, sb.api_secret
    assert sb.stop() == 0
    sb2 = start_sandbox(tmp_path / "d")
    try:
        assert (sb2.api_key, sb2.api_secret) == (key, secret)
        Api(sb2.base_url, key, secret).close()  # and they still work
    finally:
        sb2.stop()


def test_parent_pid_exit(tmp_path):
    from tests.support.sandbox import start_sandbox

    parent = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    sb = start_sandbox(tmp_path / "p", "--parent-pid", str(parent.pid))
    try:
        assert sb.proc.poll() is None
        parent.stdin.close()
        parent.wait(10)
        assert sb.proc.wait(10) == 0
    finally:
        sb.stop()


# -- auth, errors, headers -----------------------------------------------------------------
def test_health_needs_no_token_and_date_is_sandbox_clock(fresh_sandbox):
    api = Api(fresh_sandbox.base_url, fresh_sandbox.api_key, fresh_sandbox.api_secret)
    api.advance(86400 * 3)  # three days ahead of the wall clock
    r = httpx.get(fresh_sandbox.base_url + "/sandbox/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    now = r.json()["now"]
    assert now.endswith("Z") and "." in now
    date = parsedate_to_datetime(r.headers["Date"])
    assert abs(date.timestamp() - _iso_ts(now)) < 2
    assert r.headers["Request-Id"].startswith("req_")
    api.close()


def _iso_ts(s: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def test_auth_errors(sandbox):
    base = sandbox.base_url
    r = httpx.post(base + "/auth/token", json={"apiKey": sandbox.api_key, "apiSecret": "nope"})
    assert_error(r, 401, "invalid_credentials")
    r = httpx.post(base + "/auth/token", json={"apiKey": "sk_sdbx_x"})
    assert_error(r, 400, "invalid_request", "apiSecret")
    assert_error(httpx.get(base + "/customers"), 401, "unauthorized")
    r = httpx.get(base + "/customers", headers={"Authorization": "Bearer bogus"})
    assert_error(r, 401, "unauthorized")
    tok = httpx.post(
        base + "/auth/token", json={"apiKey": sandbox.api_key, "apiSecret": sandbox.api_secret}
    ).json()
    assert tok["tokenType"] == "bearer" and tok["expiresIn"] == 3600
    assert tok["expiresAt"].endswith("Z")


def test_token_expires_on_sandbox_clock(tmp_path):
    from tests.support.sandbox import start_sandbox

    sb = start_sandbox(tmp_path / "t", "--token-ttl", "60")
    try:
        api = Api(sb.base_url, sb.api_key, sb.api_secret)
        assert api.get("/customers").status_code == 200
        api.advance(61)
        # the raw client: the helper's own get() would renew the token (D15)
        assert_error(api.http.get("/customers"), 401, "token_expired")
        assert api.get("/customers").status_code == 200  # renewed once, then served
        api.close()
    finally:
        sb.stop()


def test_framework_errors_are_d1(api):
    assert_error(api.get("/no/such/route"), 404, "not_found")
    assert_error(api.http.delete("/customers"), 405, "method_not_allowed")
    r = api.http.post(
        "/customers",
        content=b"{nope",
        headers={"Idempotency-Key": "k-malformed", "Content-Type": "application/json"},
    )
    assert_error(r, 400, "invalid_request", None)
    r = api.post("/customers", {"type": "individual", "firstName": 5})
    assert_error(r, 400, "invalid_request", "firstName")
    r = api.post("/customers", {"firstName": "A"})
    assert_error(r, 400, "invalid_request", "type")
    r = api.post("/customers", {"type": "company"})
    assert_error(r, 400, "invalid_request", "type")
    r = api.post("/customers", {**IDENTITY, "residentialAddress": {"line1": 7}})
    assert_error(r, 400, "invalid_request", "residentialAddress.line1")
    assert_error(
        api.post("/customers", {"type": "individual"}, key=None),
        400,
        "idempotency_key_required",
        "Idempotency-Key",
    )
    assert_error(api.get("/customers", params={"limit": "x"}), 400, "invalid_request", "limit")
    assert_error(api.get("/customers", params={"limit": 101}), 400, "invalid_request", "limit")


# -- customers ---------------------------------------------------------------------------------
def test_customer_full_identity_is_active(api):
    c = api.customer()
    assert c["id"].startswith("cst_") and len(c["id"]) == 30
    assert c["object"] == "customer" and c["status"] == "active"
    assert [e["name"] for e in c["endorsements"]] == ["basic", "cryptoCustody", "usd"]
    assert all(e["status"] == "ACTIVE" for e in c["endorsements"])
    assert c["signedAgreementAt"] is not None and c["wallets"] == []
    for private in ("birthDate", "residentialAddress", "identifyingInformation", "ipAddress"):
        assert private not in c
    got = api.get(f"/customers/{c['id']}").json()
    assert got == c


def test_customer_pending_then_patched_active(api):
    r = api.post(
        "/customers",
        {
            "type": "individual",
            "firstName": "Pat",
            "lastName": "Lee",
            "endorsements": ["basic", "cryptoCustody"],
        },
    )
    c = r.json()
    st = {e["name"]: e for e in c["endorsements"]}
    assert st["basic"]["status"] == "PENDING" and st["cryptoCustody"]["status"] == "PENDING"
    assert st["usd"]["status"] == "INACTIVE"
    assert st["basic"]["requirements"]["missing"] == [
        "birthDate",
        "residentialAddress",
        "identifyingInformation",
    ]
    # Wallet creation is gated on cryptoCustody.
    r = api.post(f"/customers/{c['id']}/wallets", {"asset": "usdc", "chain": "polygon"})
    assert_error(r, 403, "endorsement_required", "cryptoCustody")
    patch = {k: IDENTITY[k] for k in ("birthDate", "residentialAddress", "identifyingInformation")}
    r = api.patch(f"/customers/{c['id']}", {**patch, "endorsements": ["usd"]})
    assert r.status_code == 200, r.text
    assert all(e["status"] == "ACTIVE" for e in r.json()["endorsements"])
    assert r.json()["firstName"] == "Pat"


def test_customer_default_endorsements_and_reject_name(api):
    c = api.post("/customers", {**IDENTITY, "endorsements": None}).json()
    # Omitted -> cryptoCustody + usd, and usd implies basic.
    assert {e["name"]: e["status"] for e in c["endorsements"]} == {
        "basic": "ACTIVE",
        "cryptoCustody": "ACTIVE",
        "usd": "ACTIVE",
    }
    rej = api.customer(lastName="Reject")
    assert all(e["status"] == "REJECTED" for e in rej["endorsements"])
    assert rej["endorsements"][0]["rejectionReasons"]


def test_customer_patch_rules_and_validation(api):
    c = api.customer()
    assert_error(
        api.patch(f"/customers/{c['id']}", {"signedAgreement": False}),
        400,
        "invalid_request",
        "signedAgreement",
    )
    assert_error(
        api.patch(f"/customers/{c['id']}", {"email": "not-an-email"}),
        400,
        "invalid_request",
        "email",
    )
    assert_error(
        api.post("/customers", {**IDENTITY, "birthDate": "15/05/1990"}),
        400,
        "invalid_request",
        "birthDate",
    )
    r = api.patch(f"/customers/{c['id']}", {"email": "new@example.com", "metadata": {"a": "b"}})
    assert r.json()["email"] == "new@example.com" and r.json()["metadata"] == {"a": "b"}
    assert_error(
        api.patch("/customers/cst_00000000000000000000000000", {"email": "a@b.co"}),
        404,
        "not_found",
    )
    assert api.get(f"/customers/{c['id']}").json()["email"] == "new@example.com"


def test_customer_filters(api):
    a = api.customer(email="alpha@example.com", externalId="ext-a")
    api.customer(email="beta@example.com", externalId="ext-b")
    r = api.get("/customers", params={"email": "alpha@example.com"}).json()
    assert [c["id"] for c in r["data"]] == [a["id"]] and r["cursor"] == a["id"]
    r = api.get("/customers", params={"externalId": "ext-a"}).json()
    assert [c["id"] for c in r["data"]] == [a["id"]]
    api.http.patch(f"/sandbox/customers/{a['id']}", json={"status": "inactive"})
    r = api.get("/customers", params={"status": "inactive"}).json()
    assert [c["id"] for c in r["data"]] == [a["id"]]
    assert_error(
        api.get("/customers", params={"status": "zombie"}), 400, "invalid_request", "status"
    )


def test_tenancy_other_account_ids_are_404(sandbox, api):
    other = Api.on_new_account(sandbox)
    c, w = other.funded()
    assert_error(api.get(f"/customers/{c['id']}"), 404, "not_found")
    assert_error(api.get(f"/wallets/{w['id']}"), 404, "not_found")
    assert_error(api.get(f"/wallets/{w['id']}/balance"), 404, "not_found")
    assert_error(
        api.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": "1.00"}, key=None),
        404,
        "not_found",
    )
    assert api.get("/customers").json()["data"] == []
    mine_c, mine_w = api.funded("10.00")
    body = api.quote_body(mine_c, mine_w, to=w["id"])
    assert_error(api.post("/quotes", body), 404, "not_found", "destination.wallet.id")
    q = other.quote(c, w)
    assert_error(api.post("/transactions", {"quoteId": q["id"]}), 404, "not_found", "quoteId")
    assert other.balance(w["id"]) == "2500.00"
    other.close()


# -- wallets, balances, extras ---------------------------------------------------------------
def test_wallets_and_balance(api):
    c = api.customer()
    w = api.wallet(c["id"])
    assert w["object"] == "wallet" and w["customerId"] == c["id"] and w["type"] == "internal"
    assert w["address"].startswith("0x") and len(w["address"]) == 42
    from desktop.sandbox.addresses import to_checksum

    assert to_checksum(w["address"]) == w["address"]
    assert_error(
        api.post(f"/customers/{c['id']}/wallets", {"asset": "usdc", "chain": "polygon"}),
        409,
        "invalid_state",
    )
    assert_error(
        api.post(f"/customers/{c['id']}/wallets", {"asset": "btc", "chain": "bitcoin"}),
        400,
        "unsupported_asset",
        "asset",
    )
    assert_error(
        api.post(f"/customers/{c['id']}/wallets", {"asset": "usdc", "chain": "solana"}),
        400,
        "unsupported_asset",
        "chain",
    )
    assert_error(
        api.post(
            "/customers/cst_00000000000000000000000000/wallets",
            {"asset": "usdc", "chain": "polygon"},
        ),
        404,
        "not_found",
    )
    assert api.get(f"/wallets/{w['id']}").json() == w
    lst = api.get(f"/customers/{c['id']}/wallets").json()
    assert [x["id"] for x in lst["data"]] == [w["id"]] and lst["hasMore"] is False
    b = api.get(f"/wallets/{w['id']}/balance").json()
    assert b == {
        **b,
        "object": "balance",
        "walletId": w["id"],
        "asset": "usdc",
        "chain": "polygon",
        "balance": "0.00",
        "estimatedBalance": "0.00",
        "estimatedBalanceCurrencyCode": "usd",
    }
    r = api.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": "12.345678"}, key=None)
    assert r.status_code == 201 and r.json()["balance"] == "12.345678"
    cust = api.get(f"/customers/{c['id']}").json()
    assert cust["wallets"][0]["balance"] == "12.345678"
    assert cust["wallets"][0]["address"] == w["address"]
    found = api.get(
        "/sandbox/wallets", params={"address": w["address"].upper().replace("0X", "0x")}
    )
    assert found.status_code == 200 and found.json()["id"] == w["id"]
    assert_error(api.get("/sandbox/wallets", params={"address": "0x" + "1" * 40}), 404, "not_found")
    assert_error(
        api.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": "-1"}, key=None),
        400,
        "invalid_amount",
        "amount",
    )
    assert api.balance(w["id"]) == "12.345678"


def test_inactive_customer_money_calls_403(api):
    c, w = api.funded()
    r = api.http.patch(f"/sandbox/customers/{c['id']}", json={"status": "inactive"})
    assert r.status_code == 200 and r.json()["status"] == "inactive"
    assert_error(api.post("/quotes", api.quote_body(c, w)), 403, "customer_inactive")
    assert_error(
        api.http.patch(f"/sandbox/customers/{c['id']}", json={"status": "gone"}),
        400,
        "invalid_request",
        "status",
    )


def test_clock_advance_validation(api):
    assert_error(
        api.post("/sandbox/clock/advance", {"seconds": -1}, key=None),
        400,
        "invalid_request",
        "seconds",
    )
    assert_error(
        api.post("/sandbox/clock/advance", {"seconds": "5"}, key=None),
        400,
        "invalid_request",
        "seconds",
    )
    assert api.advance(0).endswith("Z")


def test_openapi_document_matches_routes(sandbox):
    doc = httpx.get(sandbox.base_url + "/openapi.json").json()
    paths = set(doc["paths"])
    for p in [
        "/v0.9/auth/token",
        "/v0.9/customers",
        "/v0.9/customers/{customerId}",
        "/v0.9/customers/{customerId}/wallets",
        "/v0.9/wallets/{walletId}",
        "/v0.9/wallets/{walletId}/balance",
        "/v0.9/quotes",
        "/v0.9/quotes/{quoteId}",
        "/v0.9/transactions",
        "/v0.9/transactions/{transactionId}",
        "/v0.9/customers/{customerId}/transactions",
        "/v0.9/sandbox/health",
        "/v0.9/sandbox/clock/advance",
        "/v0.9/sandbox/wallets/{walletId}/deposit",
        "/v0.9/sandbox/wallets",
        "/v0.9/sandbox/customers/{customerId}",
        "/v0.9/sandbox/accounts",
    ]:
        assert p in paths, p
    assert set(doc["paths"]["/v0.9/customers"]) == {"get", "post"}
    assert "patch" in doc["paths"]["/v0.9/customers/{customerId}"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    post_quote = doc["paths"]["/v0.9/quotes"]["post"]
    assert post_quote["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/QuoteOut"
    }
    assert {"400", "401", "403", "404", "409", "422"} <= set(post_quote["responses"])
    assert "Idempotency-Key" not in str(doc["paths"]["/v0.9/sandbox/health"])
    key = [p for p in post_quote["parameters"] if p["name"] == "Idempotency-Key"]
    assert key and key[0]["required"] is True and key[0]["in"] == "header"
    assert "Idempotency-Key" not in str(doc["paths"]["/v0.9/auth/token"])
    schemas = doc["components"]["schemas"]
    assert {"walletId", "asset", "network", "amount"} <= set(schemas["QuoteSource"]["properties"])
    assert "TransactionOut" in schemas and "ErrorOut" in schemas
