"""Logging to a rotating file (mode 0600) with secrets redacted.

Redaction covers bearer tokens / Authorization headers, apiSecret/apiKey/accessToken
values, webhook secrets and bank account numbers. It is applied to the fully
formatted record (message, arguments and traceback), so nothing slips through
via ``%s`` arguments.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

MAX_BYTES = 2_000_000
BACKUPS = 3
# One record (message, arguments and traceback) never takes more than this in the log: a
# hostile server's 100 MB error text must not become a 100 MB line past the rotation size.
MAX_RECORD_CHARS = 16_000
# Redaction looks this far past the cut, so a secret straddling it is masked before cutting.
_SLACK = 4096

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer\s+)?[^\s'\",}]+"), r"\1\2***"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1***"),
    (
        re.compile(
            r"(?i)(['\"]?(?:api_?secret|access_?token|refresh_?token|secret|password|"
            r"idempotency[-_]?key)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"
        ),
        r"\1***",
    ),
    (
        re.compile(r"(?i)(['\"]?api_?key['\"]?\s*[:=]\s*['\"]?)([^\s'\",}]{0,8})[^\s'\",}]*"),
        r"\1\2***",
    ),
    (re.compile(r"\bsk_(live|sdbx|[a-z]+_(?:live|sdbx))_[A-Za-z0-9]+"), r"sk_\1_***"),
    (re.compile(r"\bwhsec_[0-9a-fA-F]{8,}"), "whsec_***"),
    (
        re.compile(
            r"(?i)(['\"]?account_?number['\"]?\s*[:=]\s*['\"]?)[*]*(\d*?)(\d{0,4})(?=['\"\s,}]|$)"
        ),
        r"\1****\3",
    ),
]


def redact(text: str) -> str:
    """Return ``text`` with credentials and account numbers masked."""
    try:  # the client's redactor first: it also knows the exact secrets in use
        from desktop.oms.redact import redact_text

        text = redact_text(text)
    except Exception:  # pragma: no cover - the client package is optional here
        pass
    for pat, repl in _PATTERNS:
        text = pat.sub(repl, text)
    return text


def bounded(text: str, limit: int = MAX_RECORD_CHARS) -> str:
    """``text`` redacted and cut to ``limit`` characters (saying how long it was)."""
    if len(text) <= limit:
        return redact(text)
    head = redact(text[: limit + _SLACK])[:limit]
    return f"{head} … [cut: the record had {len(text)} characters]"


class RecordCap(logging.Filter):
    """Cuts a record's message and traceback before they are formatted at all."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        if len(message) > MAX_RECORD_CHARS:
            record.msg = bounded(message)
            record.args = None
        if record.exc_text and len(record.exc_text) > MAX_RECORD_CHARS:
            record.exc_text = bounded(record.exc_text)
        return True


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return bounded(super().format(record))


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates every file (including rotated ones) with mode 0600."""

    def _open(self):  # type: ignore[override]
        old = os.umask(0o077)
        try:
            stream = super()._open()
        finally:
            os.umask(old)
        try:
            os.chmod(self.baseFilename, 0o600)
        except OSError:  # pragma: no cover
            pass
        return stream


_handler: logging.Handler | None = None


def setup_logging(log_file: Path, *, level: int = logging.INFO, stderr: bool = False) -> Path:
    """Install the rotating, redacting file handler on the root logger (idempotent)."""
    global _handler
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    handler = _PrivateRotatingFileHandler(
        log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=False
    )
    fmt = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(fmt)
    handler.addFilter(RecordCap())
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level) if root.handlers[:-1] else level)
    if stderr:
        sh = logging.StreamHandler()
        sh.setFormatter(fmt)
        sh.addFilter(RecordCap())
        root.addHandler(sh)
    # httpx logs every request URL at INFO; keep it, but never headers.
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    _handler = handler
    return log_file


def register_secret(value: str | None) -> None:
    """Mask this exact value wherever it would appear in a log line."""
    try:
        from desktop.oms.redact import register_secret as _reg

        _reg(value)
    except Exception:  # pragma: no cover
        pass


def teardown_logging() -> None:
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None
