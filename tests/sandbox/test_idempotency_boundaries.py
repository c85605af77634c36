"""Boundaries of D3: which statuses are stored (every class, at its edges), the record written
in the handler's own transaction, the recorder's tolerance of odd error bodies, the scope index,
and the middleware's key rules seen over HTTP."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from desktop.sandbox import store as store_mod
from desktop.sandbox.api import IdemContext, respond
from desktop.sandbox.app import SandboxMiddleware, storable
from desktop.sandbox.store import Store
from tests.support.api import Api, assert_error
from tests.support.identity import IDENTITY


# -- what is stored (D3) ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code", "stored"),
    [
        (199, None, False),
        (200, None, True),
        (201, None, True),
        (204, None, True),
        (299, None, True),  # every 2xx, not only the ones the sandbox sends today
        (300, None, False),
        (400, "invalid_request", False),
        (401, "unauthorized", False),
        (402, None, False),
        (403, "forbidden", True),
        (404, "not_found", True),
        (405, None, False),
        (408, None, False),
        (409, "quote_expired", True),
        (409, "quote_not_open", True),
        (409, "invalid_state", True),
        (409, "idempotency_key_in_use", False),
        (409, None, False),
        (410, None, False),
        (422, "insufficient_funds", True),
        (422, None, True),
        (422, "idempotency_key_reused", False),
        (429, "rate_limited", False),
        (500, "internal_error", False),
        (503, None, False),
    ],
)
def test_storable_by_status_and_code(status, code, stored):
    assert storable(status, code) is stored


def _request(ctx: IdemContext | None):
    return SimpleNamespace(scope={"state": {"idem": ctx}} if ctx else {"state": {}})


def _records(store: Store) -> list[tuple]:
    return [
        tuple(r) for r in store.all("SELECT account, method, path, key, canon, status FROM idem")
    ]


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_respond_records_a_2xx_in_the_handlers_transaction(store, status):
    ctx = IdemContext("acct", "POST", "/v1/customers", "k1", '{"a":1}')
    before = time.time_ns() // 1_000_000
    with store.tx() as tx:
        resp = respond(_request(ctx), {"id": "cst_1"}, status, tx)
        assert _records(tx) == [("acct", "POST", "/v1/customers", "k1", '{"a":1}', status)]
    after = time.time_ns() // 1_000_000
    assert ctx.stored is True
    assert resp.status_code == status and resp.body == b'{"id":"cst_1"}'
    body, created = store.one("SELECT body, created_real_ms FROM idem")
    assert bytes(body) == b'{"id":"cst_1"}'
    assert before <= created <= after  # wall-clock milliseconds
    assert isinstance(created, int)
    assert store.idem_may_exist(("acct", "POST", "/v1/customers", "k1"))


@pytest.mark.parametrize("status", [199, 300, 400, 403, 404, 409, 422, 500])
def test_respond_records_nothing_but_a_2xx(store, status):
    ctx = IdemContext("acct", "POST", "/v1/customers", "k1", "{}")
    with store.tx() as tx:
        respond(_request(ctx), {"x": 1}, status, tx)
    assert ctx.stored is False and _records(store) == []


def test_respond_records_nothing_outside_a_transaction_or_without_a_key(store):
    ctx = IdemContext("acct", "POST", "/v1/customers", "k1", "{}")
    resp = respond(_request(ctx), {"x": 1}, 201, raw_json='{"x": 1}')
    assert resp.body == b'{"x": 1}' and ctx.stored is False
    with store.tx() as tx:
        respond(_request(None), {"x": 1}, 201, tx)
    assert _records(store) == []


@pytest.mark.parametrize("body", [b"[]", b'"text"', b'{"error": "text"}', b"not json", b"{}"])
def test_recorder_tolerates_error_bodies_of_any_shape(body):
    ctx = IdemContext("acct", "POST", "/v1/x", "k", "{}")
    SandboxMiddleware._record(ctx, 500, body, 0)  # not storable: nothing to record
    assert ctx.stored is False


# -- the scope index: a shortcut that may only say "maybe" --------------------------------------
def test_scope_index_answers_no_only_for_scopes_never_recorded(store, monkeypatch):
    monkeypatch.setattr(store_mod, "IDEM_INDEX_MAX", 2)
    a, b, c = (("acct", "POST", "/v1/x", k) for k in "abc")
    assert not store.idem_may_exist(a)
    with store.tx() as tx:
        tx.put_idem(a, "{}", 201, b"{}", 1)
        tx.put_idem(b, "{}", 201, b"{}", 1)
    assert store.idem_may_exist(a) and store.idem_may_exist(b)
    assert not store.idem_may_exist(c)  # two scopes: still within the index's size
    with store.tx() as tx:
        tx.put_idem(c, "{}", 201, b"{}", 1)
    # past its size the index gives up and every scope may exist
    assert store.idem_may_exist(("acct", "POST", "/v1/x", "never"))


def test_scope_index_is_rebuilt_from_the_records_on_open(tmp_path):
    path = str(tmp_path / "s.db")
    s = Store(path)
    with s.tx() as tx:
        tx.put_idem(("acct", "POST", "/v1/x", "k"), "{}", 201, b"{}", 1)
    s.close()
    s = Store(path)
    try:
        assert s.idem_may_exist(("acct", "POST", "/v1/x", "k"))
        assert not s.idem_may_exist(("acct", "POST", "/v1/x", "other"))
    finally:
        s.close()


# -- over HTTP ---------------------------------------------------------------------------------
def test_post_without_a_key_is_refused_on_a_known_route_only(api):
    r = api.post("/customers", IDENTITY, key=None)
    assert_error(r, 400, "idempotency_key_required", "Idempotency-Key")
    assert api.get("/customers").json()["data"] == []
    assert api.post("/no-such-route", {}, key=None).status_code == 404


def test_malformed_json_with_a_key_is_a_400_and_not_stored(api):
    for raw in (b"{not json", b"", b"\xff\xfe"):
        r = api._send(
            "POST",
            "/customers",
            content=raw,
            headers={"Idempotency-Key": "mal-1", "Content-Type": "application/json"},
        )
        assert_error(r, 400, "invalid_request")
        assert "Idempotent-Replayed" not in r.headers
    # the key was not used up: a good body with it now creates the customer
    r = api.post("/customers", IDENTITY, key="mal-1")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers


def test_a_record_older_than_the_retention_is_not_replayed(tmp_path):
    """D3 keeps a result 24 h of wall-clock time: a record aged just past it runs the request
    again (and is replaced); one just inside it is still replayed."""
    import sqlite3

    from desktop.sandbox.app import IDEM_RETENTION_MS
    from tests.support.sandbox import start_sandbox

    assert IDEM_RETENTION_MS == 24 * 3600 * 1000
    sb = start_sandbox(tmp_path / "sb", backend="sqlite")
    client = Api.of(sb).new_account()
    try:
        old = client.post("/customers", IDENTITY, key="old").json()
        young = client.post("/customers", IDENTITY, key="young").json()
        db = sqlite3.connect(sb.data_dir / "sandbox.db", timeout=10)
        with db:
            for key, age_ms in (("old", 24 * 3600_000 + 60_000), ("young", 24 * 3600_000 - 60_000)):
                db.execute(
                    "UPDATE idem SET created_real_ms = created_real_ms - ? WHERE key=?",
                    (age_ms, key),
                )
        db.close()
        r = client.post("/customers", IDENTITY, key="young")
        assert r.headers.get("Idempotent-Replayed") == "true" and r.json()["id"] == young["id"]
        r = client.post("/customers", IDENTITY, key="old")
        assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
        again = r.json()["id"]
        assert again != old["id"]
        r = client.post("/customers", IDENTITY, key="old")  # the new result is what it keeps
        assert r.headers.get("Idempotent-Replayed") == "true" and r.json()["id"] == again
        assert len(client.get("/customers").json()["data"]) == 3
    finally:
        client.close()
        sb.stop()
