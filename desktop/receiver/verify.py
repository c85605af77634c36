"""Check one Standard Webhooks delivery (contract D14) with the ``standardwebhooks`` library.

The key rule of D14: ``Webhook(bytes.fromhex(secret.removeprefix("whsec_")))`` — a ``whsec_``
string handed to the library as is would be base64-decoded into a different key. The HMAC is
always the library's (``Webhook.verify`` / ``Webhook.sign``); nothing here computes one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from desktop.oms import models
from desktop.rules import BAD_WEBHOOK_SECRET, WEBHOOK_EVENT_TYPES, is_loopback_host, webhook_key

__all__ = [
    "EVENT_TYPES",
    "TOLERANCE_S",
    "Verdict",
    "check_delivery",
    "filter_problem",
    "key_of",
    "url_problem",
    "verify_live",
]

EVENT_TYPES = WEBHOOK_EVENT_TYPES  # D14, one list for the sandbox and the desk

TOLERANCE_S = 300  # the library's own window (5 minutes), used for pasted deliveries too

# Reasons, as the operator reads them.
BAD_SIGNATURE = "bad signature"
STALE = "timestamp outside tolerance"
REPLAY = "replayed webhook-id"
MISSING = "missing webhook-id, webhook-timestamp or webhook-signature"
BAD_SECRET = BAD_WEBHOOK_SECRET
NOT_JSON = "the signed body is not a JSON object"
ID_MISMATCH = "webhook-id differs from the event id"


key_of = webhook_key  # the D14 key rule, in desktop.rules


def url_problem(url: str) -> str | None:
    """None if D14 accepts the URL (https, or http on a loopback host), else why not."""
    url = (url or "").strip()
    if not url:
        return "Enter the endpoint's URL."
    if len(url) > 2048:
        return "The URL is too long (2,048 characters at most)."
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("http", "https") or not host:
        return "The URL must start with https:// and name a host."
    if parts.scheme == "http" and not is_loopback_host(host):
        return "Use https (http is allowed only on a loopback host such as 127.0.0.1)."
    return None


def filter_problem(pattern: str) -> str | None:
    """None if ``pattern`` is a D14 event name or a ``prefix.*`` covering at least one."""
    p = pattern.strip()
    if p.endswith(".*"):
        if any(t.startswith(p[:-1]) for t in EVENT_TYPES):
            return None
        return f"{p!r} matches no event (use a prefix such as transaction.* or cashIn.*)."
    if p in EVENT_TYPES:
        return None
    return f"{p!r} is not an event name of the contract (D14)."


@dataclass(frozen=True)
class Verdict:
    """The answer for one delivery: valid or not, why, and the parsed event."""

    valid: bool
    reason: str = ""  # empty when valid
    event: models.Event | None = None
    body: Any = None  # the parsed JSON (even for an invalid delivery, when it parses)
    webhook_id: str = ""
    timestamp: int | None = None
    signature_matches: bool | None = None  # known even when the timestamp is stale
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mark(self) -> str:
        return "✓" if self.valid else "✗"


def _lower(headers: Mapping[str, str] | str) -> dict[str, str]:
    if isinstance(headers, str):
        return parse_headers(headers)
    return {str(k).strip().lower(): str(v).strip() for k, v in headers.items()}


def parse_headers(text: str) -> dict[str, str]:
    """Headers pasted as ``Name: value`` lines (any case; blank and other lines ignored)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            out[name.strip().lower()] = value.strip()
    return out


def _parse(text: str) -> tuple[Any, models.Event | None]:
    try:
        payload = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(payload, dict):
        return payload, None
    return payload, models.parse_event(payload)


def _signature_matches(hook: Webhook, msg_id: str, ts: int, text: str, header: str) -> bool:
    """Does any ``v1,`` signature of the header equal the library's signature of the body?"""
    expected = hook.sign(msg_id=msg_id, timestamp=datetime.fromtimestamp(ts, tz=UTC), data=text)
    want = base64.b64decode(expected.split(",", 1)[1])
    for candidate in header.split():
        version, _, value = candidate.partition(",")
        if version != "v1" or not value:
            continue
        try:
            got = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(want, got):
            return True
    return False


def verify_live(hook: Webhook, headers: Mapping[str, str], body: bytes) -> Verdict:
    """A delivery arriving now: ``Webhook.verify`` decides (its 5-minute window, wall clock)."""
    h = _lower(headers)
    msg_id = h.get("webhook-id", "")
    text = body.decode("utf-8", errors="replace")
    payload, event = _parse(text)
    ts = _int(h.get("webhook-timestamp"))
    try:
        hook.verify(text, h)
    except WebhookVerificationError as exc:
        message = str(exc).lower()
        if "timestamp" in message and "too" in message:
            reason = STALE
        elif "missing" in message:
            reason = MISSING
        elif "signature" in message and "no matching" in message:
            reason = BAD_SIGNATURE
        else:
            reason = f"{BAD_SIGNATURE} ({exc})"
        return Verdict(False, reason, event, payload, msg_id, ts)
    except (ValueError, binascii.Error) as exc:  # a malformed signature header
        return Verdict(False, f"{BAD_SIGNATURE} ({exc})", event, payload, msg_id, ts)
    if event is None:
        return Verdict(False, NOT_JSON, None, payload, msg_id, ts, True)
    if event.id and event.id != msg_id:
        return Verdict(False, ID_MISMATCH, event, payload, msg_id, ts, True)
    return Verdict(True, "", event, payload, msg_id, ts, True)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def check_delivery(
    headers: Mapping[str, str] | str,
    body: bytes | str,
    secret: str,
    *,
    now: float | None = None,
    tolerance_s: int = TOLERANCE_S,
) -> Verdict:
    """Verify a delivery someone pasted: headers (a mapping or ``Name: value`` lines), the raw
    body exactly as received, and the endpoint's ``whsec_`` secret.

    ``now`` is the wall-clock time to judge the timestamp by (default: now); a delivery
    received earlier is judged at the time it was received by passing that time. The
    verdict says whether the signature matches even when the timestamp is out of tolerance.
    """
    h = _lower(headers)
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    payload, event = _parse(text)
    msg_id, ts_text, sig = (
        h.get("webhook-id", ""),
        h.get("webhook-timestamp"),
        h.get("webhook-signature", ""),
    )
    try:
        hook = Webhook(key_of(secret))
    except ValueError:
        return Verdict(False, BAD_SECRET, event, payload, msg_id)
    if not (msg_id and ts_text and sig):
        return Verdict(False, MISSING, event, payload, msg_id)
    ts = _int(ts_text)
    if ts is None:
        return Verdict(False, "webhook-timestamp is not a whole number of seconds", event, payload)
    matches = _signature_matches(hook, msg_id, ts, text, sig)
    current = time.time() if now is None else now
    age = current - ts
    notes = (f"signed at {datetime.fromtimestamp(ts, tz=UTC):%Y-%m-%d %H:%M:%S} UTC",)
    if not matches:
        return Verdict(False, BAD_SIGNATURE, event, payload, msg_id, ts, False, notes)
    if abs(age) > tolerance_s:
        when = "old" if age > 0 else "in the future"
        detail = f"{STALE}: {abs(int(age))} s {when} (the window is ±{tolerance_s} s)"
        return Verdict(False, detail, event, payload, msg_id, ts, True, notes)
    if event is None:
        return Verdict(False, NOT_JSON, None, payload, msg_id, ts, True, notes)
    if event.id and event.id != msg_id:
        return Verdict(False, ID_MISMATCH, event, payload, msg_id, ts, True, notes)
    return Verdict(True, "", event, payload, msg_id, ts, True, notes)
