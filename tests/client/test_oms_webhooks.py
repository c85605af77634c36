"""Webhook signature verification (D14) with the standardwebhooks package."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from desktop.oms import models, webhooks

SECRET = "whsec_" + "00112233445566778899aabbccddeeff" * 2
VECTOR = "v1,2OwxEZpi7TFbXBkN20dMv8x+RuxKXcxAA4VaypG+eCk="


def test_d14_test_vector():
    assert webhooks.sign(SECRET, "evt_test", 1700000000, '{"id":"evt_test"}') == VECTOR
    headers = {
        "webhook-id": "evt_test",
        "webhook-timestamp": "1700000000",
        "webhook-signature": VECTOR,
    }
    event = webhooks.verify(
        SECRET,
        b'{"id":"evt_test"}',
        headers,
        now=datetime.fromtimestamp(1700000000 + 60, tz=UTC),
    )
    assert event.id == "evt_test"


def test_whsec_string_is_hex_not_base64():
    # standardwebhooks would base64-decode a whsec_ string: a different key, a different MAC
    from standardwebhooks.webhooks import Webhook

    wrong = Webhook(SECRET).sign(
        "evt_test", datetime.fromtimestamp(1700000000), '{"id":"evt_test"}'
    )
    assert wrong != VECTOR


def delivery(body: str, *, ts: int | None = None, secret: str = SECRET, msg_id="evt_1"):
    ts = int(time.time()) if ts is None else ts
    return {
        "Webhook-Id": msg_id,
        "Webhook-Timestamp": str(ts),
        "Webhook-Signature": "v1,bogus= " + webhooks.sign(secret, msg_id, ts, body),
    }


BODY = (
    '{"id":"evt_1","object":"event","type":"cashIn.completed","createdAt":"2026-11-24T10:00:00Z",'
    '"data":{"id":"ci_1","object":"cashIn","status":"completed","transactionId":"txn_1"}}'
)


def test_valid_delivery_parses_into_models_with_mixed_case_headers():
    event = webhooks.verify(SECRET, BODY.encode(), delivery(BODY))
    assert event.type == "cashIn.completed"
    ci = event.resource
    assert isinstance(ci, models.CashIn) and ci.status is models.CashInStatus.COMPLETED
    assert ci.transaction_id == "txn_1"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b, h: (b.replace("completed", "failed", 1), h),
        lambda b, h: (b, {**h, "Webhook-Id": "evt_2"}),
        lambda b, h: (b, {**h, "Webhook-Signature": "v1,AAAA"}),
        lambda b, h: (b, {k: v for k, v in h.items() if k != "Webhook-Signature"}),
        lambda b, h: (b, delivery(b, secret="whsec_" + "ff" * 32)),
        lambda b, h: (b, delivery(b, ts=int(time.time()) - 3600)),
        lambda b, h: (b, {**h, "Webhook-Timestamp": "soon"}),
    ],
)
def test_tampered_deliveries_are_rejected(tamper):
    body, headers = tamper(BODY, delivery(BODY))
    with pytest.raises(webhooks.WebhookSignatureError):
        webhooks.verify(SECRET, body, headers)


def test_tolerance_can_be_disabled_for_stored_deliveries():
    old = int(time.time()) - 86400
    event = webhooks.verify(SECRET, BODY, delivery(BODY, ts=old), tolerance=None)
    assert event.id == "evt_1"
    with pytest.raises(webhooks.WebhookSignatureError):
        webhooks.verify(SECRET, BODY, delivery(BODY, ts=old), tolerance=timedelta(hours=1))


def test_bad_secret_format():
    with pytest.raises(ValueError):
        webhooks.verifier("whsec_not-hex")
