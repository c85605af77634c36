"""The desk's delivery check (issue 16 item 4) and its bounded log: Qt-free, no server."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook

from desktop.receiver.log import EventLog
from desktop.receiver.verify import (
    EVENT_TYPES,
    check_delivery,
    filter_problem,
    key_of,
    url_problem,
)
from tests.support.vectors import (
    WEBHOOK_BODY,
    WEBHOOK_ID,
    WEBHOOK_SECRET,
    WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
)

HEADERS = {
    "webhook-id": WEBHOOK_ID,
    "webhook-timestamp": str(WEBHOOK_TIMESTAMP),
    "webhook-signature": WEBHOOK_SIGNATURE,
}


def test_d14_vector_is_valid_when_judged_at_its_time():
    v = check_delivery(HEADERS, WEBHOOK_BODY, WEBHOOK_SECRET, now=WEBHOOK_TIMESTAMP + 10)
    assert v.valid and v.reason == "" and v.mark == "✓"
    assert v.event is not None and v.event.id == WEBHOOK_ID and v.body == {"id": "evt_test"}


def test_d14_key_rule_hex_not_base64():
    key = key_of(WEBHOOK_SECRET)
    assert key == bytes.fromhex("00112233445566778899aabbccddeeff" * 2) and len(key) == 32
    # The library handed the whsec_ string would base64-decode it: a different signature.
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(WEBHOOK_TIMESTAMP, tz=UTC)
    assert Webhook(key).sign(WEBHOOK_ID, when, WEBHOOK_BODY) == WEBHOOK_SIGNATURE
    assert Webhook(WEBHOOK_SECRET).sign(WEBHOOK_ID, when, WEBHOOK_BODY) != WEBHOOK_SIGNATURE


def test_pasted_header_lines_and_stale_vector_says_why():
    text = (
        "POST /hooks HTTP/1.1\nWebhook-Id: evt_test\nWEBHOOK-TIMESTAMP: 1700000000\n"
        f"Webhook-Signature: {WEBHOOK_SIGNATURE}\n"
    )
    v = check_delivery(text, WEBHOOK_BODY.encode(), WEBHOOK_SECRET)  # judged now: years old
    assert not v.valid and v.reason.startswith("timestamp outside tolerance")
    assert v.signature_matches is True  # the operator learns the secret is right


@pytest.mark.parametrize(
    ("headers", "body", "secret", "reason"),
    [
        (HEADERS, '{"id":"evt_tesT"}', WEBHOOK_SECRET, "bad signature"),
        (HEADERS, WEBHOOK_BODY, "whsec_" + "ff" * 32, "bad signature"),
        (HEADERS, WEBHOOK_BODY, "whsec_nothex", "the secret is not whsec_"),
        ({**HEADERS, "webhook-id": ""}, WEBHOOK_BODY, WEBHOOK_SECRET, "missing webhook-id"),
        ({**HEADERS, "webhook-signature": "v1,!!!"}, WEBHOOK_BODY, WEBHOOK_SECRET, "bad sig"),
    ],
)
def test_invalid_deliveries_say_why(headers, body, secret, reason):
    v = check_delivery(headers, body, secret, now=WEBHOOK_TIMESTAMP)
    assert not v.valid and v.mark == "✗" and v.reason.startswith(reason), v.reason


def test_url_and_filter_rules_of_d14():
    assert url_problem("https://example.com/hooks") is None
    assert url_problem("http://127.0.0.1:8080/x") is None
    assert url_problem("http://[::1]:9/x") is None
    assert "https" in (url_problem("http://example.com/x") or "")
    assert url_problem("ftp://example.com") and url_problem("") and url_problem("https://")
    for name in EVENT_TYPES:
        assert filter_problem(name) is None
    for pattern in ("transaction.*", "cashIn.*", "transaction.cryptoToFiat.*", "customer.*"):
        assert filter_problem(pattern) is None
    for bad in ("cashin.*", "transaction", "nope.*", "cashIn.completedX", "*"):
        assert filter_problem(bad), bad


def test_log_is_bounded_durable_and_deduplicates(tmp_path):
    path = tmp_path / "events.sqlite3"
    log = EventLog(path, limit=50)
    for i in range(230):
        log.record(
            webhook_id=f"evt_{i}",
            event_type="cashIn.processing",
            object_id="ci_1",
            valid=i % 7 != 0,
            reason="" if i % 7 else "bad signature",
            headers={"webhook-id": f"evt_{i}"},
            body="{}",
        )
    assert 50 <= log.count() <= 55
    assert log.seen("evt_229") and not log.seen("evt_224")  # 224 was recorded as ✗
    token = log.token
    log.remember_endpoint("acct", "whk_1", "http://127.0.0.1:1/x")
    log.close()
    again = EventLog(path, limit=50)
    today = again.today()
    assert today[-1].webhook_id == "evt_229" and today[-1].received_at <= time.time()
    assert [r.seq for r in today] == sorted(r.seq for r in today)
    assert again.token == token and again.remembered_endpoints("acct") == ["whk_1"]
    assert today[-1].to_json()["verified"] is True
    again.close()
