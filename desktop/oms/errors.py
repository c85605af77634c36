"""One exception family for everything the OMS client can raise (contract D1/D2).

Classify by ``error.code`` first and by HTTP status only when the code is unknown.
``str(error)`` is a sentence fit to show a person; ``request_id`` is for support.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthError",
    "Conflict",
    "CustomerInactive",
    "DiskFull",
    "EndorsementRequired",
    "Forbidden",
    "IdempotencyError",
    "InsufficientFunds",
    "InvalidState",
    "LimitExceeded",
    "NetworkError",
    "NotFound",
    "OmsError",
    "ProtocolError",
    "QuoteExpired",
    "QuoteNotOpen",
    "RateLimited",
    "ServerError",
    "TlsError",
    "ValidationError",
    "clip",
    "error_from_response",
    "parse_retry_after",
]

# A server's text never reaches a banner, an exception or a log line longer than this.
MAX_MESSAGE_CHARS = 500


def clip(text: str | None, limit: int = MAX_MESSAGE_CHARS) -> str | None:
    """``text`` cut to ``limit`` characters (with "…" when cut); None stays None."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class OmsError(Exception):
    """Base of every error the client raises."""

    default_message = "The payments service reported an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        param: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = clip((message or "").strip()) or self.default_message
        self.code = clip(code, 100)
        self.status = status
        self.param = clip(param, 200)
        self.request_id = clip(request_id, 200)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, code={self.code!r}, "
            f"status={self.status!r}, param={self.param!r}, request_id={self.request_id!r})"
        )

    @property
    def details(self) -> str:
        """Message plus the technical bits support asks for (code, request id)."""
        bits = [b for b in (self.code, self.request_id) if b]
        return f"{self.message} ({', '.join(bits)})" if bits else self.message


class AuthError(OmsError):
    default_message = "The API key or secret was not accepted. Check the credentials."


class ValidationError(OmsError):
    default_message = "The request was not valid."


class Forbidden(OmsError):
    default_message = "This operation is not allowed for this customer."


class EndorsementRequired(Forbidden):
    default_message = "The customer lacks an endorsement this operation requires."

    @property
    def endorsement(self) -> str | None:
        return self.param


class CustomerInactive(Forbidden):
    default_message = "The customer is inactive."


class NotFound(OmsError):
    default_message = "Not found."


class Conflict(OmsError):
    default_message = "The request conflicts with the current state."


class QuoteExpired(Conflict):
    default_message = "The quote has expired. Request a new quote."


class QuoteNotOpen(Conflict):
    default_message = "The quote is no longer open (already used or expired)."


class InvalidState(Conflict):
    default_message = "The object is not in a state that allows this operation."


class IdempotencyError(OmsError):
    """409 ``idempotency_key_in_use`` (retry later, same key) or 422 ``idempotency_key_reused``."""

    default_message = "The request's idempotency key clashes with another request."

    @property
    def in_use(self) -> bool:
        return self.code == "idempotency_key_in_use"


class InsufficientFunds(OmsError):
    default_message = "The wallet's balance is too low for this amount."


class LimitExceeded(OmsError):
    default_message = "This would exceed the customer's limits."


class RateLimited(OmsError):
    default_message = "Too many requests. Try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(OmsError):
    default_message = "The payments service had an internal problem. Try again later."


class NetworkError(OmsError):
    """No usable HTTP answer (connection refused/reset, timeout, TLS).

    ``maybe_sent`` is True when the request may have reached the server (e.g. a read timeout
    or a connection dropped after sending) — for a POST the outcome is then unknown.
    """

    default_message = "Could not reach the payments service. Check the connection."

    def __init__(self, message: str | None = None, *, maybe_sent: bool = True, **kw):
        super().__init__(message, **kw)
        self.maybe_sent = maybe_sent


class TlsError(NetworkError):
    """The TLS handshake failed: the server's certificate could not be verified (or TLS
    itself failed). Nothing was sent."""

    default_message = (
        "The payments service's certificate could not be verified, so nothing was sent."
        " Check the URL and the computer's date and certificate store."
    )

    def __init__(self, message: str | None = None, **kw):
        kw.setdefault("maybe_sent", False)
        super().__init__(message, **kw)


class ProtocolError(OmsError):
    """A 2xx answer this client cannot use: not JSON, not the expected object, an object
    without its id, a malformed list envelope, or a body over the size limit.

    Not a decision by the server: a money submission that gets one stays pending in the
    outbox (its outcome is unknown) rather than being recorded as done or failed.
    """

    default_message = "The payments service sent an answer this app cannot read."


class DiskFull(OmsError):
    """The local journal could not be written because the disk is full. Nothing was sent."""

    default_message = (
        "The disk is full, so the submission was not recorded and not sent."
        " Free some disk space and try again."
    )


_BY_CODE: dict[str, type[OmsError]] = {
    "unauthorized": AuthError,
    "invalid_credentials": AuthError,
    "token_expired": AuthError,
    "invalid_request": ValidationError,
    "invalid_amount": ValidationError,
    "invalid_address": ValidationError,
    "unsupported_asset": ValidationError,
    "idempotency_key_required": ValidationError,
    "endorsement_required": EndorsementRequired,
    "customer_inactive": CustomerInactive,
    "not_found": NotFound,
    "quote_expired": QuoteExpired,
    "quote_not_open": QuoteNotOpen,
    "invalid_state": InvalidState,
    "idempotency_key_in_use": IdempotencyError,
    "idempotency_key_reused": IdempotencyError,
    "insufficient_funds": InsufficientFunds,
    "limit_exceeded": LimitExceeded,
    "rate_limited": RateLimited,
    "internal_error": ServerError,
}

_BY_STATUS: dict[int, type[OmsError]] = {
    400: ValidationError,
    401: AuthError,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationError,
    429: RateLimited,
}


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (integer seconds per D2; HTTP dates tolerated)."""
    if not value:
        return None
    value = value.strip()
    try:
        secs = float(value)
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        secs = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(secs):  # NaN, or "inf" / "1e400": no wait is forever
        return None
    return max(0.0, secs)


def error_from_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> OmsError:
    """Build the exception for an HTTP error answer (body: parsed JSON or anything else)."""
    headers = headers or {}
    err = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(err, Mapping):
        err = {}
    code = err.get("code") if isinstance(err.get("code"), str) else None
    message = err.get("message") if isinstance(err.get("message"), str) else None
    param = err.get("param") if isinstance(err.get("param"), str) else None
    request_id = err.get("requestId") if isinstance(err.get("requestId"), str) else None
    request_id = request_id or _header(headers, "request-id")
    cls = _BY_CODE.get(code or "")
    if cls is None:
        cls = ServerError if status >= 500 else _BY_STATUS.get(status, OmsError)
    kw: dict[str, Any] = {"code": code, "status": status, "param": param, "request_id": request_id}
    if cls is RateLimited:
        return RateLimited(
            message, retry_after=parse_retry_after(_header(headers, "retry-after")), **kw
        )
    if message is None and cls is OmsError:
        message = f"The payments service answered HTTP {status}."
    return cls(message, **kw)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    get = getattr(headers, "get", None)
    if get is None:
        return None
    value = get(name)
    if value is None and not hasattr(headers, "get_list"):
        # plain dict: case-insensitive lookup
        for k, v in headers.items():
            if k.lower() == name:
                return v
    return value
