"""Mapping of D1/D2 error answers onto the exception family."""

from __future__ import annotations

import httpx
import pytest

from desktop.oms import errors as e


def body(code, message="Human text.", param=None, rid="req_1"):
    return {"error": {"code": code, "message": message, "param": param, "requestId": rid}}


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "invalid_credentials", e.AuthError),
        (401, "token_expired", e.AuthError),
        (400, "invalid_amount", e.ValidationError),
        (400, "idempotency_key_required", e.ValidationError),
        (403, "endorsement_required", e.EndorsementRequired),
        (403, "customer_inactive", e.CustomerInactive),
        (404, "not_found", e.NotFound),
        (409, "quote_expired", e.QuoteExpired),
        (409, "quote_not_open", e.QuoteNotOpen),
        (409, "invalid_state", e.InvalidState),
        (409, "idempotency_key_in_use", e.IdempotencyError),
        (422, "idempotency_key_reused", e.IdempotencyError),
        (422, "insufficient_funds", e.InsufficientFunds),
        (422, "limit_exceeded", e.LimitExceeded),
        (500, "internal_error", e.ServerError),
        # unknown codes fall back on the status
        (409, "brand_new_conflict", e.Conflict),
        (503, None, e.ServerError),
        (418, "teapot", e.OmsError),
    ],
)
def test_classified_by_code_then_status(status, code, cls):
    err = e.error_from_response(status, body(code, param="source.amount"), {})
    assert type(err) is cls
    assert err.status == status and err.code == code
    assert err.request_id == "req_1" and err.param == "source.amount"
    assert str(err) == "Human text."


def test_code_wins_over_status():
    # a 400 whose code says not_found is NotFound, not ValidationError
    assert type(e.error_from_response(400, body("not_found"))) is e.NotFound


def test_hierarchy_for_callers():
    assert issubclass(e.EndorsementRequired, e.Forbidden)
    assert issubclass(e.QuoteExpired, e.Conflict) and issubclass(e.InvalidState, e.Conflict)
    err = e.error_from_response(403, body("endorsement_required", param="usd"))
    assert err.endorsement == "usd"
    assert e.error_from_response(409, body("idempotency_key_in_use")).in_use
    assert not e.error_from_response(422, body("idempotency_key_reused")).in_use


def test_rate_limited_reads_retry_after_and_request_id_header():
    headers = httpx.Headers({"Retry-After": "7", "Request-Id": "req_h"})
    err = e.error_from_response(429, {"error": {"code": "rate_limited"}}, headers)
    assert isinstance(err, e.RateLimited) and err.retry_after == 7.0
    assert err.request_id == "req_h"
    assert str(err) == e.RateLimited.default_message


def test_non_json_body_still_gives_a_readable_error():
    err = e.error_from_response(502, "<html>bad gateway</html>", {"request-id": "req_x"})
    assert isinstance(err, e.ServerError) and err.request_id == "req_x"
    assert "internal problem" in str(err)
    odd = e.error_from_response(418, None)
    assert "418" in str(odd)
    assert "req_1" in e.error_from_response(404, body("not_found")).details


def test_parse_retry_after():
    assert e.parse_retry_after("3") == 3.0
    assert e.parse_retry_after("-2") == 0.0
    assert e.parse_retry_after(None) is None
    assert e.parse_retry_after("soon") is None
    assert e.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_network_error_flags():
    assert e.NetworkError(maybe_sent=False).maybe_sent is False
    assert "connection" in str(e.NetworkError()).lower()
