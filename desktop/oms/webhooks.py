"""Verify Standard Webhooks deliveries (contract D14) and parse them into models.

The signing key is the hex-decoded part of ``whsec_…``. With the ``standardwebhooks``
package that is ``Webhook(bytes.fromhex(secret.removeprefix("whsec_")))`` — passing the
``whsec_`` string itself would base64-decode it and give a different key.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from desktop.rules import webhook_key

from . import models

__all__ = ["WebhookSignatureError", "sign", "verifier", "verify"]

DEFAULT_TOLERANCE = timedelta(minutes=5)


class WebhookSignatureError(Exception):
    """The delivery is not authentic (bad/missing signature, timestamp out of tolerance)."""


def verifier(secret: str) -> Webhook:
    """A ``standardwebhooks.Webhook`` keyed per D14."""
    return Webhook(webhook_key(secret))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``webhook-signature`` value for a delivery (for test receivers and tools)."""
    data = body.decode() if isinstance(body, bytes) else body
    when = datetime.fromtimestamp(int(timestamp), tz=UTC).replace(tzinfo=None)
    return verifier(secret).sign(msg_id=msg_id, timestamp=when, data=data)


def verify(
    secret: str,
    body: bytes | str,
    headers: Mapping[str, str],
    *,
    tolerance: timedelta | None = DEFAULT_TOLERANCE,
    now: datetime | None = None,
) -> models.Event:
    """Check a delivery's signature and timestamp, then parse its body into an ``Event``.

    ``tolerance=None`` skips the freshness check (e.g. when re-checking a stored delivery).
    Raises :class:`WebhookSignatureError`.
    """
    h = {str(k).lower(): v for k, v in headers.items()}
    msg_id, ts, sig_header = (
        h.get("webhook-id"),
        h.get("webhook-timestamp"),
        h.get("webhook-signature"),
    )
    if not (msg_id and ts and sig_header):
        raise WebhookSignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts_int = int(ts)
    except ValueError as exc:
        raise WebhookSignatureError("webhook-timestamp is not an integer") from exc
    if tolerance is not None:
        when = datetime.fromtimestamp(ts_int, tz=UTC)
        current = now or datetime.now(UTC)
        if abs(current - when) > tolerance:
            raise WebhookSignatureError("webhook-timestamp outside the allowed tolerance")
    data = body.decode() if isinstance(body, bytes) else body
    expected = base64.b64decode(sign(secret, msg_id, ts_int, data).split(",", 1)[1])
    for candidate in sig_header.split():
        version, _, value = candidate.partition(",")
        if version != "v1" or not value:
            continue
        try:
            got = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, got):
            break
    else:
        raise WebhookSignatureError("no matching signature")
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise WebhookSignatureError("signed body is not JSON") from exc
    event = models.parse_event(payload)
    if event.id and event.id != msg_id:
        raise WebhookSignatureError("webhook-id does not match the event id")
    return event
