"""The first requests of an embedded-sandbox session, sent as soon as its ready line arrives.

Start-up overlaps (issue 15): while the main thread is still importing Qt and building the
window, the thread that read the sandbox's ready line goes on with the token exchange and
the first customers page, over plain ``http.client`` on loopback (no httpx, no TLS
context, no event loop: it must not compete with the main thread's imports). Each answer
is kept as it came: status, headers and body bytes.

The session's client then gets ``PrefetchTransport`` in front of its real transport: the
first ``POST auth/token`` with the same API key, and the first ``GET customers`` with
exactly the first page's query, are answered from what was prefetched (waiting for it if
it is still in flight), once each; everything else, and any request whose prefetch failed,
goes to the network. So the client's auth flow, checks, error mapping and retries run on
those answers as on live ones: a 500 or a refused key reaches the banner and Retry as
before, and the server sees one token exchange and one first-page request, not two.

Nothing here imports Qt or httpx at module level (``desktop.__main__`` imports it early).
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

#: The customers table's first page (``desktop.ui.customers.PAGE_SIZE``; a test keeps
#: them equal): the query the window's first fetch sends.
FIRST_PAGE_LIMIT = 100
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Answer:
    """One HTTP answer as received: what the client would have read from the socket."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Prefetch:
    """The token exchange and the first customers page of one embedded sandbox."""

    def __init__(self, base_url: str, api_key: str, api_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._secret = api_secret
        self.token: concurrent.futures.Future[Answer] = concurrent.futures.Future()
        self.first_page: concurrent.futures.Future[Answer] = concurrent.futures.Future()
        self.started_at: float | None = None
        self.done_at: float | None = None

    def __repr__(self) -> str:  # never the secret
        return f"Prefetch({self.base_url!r})"

    @property
    def first_page_params(self) -> dict[str, str]:
        return {"limit": str(FIRST_PAGE_LIMIT)}

    def run(self) -> None:
        """Send both requests (blocking; called in the thread that read the ready line).
        Failures are kept in the futures: the client then asks the network itself."""
        self.started_at = time.perf_counter()
        url = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=TIMEOUT_S)
        try:
            body = json.dumps({"apiKey": self.api_key, "apiSecret": self._secret}).encode()
            token = _request(
                conn,
                "POST",
                f"{url.path}/auth/token",
                body,
                {"Content-Type": "application/json", "Accept": "application/json"},
            )
            self.token.set_result(token)
            access = None
            if token.status == 200:
                try:
                    access = json.loads(token.body).get("accessToken")
                except (ValueError, AttributeError):
                    access = None
            if not isinstance(access, str) or not access:
                raise RuntimeError(f"token exchange answered {token.status}")
            page = _request(
                conn,
                "GET",
                f"{url.path}/customers?limit={FIRST_PAGE_LIMIT}",
                None,
                {"Accept": "application/json", "Authorization": f"Bearer {access}"},
            )
            self.done_at = time.perf_counter()
            self.first_page.set_result(page)
        except BaseException as e:  # kept for the client, which then asks the network
            self.done_at = time.perf_counter()
            for fut in (self.token, self.first_page):
                if not fut.done():
                    fut.set_exception(e)
            log.info("start-up prefetch failed (the client asks itself): %s", type(e).__name__)
        finally:
            conn.close()


def _request(conn, method: str, path: str, body: bytes | None, headers: dict) -> Answer:
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return Answer(resp.status, resp.getheaders(), data)


def loopback_tls_context():
    """The TLS context of the embedded sandbox's transport: it never makes a handshake.

    The sandbox speaks plain HTTP on loopback (its base URL is ``http://127.0.0.1:…``), yet
    ``httpx.AsyncHTTPTransport()`` builds a verifying context and loads certifi's ~150 CA
    certificates into it: 18–40 ms measured, on the start-up path between the ready line
    and the first page. This context verifies like the default one (certificate and host
    name required) but trusts no anchor at all, so a handshake through it would fail
    rather than trust anything."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname: on
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def transport(prefetch: Prefetch, inner: httpx.AsyncBaseTransport | None = None):
    """An ``httpx`` transport answering the prefetched requests once, else ``inner``
    (by default a plain-HTTP loopback transport, see ``loopback_tls_context``)."""
    import httpx

    class PrefetchTransport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = inner or httpx.AsyncHTTPTransport(verify=loopback_tls_context())
            self.pending: dict[str, concurrent.futures.Future[Answer] | None] = {
                "token": prefetch.token,
                "page": prefetch.first_page,
            }
            self.served: list[str] = []

        def _claim(self, request: httpx.Request) -> str | None:
            base = urlsplit(prefetch.base_url)
            if request.url.host != base.hostname or request.url.port != base.port:
                return None
            path = request.url.path
            if request.method == "POST" and path == f"{base.path}/auth/token":
                try:
                    key = json.loads(request.content).get("apiKey")
                except (ValueError, AttributeError):
                    return None
                which = "token" if key == prefetch.api_key else None
            elif request.method == "GET" and path == f"{base.path}/customers":
                params = dict(request.url.params.multi_items())
                which = "page" if params == prefetch.first_page_params else None
            else:
                return None
            return which if which and self.pending.get(which) is not None else None

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            import asyncio

            which = self._claim(request)
            if which is not None:
                fut, self.pending[which] = self.pending[which], None  # served once at most
                try:
                    answer = await asyncio.wrap_future(fut)  # type: ignore[arg-type]
                except asyncio.CancelledError:
                    raise
                except Exception:
                    answer = None  # the prefetch failed: ask the network
                if answer is not None:
                    self.served.append(which)
                    return httpx.Response(
                        answer.status,
                        headers=answer.headers,
                        content=answer.body,
                        request=request,
                    )
            return await self.inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    return PrefetchTransport()
