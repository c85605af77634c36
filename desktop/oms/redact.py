"""Redaction of secrets in logs: bearer tokens, API secrets, webhook secrets, account numbers.

Reusable by the UI's log handler::

    handler.addFilter(RedactingFilter())

A filter on a *handler* sees every record that reaches it, including those of child loggers
(``httpx``, ``httpcore.http11``), which a filter on a parent logger would not.
The client also registers the exact secret values it handles (API secret, access tokens) with
:func:`register_secret`, so that they are masked wherever they would appear.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

MASK = "***"

# JSON / dict keys whose values are always hidden (compared case-insensitively, without _-).
_SECRET_KEYS = {
    "authorization",
    "apisecret",
    "accesstoken",
    "refreshtoken",
    "token",
    "secret",
    "password",
    "cookie",
    "setcookie",
    "xapikey",
}
# Keys whose values keep only their last four characters.
_PARTIAL_KEYS = {"accountnumber", "number", "taxid", "ssn"}

_known_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask every later occurrence of this exact string (ignored when shorter than 6 chars)."""
    if value and len(value) >= 6:
        with _lock:
            _known_secrets.add(value)


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


def mask_account(value: Any) -> str:
    text = str(value)
    digits = re.sub(r"\D", "", text)
    if text.startswith("*") or len(digits) <= 4:
        return text if text.startswith("*") else MASK
    return "*" * 6 + digits[-4:]


def redact_obj(obj: Any) -> Any:
    """A copy of a JSON-like structure with secret values masked."""
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            nk = _norm(str(k))
            if nk in _SECRET_KEYS and v is not None:
                out[k] = MASK
            elif nk in _PARTIAL_KEYS and isinstance(v, str | int):
                out[k] = mask_account(v)
            else:
                out[k] = redact_obj(v)
        return out
    if isinstance(obj, list | tuple):
        return [redact_obj(v) for v in obj]
    if isinstance(obj, str):
        return redact_text(obj)
    return obj


_TEXT_RULES: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer xyz / Basic xyz  (header dumps, curl lines, reprs)
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{4,}"), r"\1 " + MASK),
    (
        re.compile(r"(?i)(['\"]?authorization['\"]?\s*[:=]\s*)(['\"]?)[^'\"\n,}]+\2"),
        r"\1\2" + MASK + r"\2",
    ),
    # "apiSecret": "…", accessToken='…', secret=… in JSON, reprs and query strings
    (
        re.compile(
            r"(?i)(['\"]?(?:api_?secret|access_?token|refresh_?token|secret|password)['\"]?"
            r"\s*[:=]\s*)(['\"]?)[^'\"&\s,}]+\2"
        ),
        r"\1\2" + MASK + r"\2",
    ),
    # "accountNumber": "123456789" → keep last four
    (
        re.compile(r"(?i)(['\"]?account_?number['\"]?\s*[:=]\s*['\"]?)\*{0,}\d*(\d{4})"),
        r"\1******\2",
    ),
    (re.compile(r"whsec_[0-9A-Za-z+/=]+"), "whsec_" + MASK),
    # long bare digit runs (bank account / card numbers): keep last four
    (re.compile(r"(?<![\w.\-:])\d{4,13}(\d{4})(?![\w.\-:])"), r"******\1"),
]


def redact_text(text: str) -> str:
    if not text:
        return text
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, MASK)
    for pattern, repl in _TEXT_RULES:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True
