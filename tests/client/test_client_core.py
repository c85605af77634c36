"""The client core on its own: the retry policy as a pure function, the auth flow, answers
that are not what a 2xx promises (issue 13.3), size and time limits (13.5), TLS failures and
the shared rules (13.12). Faults come from an httpx.MockTransport or a tiny local server."""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import time

import httpx
import pytest

from desktop.oms import errors, models
from desktop.oms.auth import TokenAuth
from desktop.oms.client import Credentials, OmsClient
from desktop.oms.ids import new_idempotency_key, valid_idempotency_key
from desktop.oms.retry import RetryPolicy, retry_delay
from tests.support.vectors import ROUTING_INVALID, ROUTING_VALID

CREDS = Credentials("sk_sdbx_core", "core-secret-value")
FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02, deadline=5)


def serve(routes: dict):
    """A MockTransport handler: token endpoint plus ``routes[path]`` → Response or callable."""
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path.removeprefix("/v0.9/")
        if path == "auth/token":
            return httpx.Response(200, json={"accessToken": "tok-core-1", "expiresIn": 3600})
        answer = routes[path]
        if isinstance(answer, list):
            answer = answer.pop(0)
        return answer(request) if callable(answer) else answer

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


def client(handler, **kw) -> OmsClient:
    async def no_sleep(_):
        return None

    kw.setdefault("retry", FAST)
    return OmsClient(
        "http://127.0.0.1:9/v0.9",
        CREDS,
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
        **kw,
    )


# --------------------------------------------------------------------- the retry policy


def test_retry_delay_is_exponential_with_seeded_jitter():
    p = RetryPolicy(attempts=6, base=0.5, cap=3.0, deadline=100)
    got = [retry_delay(p, a, None, 0.0, random.Random(7)) for a in range(5)]
    jitter = random.Random(7).uniform(0.5, 1.0)  # the same seeded draw for each call
    assert got == [0.5 * jitter, 1.0 * jitter, 2.0 * jitter, 3.0 * jitter, 3.0 * jitter]
    assert 0.5 < jitter < 1.0  # so the jitter is really applied (not the bare backoff)
    assert retry_delay(p, 5, None, 0.0) is None  # the 6th try was the last


def test_retry_delay_jitter_spreads_callers():
    p = RetryPolicy(attempts=5, base=1.0, cap=8.0, deadline=100)
    rng = random.Random(42)
    delays = {round(retry_delay(p, 2, None, 0.0, rng), 6) for _ in range(20)}
    assert len(delays) == 20 and min(delays) >= 2.0 and max(delays) <= 4.0


def test_retry_delay_honours_retry_after_and_the_deadline():
    p = RetryPolicy(attempts=5, base=0.3, cap=8.0, deadline=30, max_retry_after=60)
    d = retry_delay(p, 0, 2.0, 0.0, random.Random(1))
    assert 2.0 <= d <= 2.3
    assert retry_delay(p, 0, 61.0, 0.0) is None  # longer than we wait: the caller decides
    assert retry_delay(p, 0, 2.0, 28.0, random.Random(1)) is None  # would end past 30 s
    assert retry_delay(p, 0, None, 29.99, random.Random(1)) is None
    assert p.delay(0, None, 0.0, random.Random(3)) == retry_delay(p, 0, None, 0.0, random.Random(3))


async def test_the_client_uses_its_seeded_random_for_jitter():
    routes = {"transactions/txn_1": [httpx.Response(503), httpx.Response(503),
                                     httpx.Response(200, json={"id": "txn_1"})]}  # fmt: skip
    slept: list[float] = []

    async def sleep(d):
        slept.append(d)

    p = RetryPolicy(attempts=3, base=0.4, cap=1.0, deadline=50)
    async with OmsClient("http://127.0.0.1:9/v0.9", CREDS, sleep=sleep, retry=p,
                         transport=httpx.MockTransport(serve(routes)),
                         rng=random.Random(5)) as c:  # fmt: skip
        await c.get_transaction("txn_1")
    r = random.Random(5)
    assert slept == [0.4 * r.uniform(0.5, 1.0), 0.8 * r.uniform(0.5, 1.0)]


# --------------------------------------------------------------------- ids


def test_one_idempotency_key_generator():
    import desktop.oms

    a, b = new_idempotency_key(), desktop.oms.new_idempotency_key("txn")
    assert a.startswith("desk-") and b.startswith("txn-") and a != b
    assert valid_idempotency_key(a) and valid_idempotency_key(b) and len(a) <= 255
    with pytest.raises(ValueError):
        new_idempotency_key("no spaces")


# --------------------------------------------------------------------- the auth flow


async def test_auth_is_an_httpx_auth_flow_with_one_shared_renewal():
    calls = 0
    gate = asyncio.Event()

    async def exchange():
        nonlocal calls
        calls += 1
        await gate.wait()
        return f"t{calls}", 3600.0

    auth = TokenAuth(exchange, monotonic=time.monotonic)
    assert isinstance(auth, httpx.Auth)
    waiters = [asyncio.create_task(auth.current()) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == ["t1"] * 10 and calls == 1
    # Two callers that both got a 401 with t1 share the one renewal to t2.
    renewals = [asyncio.create_task(auth.renew(stale="t1")) for _ in range(5)]
    assert await asyncio.gather(*renewals) == ["t2"] * 5 and calls == 2


async def test_a_401_renews_once_and_a_second_401_is_a_clear_auth_error():
    routes = {"customers/cst_1": [httpx.Response(401), httpx.Response(401)]}
    handler = serve(routes)
    async with client(handler) as c:
        with pytest.raises(errors.AuthError) as ei:
            await c.get_customer("cst_1")
        assert c.token_exchanges == 2
    assert "credentials" in str(ei.value)
    assert [r.url.path for r in handler.seen].count("/v0.9/customers/cst_1") == 2


async def test_a_huge_401_body_is_not_read_past_the_limit():
    routes = {"customers/cst_1": [httpx.Response(401, content=b"x" * 5000),
                                  httpx.Response(200, json={"id": "cst_1"})]}  # fmt: skip
    async with client(serve(routes), max_response_bytes=1000) as c:
        with pytest.raises(errors.ProtocolError, match="too large"):
            await c.get_customer("cst_1")


# --------------------------------------------------------------------- 2xx that cannot be used

BAD_OBJECT_BODIES = [
    pytest.param(b'{"id": "txn_1", "status":', id="malformed-json"),
    pytest.param(b"<html><body>Gateway says hi</body></html>", id="html"),
    pytest.param(b"[]", id="a-list"),
    pytest.param(b'"txn_1"', id="a-string"),
    pytest.param(b'{"status": "processing"}', id="no-id"),
    pytest.param(b'{"id": "", "status": "processing"}', id="empty-id"),
    pytest.param(b'{"id": 42, "status": "processing"}', id="id-not-text"),
    pytest.param(b"", id="empty"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deep-nesting"),
]


@pytest.mark.parametrize("body", BAD_OBJECT_BODIES)
async def test_a_2xx_without_an_object_and_id_is_a_protocol_error(body):
    routes = {"transactions/txn_1": httpx.Response(200, content=body),
              "transactions": httpx.Response(201, content=body)}  # fmt: skip
    async with client(serve(routes)) as c:
        with pytest.raises(errors.ProtocolError) as ei:
            await c.get_transaction("txn_1")
        assert "cannot read" in str(ei.value) and ei.value.status == 200
        with pytest.raises(errors.ProtocolError):
            await c.create_transaction("qt_1")


async def test_the_outbox_keeps_an_entry_pending_on_a_protocol_error(tmp_path):
    from desktop.oms.outbox import EntryState, Outbox

    routes = {"transactions": httpx.Response(201, content=b"<html>ok</html>")}
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        async with client(serve(routes)) as c:
            with pytest.raises(errors.ProtocolError):
                await box.submit_transaction(c, "qt_1", key="k-proto")
        entry = box.get("k-proto")
        assert entry.state is EntryState.PENDING and entry.result_id is None
    finally:
        box.close()


GOOD_PAGE = {"data": [{"id": "cst_1"}], "hasMore": False, "nextCursor": "cst_1",
             "previousCursor": "cst_1"}  # fmt: skip


@pytest.mark.parametrize(
    "envelope",
    [
        pytest.param({"hasMore": False}, id="no-data"),
        pytest.param({"data": {"id": "cst_1"}, "hasMore": False}, id="data-not-a-list"),
        pytest.param({**GOOD_PAGE, "data": [{"firstName": "x"}]}, id="item-without-id"),
        pytest.param({**GOOD_PAGE, "data": [{"id": ""}]}, id="item-empty-id"),
        pytest.param({**GOOD_PAGE, "data": ["cst_1"]}, id="item-not-an-object"),
        pytest.param({**GOOD_PAGE, "hasMore": "false"}, id="hasMore-text"),
        pytest.param({"data": [{"id": "cst_1"}]}, id="hasMore-missing"),
        pytest.param({**GOOD_PAGE, "nextCursor": 7}, id="cursor-number"),
        pytest.param([{"id": "cst_1"}], id="a-bare-list"),
    ],
)
async def test_a_bad_list_envelope_is_a_protocol_error(envelope):
    routes = {"customers": httpx.Response(200, json=envelope)}
    async with client(serve(routes)) as c:
        with pytest.raises(errors.ProtocolError):
            await c.list_customers()


async def test_a_good_list_envelope_still_reads():
    routes = {"customers": httpx.Response(200, json=GOOD_PAGE)}
    async with client(serve(routes)) as c:
        page = await c.list_customers()
    assert [x.id for x in page] == ["cst_1"] and page.has_more is False


async def test_a_hostile_amount_reads_as_unknown_through_the_client():
    body = {"walletId": "wlt_1", "balance": "1E+100000000", "asset": "usdc"}
    routes = {"wallets/wlt_1/balance": httpx.Response(200, json=body)}
    async with client(serve(routes)) as c:
        t0 = time.perf_counter()
        b = await c.get_balance("wlt_1")
        assert models.format_money(b.balance) == ""
        assert time.perf_counter() - t0 < 0.5
    assert b.balance is None and b.raw["balance"] == "1E+100000000"


# --------------------------------------------------------------------- size and time limits


class Trickle(httpx.AsyncByteStream):
    def __init__(self, chunk: bytes, every: float, count: int) -> None:
        self.chunk, self.every, self.count = chunk, every, count
        self.sent = 0

    async def __aiter__(self):
        for _ in range(self.count):
            if self.every:
                await asyncio.sleep(self.every)
            self.sent += 1
            yield self.chunk


async def test_a_body_over_the_size_limit_stops_reading():
    stream = Trickle(b"x" * 1000, 0, 10_000)  # 10 MB offered, no Content-Length
    routes = {"customers": httpx.Response(200, stream=stream)}
    async with client(serve(routes), max_response_bytes=50_000) as c:
        with pytest.raises(errors.ProtocolError, match="too large"):
            await c.list_customers()
    assert stream.sent <= 51  # stopped right after the limit, not at the end


async def test_a_declared_length_over_the_limit_is_refused_before_reading():
    stream = Trickle(b"x", 0, 10)
    routes = {"customers": httpx.Response(200, stream=stream,
                                          headers={"Content-Length": "999999999"})}  # fmt: skip
    async with client(serve(routes), max_response_bytes=1000) as c:
        with pytest.raises(errors.ProtocolError, match="too large"):
            await c.list_customers()
    assert stream.sent == 0


async def test_a_trickling_body_times_out_at_the_attempt_deadline():
    stream = Trickle(b"{", 0.02, 10_000)  # one byte every 20 ms, forever
    routes = {"customers/cst_1": httpx.Response(200, stream=stream)}
    async with client(serve(routes), attempt_deadline=0.2,
                      retry=RetryPolicy(attempts=1)) as c:  # fmt: skip
        t0 = time.monotonic()
        with pytest.raises(errors.NetworkError, match=r"within 0\.2 s") as ei:
            await c.get_customer("cst_1")
        assert time.monotonic() - t0 < 2.0
    assert ei.value.maybe_sent is True and 3 <= stream.sent < 100


async def test_slow_loris_from_a_real_socket_times_out_at_the_attempt_deadline():
    """A real server sends headers, then one byte every 50 ms: each read is quick, so only
    the per-attempt deadline (not the per-read timeout) can end it."""
    stop = asyncio.Event()

    async def loris(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n")  # fmt: skip
        try:
            while not stop.is_set():
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(0.05)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(loris, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    c = OmsClient(f"http://127.0.0.1:{port}/v0.9", CREDS, timeout=1.0, attempt_deadline=0.4,
                  retry=RetryPolicy(attempts=1))  # fmt: skip
    try:
        t0 = time.monotonic()
        with pytest.raises(errors.NetworkError, match=r"within 0\.4 s"):
            await c.sandbox_health()  # needs no token
        took = time.monotonic() - t0
    finally:
        stop.set()
        await c.aclose()
        server.close()
        await server.wait_closed()
    assert 0.35 <= took < 1.0  # the deadline, not the 1 s per-read timeout


async def test_server_messages_are_cut_before_they_reach_errors():
    huge = "A" * 1_000_000
    body = {"error": {"code": "invalid_request", "message": huge, "param": "p" * 5000,
                      "requestId": "r" * 5000}}  # fmt: skip
    routes = {"customers": httpx.Response(400, json=body)}
    async with client(serve(routes)) as c:
        with pytest.raises(errors.ValidationError) as ei:
            await c.create_customer({"firstName": "x"})
    e = ei.value
    assert len(e.message) == errors.MAX_MESSAGE_CHARS and e.message.endswith("…")
    assert len(str(e)) <= 500 and len(e.details) < 1000 and len(repr(e)) < 1500


# --------------------------------------------------------------------- TLS and shared rules


async def test_a_tls_failure_names_the_certificate_problem():
    cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED]")
    cause.verify_message = "certificate has expired"

    def fail(request):
        try:
            raise cause
        except ssl.SSLError as exc:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] ...") from exc

    async with client(serve({"customers/cst_1": fail})) as c:
        with pytest.raises(errors.TlsError) as ei:
            await c.get_customer("cst_1")
    text = str(ei.value)
    assert "certificate" in text and "certificate has expired" in text
    assert "Could not reach" not in text and ei.value.maybe_sent is False
    assert isinstance(ei.value, errors.NetworkError)


async def test_a_real_tls_handshake_with_an_untrusted_certificate_is_named(tmp_path):
    """Against a real local TLS server with a self-signed certificate."""
    import subprocess

    cert_dir = tmp_path

    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(cert_dir / "k.pem"),
         "-out", str(cert_dir / "c.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_dir / "c.pem", cert_dir / "k.pem")

    async def handle(reader, writer):
        try:
            await reader.read(100)
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    c = OmsClient(f"https://localhost:{port}/v0.9", CREDS, retry=RetryPolicy(attempts=1))
    try:
        with pytest.raises(errors.TlsError, match=r"self[- ]signed"):
            await c.sandbox_health()
    finally:
        await c.aclose()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("routing", ROUTING_INVALID)
async def test_the_client_refuses_an_invalid_routing_number_before_sending(routing):
    handler = serve({})
    async with client(handler) as c:
        with pytest.raises(errors.ValidationError) as ei:
            await c.create_external_account(
                "cst_1", {"type": "usBank", "network": "ach",
                          "bankDetails": {"routingNumber": routing, "accountNumber": "12345678"}},
            )  # fmt: skip
    assert ei.value.param == "bankDetails.routingNumber"
    assert handler.seen == []


@pytest.mark.parametrize("routing", ROUTING_VALID)
async def test_a_valid_routing_number_is_sent(routing):
    answer = httpx.Response(201, json={"id": "cpUsBank_1", "type": "usBank"})
    handler = serve({"customers/cst_1/external-accounts": answer})
    async with client(handler) as c:
        ea = await c.create_external_account(
            "cst_1", {"type": "usBank", "network": "ach",
                      "bankDetails": {"routingNumber": routing, "accountNumber": "12345678"}},
        )  # fmt: skip
    assert ea.id == "cpUsBank_1"
    sent = json.loads(handler.seen[-1].content)
    assert sent["bankDetails"]["routingNumber"] == routing


def test_the_client_has_no_loopback_rule_of_its_own():
    import desktop.oms.client as client_module
    import desktop.rules

    assert client_module.is_loopback_host is desktop.rules.is_loopback_host
