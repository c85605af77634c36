"""Boundaries of the client's error family that the mutation run (issue 19, item 4) found
untested: text clipping at its limits, the status fallback table (D1/D2), ``Retry-After`` in
each form (seconds, HTTP date with or without a zone, header case), and the defaults a caller
relies on. Expected values are written out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from desktop.oms import errors as e


def test_clip_keeps_the_limit_and_cuts_beyond_it():
    assert e.clip(None) is None
    assert e.clip("a" * 500) == "a" * 500  # exactly the limit: kept
    assert e.clip("a" * 499) == "a" * 499
    assert e.clip("a" * 501) == "a" * 499 + "…"  # one over: 499 + the ellipsis = 500
    assert e.clip("b" * 2000) == "b" * 499 + "…"
    assert e.clip("abcdef", 4) == "abc…"
    assert e.clip("abcd", 4) == "abcd"


def test_every_server_text_field_is_clipped_to_its_own_limit():
    err = e.OmsError("m" * 600, code="c" * 101, param="p" * 201, request_id="r" * 201)
    assert err.message == "m" * 499 + "…" and str(err) == err.message
    assert err.code == "c" * 99 + "…"
    assert err.param == "p" * 199 + "…"
    assert err.request_id == "r" * 199 + "…"
    at = e.OmsError("m" * 500, code="c" * 100, param="p" * 200, request_id="r" * 200)
    assert (len(at.message), len(at.code), len(at.param), len(at.request_id)) == (
        500,
        100,
        200,
        200,
    )
    assert "…" not in at.message + at.code + at.param + at.request_id


def test_blank_message_falls_back_on_the_class_default():
    assert str(e.OmsError("   ")) == "The payments service reported an error."
    assert str(e.NotFound(None)) == "Not found."
    assert str(e.OmsError("  trimmed \n")) == "trimmed"


def test_details_and_repr():
    err = e.NotFound("Gone.", code="not_found", request_id="req_9", status=404)
    assert err.details == "Gone. (not_found, req_9)"
    assert e.NotFound("Gone.").details == "Gone."
    assert e.NotFound("Gone.", request_id="req_9").details == "Gone. (req_9)"
    assert repr(err) == (
        "NotFound('Gone.', code='not_found', status=404, param=None, request_id='req_9')"
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, e.ValidationError),
        (401, e.AuthError),
        (403, e.Forbidden),
        (404, e.NotFound),
        (409, e.Conflict),
        (422, e.ValidationError),
        (429, e.RateLimited),
        (499, e.OmsError),
        (500, e.ServerError),
        (501, e.ServerError),
        (599, e.ServerError),
        (423, e.OmsError),
        (402, e.OmsError),
        (405, e.OmsError),
    ],
)
def test_status_fallback_when_the_code_is_unknown(status, cls):
    err = e.error_from_response(status, {"error": {"code": "something_new"}})
    assert type(err) is cls and err.status == status and err.code == "something_new"
    bare = e.error_from_response(status, None)  # no JSON body at all
    assert type(bare) is cls and bare.code is None


def test_a_generic_answer_names_its_status():
    assert str(e.error_from_response(418, None)) == "The payments service answered HTTP 418."
    assert str(e.error_from_response(403, None)) == e.Forbidden.default_message


def test_fields_of_the_wrong_type_are_ignored():
    body = {"error": {"code": 7, "message": ["x"], "param": {}, "requestId": 5}}
    err = e.error_from_response(404, body, {"Request-Id": "req_h"})
    assert type(err) is e.NotFound and err.code is None and err.param is None
    assert str(err) == "Not found." and err.request_id == "req_h"
    assert type(e.error_from_response(409, {"error": "quote_expired"})) is e.Conflict


def test_body_request_id_wins_over_the_header():
    body = {"error": {"code": "not_found", "requestId": "req_body"}}
    assert e.error_from_response(404, body, {"request-id": "req_head"}).request_id == "req_body"


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "7"},
        {"retry-after": "7"},
        {"RETRY-AFTER": "7"},
        {"X-Trace": "abc", "Retry-After": "7"},  # a header sorting after it comes first
        {"Accept": "x", "Retry-After": "7", "Zzz": "9"},
        httpx.Headers({"Retry-After": "7"}),
        httpx.Headers({"retry-after": "7"}),
    ],
)
def test_retry_after_is_found_in_any_letter_case(headers):
    err = e.error_from_response(429, {"error": {"code": "rate_limited"}}, headers)
    assert type(err) is e.RateLimited and err.retry_after == 7.0


def test_plain_dict_headers_give_the_request_id_in_any_case():
    err = e.error_from_response(500, None, {"X-Other": "no", "Request-ID": "req_42"})
    assert err.request_id == "req_42"
    assert e.error_from_response(500, None, {"X-Other": "no"}).request_id is None
    assert e.error_from_response(500, None, None).request_id is None


def _http_date(dt: datetime) -> str:
    return format_datetime(dt, usegmt=dt.tzinfo is UTC)


def test_retry_after_as_an_http_date():
    soon = (datetime.now(UTC) + timedelta(seconds=120)).replace(microsecond=0)
    assert 115.0 <= e.parse_retry_after(_http_date(soon)) <= 120.0
    # The same instant written in another zone (+02:00) is the same wait.
    plus2 = soon.astimezone(timezone(timedelta(hours=2)))
    text = format_datetime(plus2)
    assert text.endswith("+0200")
    assert 115.0 <= e.parse_retry_after(text) <= 120.0
    # "-0000" means "zone unknown" (naive): read as UTC, not refused.
    naive = format_datetime(soon.replace(tzinfo=None))
    assert naive.endswith("-0000")
    assert 115.0 <= e.parse_retry_after(naive) <= 120.0
    assert e.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize(
    ("text", "secs"),
    [(" 12 ", 12.0), ("0", 0.0), ("1.5", 1.5), ("-3", 0.0), ("", None), ("nan", None), ("x", None)],
)
def test_retry_after_in_seconds(text, secs):
    assert e.parse_retry_after(text) == secs


def test_an_endless_retry_after_is_ignored():
    # "inf" and "1e400" parse as an infinite float: honouring one would stop a follower's
    # polls for good. Not a number of seconds, so ignored like any other unreadable value.
    for text in ("inf", "Infinity", "1e400", "+inf"):
        assert e.parse_retry_after(text) is None, text
    assert e.parse_retry_after("-inf") is None
    assert e.parse_retry_after("1e3") == 1000.0


def test_network_errors_may_have_been_sent_unless_tls_failed():
    # A dropped connection may have carried the request: assume it was sent (the outbox then
    # keeps a POST pending). A failed TLS handshake sent nothing.
    assert e.NetworkError().maybe_sent is True
    assert e.NetworkError("timeout").maybe_sent is True
    assert e.TlsError().maybe_sent is False
    assert e.TlsError(maybe_sent=True).maybe_sent is True
    assert isinstance(e.TlsError(), e.NetworkError)


def test_rate_limited_keeps_its_wait():
    err = e.RateLimited("slow down", retry_after=3.5, status=429)
    assert err.retry_after == 3.5 and err.status == 429 and str(err) == "slow down"
    assert e.RateLimited().retry_after is None


def test_an_exact_header_name_wins_over_another_spelling():
    # A plain dict can hold two spellings of one header; the exact (lower-case) one is read.
    headers = {"Retry-After": "9", "retry-after": "7", "Request-Id": "req_a", "request-id": "req_b"}
    err = e.error_from_response(429, {"error": {"code": "rate_limited"}}, headers)
    assert err.retry_after == 7.0 and err.request_id == "req_b"
