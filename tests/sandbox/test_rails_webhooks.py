"""Webhook endpoints and deliveries (§3.7, D14): CRUD, signed delivery of every event in
order, retries on the sandbox clock, 410 disabling, durability across a crash; and flow
§5.2 (crypto send, incl. the dead-address failure) as seen by a webhook receiver."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from tests.support.api import Api, assert_error, ts
from tests.support.sandbox import start_sandbox
from tests.support.webhook_receiver import WebhookReceiver

EXTERNAL = "0xabC1230000000000000000000000000000DEf456"
DEAD = "0x" + "1" * 36 + "dead"


@pytest.fixture
def receiver2():
    rec = WebhookReceiver()
    yield rec
    rec.close()


def subscribe(api: Api, rec: WebhookReceiver, events: list[str] | None = None) -> dict:
    hook = api.webhook(rec.url, events)
    rec.set_secret(hook["secret"])
    return hook


def wallet_with_deposit(api: Api, amount: str = "10.00") -> tuple[dict, dict]:
    cst = api.customer()
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], amount)
    return cst, wlt


# -- endpoint CRUD ------------------------------------------------------------------------------
def test_webhook_crud_secret_only_at_creation(api):
    created = api.ok(
        api.post(
            "/webhooks",
            {
                "url": "https://example.com/hooks/oms",
                "events": ["cashIn.*", "wallet.depositDetected"],
            },
        ),
        201,
    )
    assert re.fullmatch(r"whsec_[0-9a-f]{64}", created["secret"])
    assert created["id"].startswith("whk_") and created["object"] == "webhook"
    assert (created["enabled"], created["status"], created["complianceOnly"]) == (
        True,
        "active",
        False,
    )
    assert created["events"] == ["cashIn.*", "wallet.depositDetected"]
    got = api.ok(api.get(f"/webhooks/{created['id']}"))
    assert "secret" not in got and got == {k: v for k, v in created.items() if k != "secret"}
    local = api.webhook("http://localhost:8080/x")
    v6 = api.webhook("http://[::1]:9/x")
    listed = api.ok(api.get("/webhooks"))
    assert [w["id"] for w in listed["data"]] == [v6["id"], local["id"], created["id"]]
    assert all("secret" not in w for w in listed["data"])

    upd = api.ok(api.patch(f"/webhooks/{created['id']}", {"enabled": False}))
    assert (upd["enabled"], upd["status"]) == (False, "disabled") and "secret" not in upd
    upd = api.ok(
        api.patch(
            f"/webhooks/{created['id']}",
            {"events": [], "url": "https://example.org/h", "enabled": True},
        )
    )
    assert (upd["events"], upd["url"], upd["status"]) == ([], "https://example.org/h", "active")
    for bad, param in [
        ({"url": "ftp://example.com"}, "url"),
        ({"events": ["nope"]}, "events.0"),
        ({"enabled": "no"}, "enabled"),
        ({"events": "cashIn.*"}, "events"),
    ]:
        assert_error(api.patch(f"/webhooks/{created['id']}", bad), 400, "invalid_request", param)
    assert api.ok(api.get(f"/webhooks/{created['id']}")) == upd

    r = api.delete(f"/webhooks/{created['id']}")
    assert r.status_code == 204 and r.content == b""
    assert_error(api.get(f"/webhooks/{created['id']}"), 404, "not_found")
    assert_error(api.delete(f"/webhooks/{created['id']}"), 404, "not_found")
    assert_error(api.patch(f"/webhooks/{created['id']}", {"enabled": True}), 404, "not_found")
    assert_error(api.get(f"/sandbox/webhooks/{created['id']}/deliveries"), 404, "not_found")
    stranger = api.new_account()
    assert_error(stranger.get(f"/webhooks/{local['id']}"), 404, "not_found")
    assert stranger.ok(stranger.get("/webhooks"))["data"] == []
    stranger.close()


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "url"),
        ({"url": 42}, "url"),
        ({"url": "ftp://example.com/h"}, "url"),
        ({"url": "http://example.com/h"}, "url"),  # plain http only on loopback
        ({"url": "example.com/h"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://example.com", "events": "cashIn.*"}, "events"),
        ({"url": "https://example.com", "events": ["cashIn.nope"]}, "events.0"),
        ({"url": "https://example.com", "events": ["cashIn.*", "foo.*"]}, "events.1"),
        ({"url": "https://example.com", "events": [7]}, "events.0"),
        ({"url": "https://example.com", "enabled": "yes"}, "enabled"),
    ],
)
def test_webhook_bad_input_changes_nothing(api, body, param):
    assert_error(api.post("/webhooks", body), 400, "invalid_request", param)
    assert api.ok(api.get("/webhooks"))["data"] == []


def test_webhook_misc_errors(api):
    assert_error(
        api.post("/webhooks", {"url": "https://example.com"}, key=None),
        400,
        "idempotency_key_required",
    )
    hook = api.webhook("https://example.com")
    assert_error(
        api.get(f"/sandbox/webhooks/{hook['id']}/deliveries", limit=0),
        400,
        "invalid_request",
        "limit",
    )
    assert_error(api.get("/webhooks", limit=101), 400, "invalid_request", "limit")
    assert api.ok(api.get(f"/sandbox/webhooks/{hook['id']}/deliveries"))["data"] == []


# -- flow §5.2 and event catalogue ------------------------------------------------------------
def test_flow_b_send_and_dead_address_events_in_order(fresh_api, receiver):
    api = fresh_api
    hook = subscribe(api, receiver)  # all events
    cst = api.customer()
    rejected = api.customer(lastName="Reject")
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], "2500.00")
    quote = api.ok(
        api.post(
            "/quotes",
            {
                "customerId": cst["id"],
                "source": {
                    "walletId": wlt["id"],
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "2000.00",
                },
                "destination": {
                    "wallet": {"blockchainAddress": EXTERNAL},
                    "asset": "usdc",
                    "network": "polygon",
                },
                "sponsorGas": True,
            },
        ),
        201,
    )
    assert quote["type"] == "cryptoToCrypto" and quote["destination"]["amountNet"] == "1998.00"
    sent = api.ok(api.post("/transactions", {"quoteId": quote["id"]}), 201)
    api.advance(5)
    done = api.ok(api.get(f"/transactions/{sent['id']}"))
    assert done["status"] == "completed" and re.fullmatch(
        r"0x[0-9a-f]{64}", done["destination"]["txHash"]
    )
    bad_quote = api.ok(
        api.post(
            "/quotes",
            {
                "customerId": cst["id"],
                "source": {
                    "walletId": wlt["id"],
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "100.00",
                },
                "destination": {
                    "wallet": {"blockchainAddress": DEAD},
                    "asset": "usdc",
                    "network": "polygon",
                },
            },
        ),
        201,
    )
    dead = api.ok(api.post("/transactions", {"quoteId": bad_quote["id"]}), 201)
    assert api.balance(wlt["id"]) == "400.00"
    api.advance(2)
    failed = api.ok(api.get(f"/transactions/{dead['id']}"))
    assert (failed["status"], failed["error"]["code"]) == ("failed", "blockchain_rejected")
    assert api.balance(wlt["id"]) == "500.00"

    expected = (
        ["customer.endorsement.granted"] * 3
        + ["customer.endorsement.rejected"] * 3
        + [
            "wallet.depositDetected",
            "transaction.cryptoToCrypto.processing",
            "transaction.cryptoToCrypto.completed",
            "transaction.cryptoToCrypto.processing",
            "transaction.cryptoToCrypto.failed",
        ]
    )
    got = receiver.wait_delivered(expected)
    assert [g.type for g in got] == expected
    assert all(g.valid for g in got), [g.error for g in got]
    assert len({g.event_id for g in got}) == len(expected)  # exactly once each
    assert all(g.event_id == g.body["id"] for g in got)
    assert {g.body["data"]["id"] for g in got[:3]} == {cst["id"]}
    assert {g.body["data"]["id"] for g in got[3:6]} == {rejected["id"]}
    deposit = got[6].body["data"]
    assert deposit["object"] == "deposit" and deposit["walletId"] == wlt["id"]
    assert deposit["amount"] == "2500.00"
    assert got[8].body["data"]["id"] == sent["id"] and got[8].body["data"]["destination"]["txHash"]
    assert got[10].body["data"]["id"] == dead["id"]
    assert got[10].body["data"]["error"]["code"] == "blockchain_rejected"
    # The debug view agrees: every delivery succeeded on its first attempt.
    seen = api.wait_deliveries_recorded(hook["id"], len(expected))
    assert len(seen) == len(expected)
    assert all(d["status"] == "succeeded" and d["attemptCount"] == 1 for d in seen), seen


def test_events_filter_exact_and_prefix(api, receiver, receiver2):
    only_wallet = subscribe(api, receiver, ["wallet.depositDetected"])
    only_cash = subscribe(api, receiver2, ["cashIn.*", "customer.endorsement.*"])
    cst = api.customer()
    wlt = api.wallet(cst["id"])
    api.fund(wlt["id"], "1.00")
    got2 = receiver2.wait_delivered(["customer.endorsement.granted"] * 3)
    got1 = receiver.wait_delivered(["wallet.depositDetected"])
    assert [g.type for g in got1] == ["wallet.depositDetected"]
    assert [g.type for g in got2] == ["customer.endorsement.granted"] * 3
    assert len(api.deliveries(only_wallet["id"])) == 1
    assert len(api.deliveries(only_cash["id"])) == 3


# -- retries, 410, durability ---------------------------------------------------------------
def test_retries_after_500_twice_on_the_sandbox_clock(fresh_api, receiver):
    api = fresh_api
    hook = subscribe(api, receiver, ["wallet.depositDetected"])
    receiver.fail_next(2, status=500)
    _, wlt = wallet_with_deposit(api)
    first = receiver.wait_requests(1)[0]
    event_id = first.event_id
    d = api.wait_attempts(hook["id"], event_id, 1)
    assert d["status"] == "pending" and d["attempts"][0]["statusCode"] == 500
    assert ts(d["nextAttemptAt"]) - ts(d["attempts"][0]["at"]) == timedelta(seconds=5)

    api.advance(4.999)
    assert api.wait_attempts(hook["id"], event_id, 1)["attemptCount"] == 1
    api.advance(0.001)
    receiver.wait_requests(2)
    d = api.wait_attempts(hook["id"], event_id, 2)
    assert ts(d["nextAttemptAt"]) - ts(d["attempts"][1]["at"]) == timedelta(minutes=5)
    api.advance(299.999)
    assert api.wait_attempts(hook["id"], event_id, 2)["attemptCount"] == 2
    api.advance(0.001)
    reqs = receiver.wait_requests(3)
    d = api.wait_attempts(hook["id"], event_id, 3)
    assert d["status"] == "succeeded" and [a["statusCode"] for a in d["attempts"]] == [
        500,
        500,
        200,
    ]
    assert [r.status for r in reqs] == [500, 500, 200]
    assert {r.event_id for r in reqs} == {event_id}  # the same webhook-id on every retry
    assert all(r.valid for r in reqs) and len({r.raw for r in reqs}) == 1
    # webhook-timestamp is real wall-clock time even though the sandbox clock moved on.
    assert all(abs(int(r.headers["webhook-timestamp"]) - time.time()) < 120 for r in reqs)

    # A receiver that never recovers: attempts at +5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then
    # the delivery is given up.
    receiver.fail_next(100, status=503)
    api.fund(wlt["id"], "2.00")
    second = receiver.wait_requests(4)[-1].event_id
    for n, wait in enumerate((5, 300, 1800, 7200, 18000, 36000), start=2):
        api.advance(wait)
        receiver.wait_requests(3 + n)
        api.wait_attempts(hook["id"], second, n)
    d = api.wait_attempts(hook["id"], second, 7)
    assert d["status"] == "failed" and d["nextAttemptAt"] is None
    receiver.fail_next(0)
    api.advance(100_000)
    api.fund(wlt["id"], "3.00")  # delivered after the given-up one would have been
    receiver.wait_delivered(["x", "y"])
    assert [r.event_id for r in receiver.requests].count(second) == 7


def test_410_disables_the_endpoint(api, receiver, receiver2):
    gone = subscribe(api, receiver, ["wallet.depositDetected"])
    subscribe(api, receiver2, ["wallet.depositDetected"])
    receiver.answer_gone()
    _, wlt = wallet_with_deposit(api, "1.00")
    first = receiver.wait_requests(1)[0]
    assert first.status == 410 and first.valid
    d = api.wait_attempts(gone["id"], first.event_id, 1)
    assert d["status"] == "failed" and d["attempts"][0]["statusCode"] == 410
    hook = api.ok(api.get(f"/webhooks/{gone['id']}"))
    assert (hook["enabled"], hook["status"]) == (False, "disabled")
    api.fund(wlt["id"], "2.00")
    receiver2.wait_delivered(["a", "b"])
    assert len(receiver.requests) == 1  # nothing queued for a disabled endpoint
    receiver.answer_gone(False)
    api.ok(api.patch(f"/webhooks/{gone['id']}", {"enabled": True}))
    api.fund(wlt["id"], "3.00")
    got = receiver.wait_delivered(["c"])
    assert got[0].body["data"]["amount"] == "3.00"
    assert len(receiver.requests) == 2


def test_deleting_an_endpoint_cancels_its_pending_retries(api, receiver, receiver2):
    doomed = subscribe(api, receiver, ["wallet.depositDetected"])
    subscribe(api, receiver2, ["wallet.depositDetected"])
    receiver.fail_next(1)
    _, wlt = wallet_with_deposit(api, "1.00")
    first = receiver.wait_requests(1)[0]
    api.wait_attempts(doomed["id"], first.event_id, 1)
    assert api.delete(f"/webhooks/{doomed['id']}").status_code == 204
    api.fund(wlt["id"], "2.00")
    receiver2.wait_delivered(["a", "b"])
    assert len(receiver.requests) == 1


def test_pending_deliveries_survive_a_crash(fresh_sandbox, receiver):
    api = Api.of(fresh_sandbox)
    hook = subscribe(api, receiver, ["wallet.depositDetected"])
    receiver.fail_next(1)
    wallet_with_deposit(api, "4.00")
    first = receiver.wait_requests(1)[0]
    api.wait_attempts(hook["id"], first.event_id, 1)
    api.close()
    fresh_sandbox.kill()  # SIGKILL: no orderly shutdown

    again = start_sandbox(fresh_sandbox.data_dir)
    try:
        api2 = Api.of(again)
        d = api2.deliveries(hook["id"])
        assert [x["status"] for x in d] == ["pending"] and d[0]["attemptCount"] == 1
        api2.advance(5)
        reqs = receiver.wait_requests(2)
        assert reqs[1].event_id == first.event_id and reqs[1].status == 200 and reqs[1].valid
        assert reqs[1].raw == first.raw
        assert api2.wait_attempts(hook["id"], first.event_id, 2)["status"] == "succeeded"
        api2.close()
    finally:
        again.stop()


def test_a_delivery_in_flight_at_a_crash_goes_out_after_a_restart_without_any_request(
    tmp_path, receiver
):
    """The webhook rail is mounted after the first screen (issue 15): a restarted sandbox
    that no one sends a request to still starts its delivery worker and delivers."""
    sb = start_sandbox(tmp_path / "s", backend="sqlite")
    api = Api.of(sb)
    subscribe(api, receiver, ["wallet.depositDetected"])
    receiver.hold()  # the first attempt is in flight, never answered
    try:
        wallet_with_deposit(api, "4.00")
        first = receiver.wait_requests(1)[0]
        api.close()
        sb.kill()  # SIGKILL mid-attempt: the delivery is still pending on disk
    finally:
        receiver.release()
    again = start_sandbox(sb.data_dir, backend="sqlite")  # and no request to it
    try:
        reqs = receiver.wait_requests(2)
        assert reqs[1].event_id == first.event_id and reqs[1].raw == first.raw
    finally:
        again.stop()


def test_a_slow_receiver_never_blocks_api_requests(api, receiver):
    subscribe(api, receiver, ["wallet.depositDetected"])
    receiver.hold()  # the receiver takes the request and does not answer
    try:
        _, wlt = wallet_with_deposit(api, "1.00")
        receiver.wait_requests(1)
        started = time.monotonic()
        for i in range(10):
            t0 = time.monotonic()
            api.fund(wlt["id"], f"{i + 1}.00")
            api.balance(wlt["id"])
            assert time.monotonic() - t0 < 1.0
        assert time.monotonic() - started < 3.0
        assert api.balance(wlt["id"]) == "56.00"
        assert len(receiver.requests) == 1  # the worker is still waiting on the first answer
    finally:
        receiver.release()
    got = receiver.wait_delivered(["x"] * 11)
    assert [g.body["data"]["amount"] for g in got] == ["1.00"] + [f"{i}.00" for i in range(1, 11)]


def test_real_clock_mode_delivers_too(tmp_path, receiver):
    sb = start_sandbox(tmp_path / "real", clock="real")
    try:
        api = Api.of(sb)
        subscribe(api, receiver, ["wallet.depositDetected"])
        _, wlt = wallet_with_deposit(api, "5.00")
        got = receiver.wait_delivered(["wallet.depositDetected"])
        assert got[0].valid and got[0].body["data"]["walletId"] == wlt["id"]
        api.close()
    finally:
        sb.stop()
