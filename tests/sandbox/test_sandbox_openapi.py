"""The OpenAPI document is complete and true (issue 13, point 11): it passes the OpenAPI 3.1
validator, every route documents D1/D2's error responses and a response schema, and every
route, called live, answers with a status the document lists and a body its schema accepts."""

from __future__ import annotations

import re

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from tests.support.api import EXT_ADDR, Api, assert_error
from tests.support.identity import IDENTITY

PREFIX = "/v0.9"
ERROR_STATUSES = {"400", "401", "403", "404", "405", "409", "413", "422", "500"}
# Served by the framework, not API routes (the document and its viewer).
NOT_API = {f"{PREFIX}/openapi.json", f"{PREFIX}/docs", f"{PREFIX}/docs/oauth2-redirect"}


class SpecChecker:
    """An httpx response hook: each response must be listed by its operation and match its
    schema; records which operations (method, path template) were exercised, with statuses."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.routes: list[tuple[str, re.Pattern, str]] = []
        for template, ops in spec["paths"].items():
            rx = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method in ops:
                self.routes.append((method.upper(), rx, template))
        # Literal segments win over parameters (/cash-ins/simulate/... over /cash-ins/{id}).
        self.routes.sort(key=lambda r: r[2].count("{"))
        self.seen: dict[tuple[str, str], set[int]] = {}
        self.problems: list[str] = []

    def operation(self, method: str, path: str) -> tuple[str, dict] | None:
        for m, rx, template in self.routes:
            if m == method and rx.match(path):
                return template, self.spec["paths"][template][method.lower()]
        return None

    def check(self, response: httpx.Response) -> None:
        response.read()
        req = response.request
        found = self.operation(req.method, req.url.path)
        if found is None:
            return  # an unknown route (a 404/405 test): nothing to check against
        template, op = found
        self.seen.setdefault((req.method, template), set()).add(response.status_code)
        status = str(response.status_code)
        documented = op["responses"].get(status)
        where = f"{req.method} {template} -> {status}"
        if documented is None:
            self.problems.append(f"{where}: status not documented")
            return
        if response.status_code == 204:
            if response.content:
                self.problems.append(f"{where}: 204 with a body")
            return
        schema = documented.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            self.problems.append(f"{where}: no response schema")
            return
        root = {**schema, "components": self.spec["components"]}
        for err in Draft202012Validator(root).iter_errors(response.json()):
            path = "/".join(str(p) for p in err.absolute_path)
            self.problems.append(f"{where}: {path}: {err.message[:200]}")


@pytest.fixture
def checked(fresh_sandbox):
    spec = httpx.get(f"{fresh_sandbox.base_url}/openapi.json", timeout=10).json()
    checker = SpecChecker(spec)
    api = Api.of(fresh_sandbox)
    api.http.event_hooks["response"].append(checker.check)
    yield api, checker, spec
    api.close()


def test_document_is_valid_openapi_and_lists_d1_errors_everywhere(sandbox):
    spec = httpx.get(f"{sandbox.base_url}/openapi.json", timeout=10).json()
    validate_spec(spec)
    for template, ops in spec["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {template}"
            assert set(op["responses"]) >= ERROR_STATUSES, where
            for status in ERROR_STATUSES:
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, where
            ok = [s for s in op["responses"] if s.startswith("2")]
            assert len(ok) == 1, where
            if ok[0] != "204":
                schema = op["responses"][ok[0]]["content"]["application/json"]["schema"]
                assert schema.get("$ref", "").startswith("#/components/schemas/"), where
    # cryptoToFiat objects carry no destination.cash: it must not be required.
    dest = spec["components"]["schemas"]["DestinationSide"]
    assert "cash" not in dest.get("required", [])


def _walk_every_route(api: Api) -> None:
    """Call every route of the API, successes and typical errors, as a client would."""
    api.now()
    other = api.new_account()
    other.close()
    api.ok(api.post("/auth/token", api._creds))
    assert_error(
        api.post("/auth/token", {"apiKey": "sk_sdbx_nope", "apiSecret": "x"}),
        401,
        "invalid_credentials",
    )
    # customers
    cst = api.customer()
    pending = api.customer(birthDate=...)
    api.ok(api.get("/customers", limit=2))
    api.ok(api.get(f"/customers/{cst['id']}"))
    api.ok(api.patch(f"/customers/{pending['id']}", {"birthDate": "1990-05-15"}))
    assert_error(api.post("/customers", {**IDENTITY, "email": "nope"}), 400, "invalid_request")
    assert_error(api.get("/customers/cst_00000000000000000000000000"), 404, "not_found")
    assert_error(
        api.http.get("/customers", headers={"Authorization": "Bearer x"}), 401, "unauthorized"
    )
    # wallets
    wlt = api.wallet(cst["id"])
    api.ok(api.get(f"/customers/{cst['id']}/wallets"))
    api.ok(api.get(f"/wallets/{wlt['id']}"))
    api.fund(wlt["id"], "2000.00")
    api.ok(api.get(f"/wallets/{wlt['id']}/balance"))
    api.ok(api.get("/sandbox/wallets", address=wlt["address"]))
    assert_error(
        api.post(f"/customers/{cst['id']}/wallets", {"asset": "usdc", "chain": "polygon"}),
        409,
        "invalid_state",
    )
    # crypto send
    quote = api.quote(cst, wlt, amount="10.00", to=EXT_ADDR)
    api.ok(api.get(f"/quotes/{quote['id']}"))
    txn = api.ok(api.post("/transactions", {"quoteId": quote["id"]}), 201)
    assert_error(api.post("/transactions", {"quoteId": quote["id"]}), 409, "quote_not_open")
    big = api.quote_body(cst, wlt, amount="999999.00")
    assert_error(api.post("/quotes", big), 422, "insufficient_funds")
    api.ok(api.get(f"/transactions/{txn['id']}"))
    api.ok(api.get("/transactions", limit=5))
    api.ok(api.get(f"/customers/{cst['id']}/transactions"))
    # payouts
    ext = api.bank_account(cst["id"])
    api.ok(api.get(f"/customers/{cst['id']}/external-accounts"))
    api.ok(api.get(f"/customers/{cst['id']}/external-accounts/{ext['id']}"))
    payout = {
        "customerId": cst["id"],
        "source": {"walletId": wlt["id"], "asset": "usdc", "network": "polygon", "amount": "20.00"},
        "destination": {"wallet": {"externalAccount": ext["id"]}, "asset": "usd", "network": "ach"},
    }
    pq = api.ok(api.post("/quotes", payout), 201)
    api.ok(api.get(f"/quotes/{pq['id']}"))
    api.ok(api.post("/transactions", {"quoteId": pq["id"]}), 201)
    # cash-ins
    api.ok(api.get("/cash-locations", provider="greendot", latitude="40.75", longitude="-73.99"))
    ci = api.cash_in(cst["id"], wlt["id"])
    api.ok(api.get(f"/cash-ins/{ci['id']}"))
    api.ok(api.get("/cash-ins", customerId=cst["id"]))
    ci = api.ok(api.post(f"/cash-ins/{ci['id']}/refresh", None))
    api.deposit_cash(ci, "100.00")
    assert_error(api.post(f"/cash-ins/{ci['id']}/refresh", None), 409, "invalid_state")
    declined = api.ok(
        api.post(
            "/cash-ins/simulate/barcode-auth",
            {"accountReferenceNumber": "NOPE-NOPE", "amount": "100.00"},
        )
    )
    assert declined["responseCode"] == "14"
    # saved addresses (D23), virtual accounts and deposit addresses (D22)
    saved = api.ok(
        api.post(
            f"/customers/{cst['id']}/external-accounts",
            {
                "type": "blockchainAddress",
                "network": "polygon",
                "address": EXT_ADDR,
                "label": "ext",
            },
        ),
        201,
    )
    api.ok(api.get(f"/customers/{cst['id']}/external-accounts", type="blockchainAddress"))
    api.ok(api.get(f"/customers/{cst['id']}/external-accounts/{saved['id']}"))
    api.ok(api.delete(f"/customers/{cst['id']}/external-accounts/{saved['id']}"), 204)
    va = api.ok(
        api.post(
            f"/customers/{cst['id']}/virtual-accounts",
            {
                "source": {"asset": "usd", "network": "usBank"},
                "destination": {"wallet": {"id": wlt["id"]}, "asset": "usdc", "network": "polygon"},
            },
        ),
        201,
    )
    api.ok(api.get(f"/customers/{cst['id']}/virtual-accounts"))
    api.ok(api.get(f"/virtual-accounts/{va['id']}"))
    api.ok(
        api.post(f"/virtual-accounts/{va['id']}/simulate", {"rail": "ach_in", "amount": "5"}), 201
    )
    api.ok(api.patch(f"/virtual-accounts/{va['id']}", {"status": "paused"}))
    api.ok(api.delete(f"/virtual-accounts/{va['id']}"), 204)
    da = api.ok(
        api.post(
            f"/customers/{cst['id']}/deposit-addresses",
            {
                "source": {"asset": "usdc", "network": "polygon"},
                "destination": {"wallet": {"id": wlt["id"]}},
            },
        ),
        201,
    )
    api.ok(api.get(f"/customers/{cst['id']}/deposit-addresses"))
    api.ok(api.get(f"/deposit-addresses/{da['id']}"))
    api.ok(api.post(f"/deposit-addresses/{da['id']}/simulate", {"amount": "5.00"}), 201)
    api.ok(api.delete(f"/deposit-addresses/{da['id']}"), 204)
    # webhooks
    hook = api.webhook("http://127.0.0.1:9/hook", ["cashIn.*"])
    api.ok(api.get("/webhooks"))
    api.ok(api.get(f"/webhooks/{hook['id']}"))
    api.ok(api.patch(f"/webhooks/{hook['id']}", {"enabled": False}))
    api.ok(api.get(f"/sandbox/webhooks/{hook['id']}/deliveries"))
    api.ok(api.delete(f"/webhooks/{hook['id']}"), 204)
    assert_error(api.get(f"/webhooks/{hook['id']}"), 404, "not_found")
    # sandbox extras and the gates
    api.advance(400)
    inactive = api.customer()
    iw = api.wallet(inactive["id"])
    api.ok(api.patch(f"/sandbox/customers/{inactive['id']}", {"status": "inactive"}))
    assert_error(api.post("/quotes", api.quote_body(inactive, iw)), 403, "customer_inactive")
    assert_error(
        api.post("/sandbox/clock/advance", {"seconds": -1}), 400, "invalid_request", "seconds"
    )
    assert_error(api.post("/quotes", None), 400, "invalid_request")


def test_every_route_answers_as_documented(checked):
    api, checker, spec = checked
    _walk_every_route(api)
    assert checker.problems == []
    operations = {
        (method.upper(), template)
        for template, ops in spec["paths"].items()
        for method in ops
        if template not in NOT_API
    }
    missing = operations - set(checker.seen)
    assert missing == set()
    # Errors were checked against the document too, not only successes.
    statuses = {s for codes in checker.seen.values() for s in codes}
    assert {200, 201, 204, 400, 401, 403, 404, 409, 422} <= statuses


def test_checker_catches_an_undocumented_shape(checked):
    """The checker itself bites: a body missing a required field is reported."""
    api, checker, _spec = checked
    request = httpx.Request("GET", f"{api.base_url}/wallets/wlt_x/balance")
    response = httpx.Response(200, json={"object": "balance"}, request=request)
    checker.check(response)
    assert any("walletId" in p for p in checker.problems)
    checker.problems.clear()
    response = httpx.Response(418, json={}, request=request)
    checker.check(response)
    assert checker.problems == [
        "GET /v0.9/wallets/{walletId}/balance -> 418: status not documented"
    ]
