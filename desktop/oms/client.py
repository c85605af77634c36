"""Async OMS client on ``httpx.AsyncClient`` (contract: /work/shared/OMS_API.md, D1–D21).

* Auth (D15) is an ``httpx.Auth`` flow (:mod:`desktop.oms.auth`): token exchange at
  ``POST /auth/token``, renewal ahead of expiry and once on a 401 (shared by concurrent
  callers), then a clear ``AuthError``.
* Every POST (except ``/auth/token`` and the ``/sandbox/`` extras) carries an
  ``Idempotency-Key`` (:func:`desktop.oms.ids.new_idempotency_key`); callers may pass their
  own (D3). PATCH and DELETE carry one too.
* Errors map to :mod:`desktop.oms.errors` by ``error.code`` (D1/D2). A 2xx this client cannot
  use (not JSON, no object, no id, a malformed list envelope, too large) is a
  ``ProtocolError``, never an empty result.
* Retries (:mod:`desktop.oms.retry`): GETs retry network errors, 5xx and 429 with jittered
  exponential backoff under a deadline, honouring ``Retry-After``. Writes retry only when
  they carry an idempotency key — always the *same* key — on network errors, 5xx, 429 and
  409 ``idempotency_key_in_use``.
* Each attempt is bounded: responses are streamed and refused past ``max_response_bytes``,
  and the whole attempt (connect, send, every read) must finish within
  ``attempt_deadline`` seconds, so a server trickling bytes cannot hold a call forever.
* ``https`` is required except for loopback hosts (``desktop.rules.is_loopback_host``).
* Logs never contain ``Authorization``, secrets or account numbers (:mod:`desktop.oms.redact`);
  server texts are cut to 500 characters before they reach exceptions and logs.
"""

from __future__ import annotations

import asyncio
import json as _json
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from desktop.rules import is_loopback_host, routing_number_valid

from . import errors, models
from .accounts import account_scope_for
from .auth import TokenAuth
from .ids import new_idempotency_key, valid_idempotency_key
from .paging import iterate_items
from .redact import RedactingFilter, redact_obj, redact_text, register_secret
from .retry import RetryPolicy

__all__ = [
    "Credentials",
    "OmsClient",
    "RetryPolicy",
    "base_url_for",
    "check_base_url",
    "new_idempotency_key",
]

log = logging.getLogger("desktop.oms.client")
log.addFilter(RedactingFilter())

DEFAULT_API_VERSION = "v0.9"
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
ATTEMPT_DEADLINE_S = 60.0
#: List items parsed per event-loop pass (a page of 100 customers: ~4 ms in one pass).
PARSE_CHUNK = 25


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key!r}, api_secret='***')"


CredentialsSource = Credentials | Callable[[], Awaitable[Credentials]]


def _key(key: str | None) -> str:
    return new_idempotency_key() if key is None else key


def check_base_url(base_url: str) -> str:
    """Validate and normalise a base URL (https, or http on loopback), without trailing /."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError("the OMS base URL must use https (plain http only for loopback hosts)")
    if parts.username or parts.password:
        raise ValueError("the base URL must not carry credentials")
    return base_url.strip().rstrip("/")


def base_url_for(root: str, api_version: str = DEFAULT_API_VERSION) -> str:
    """``https://host`` + version → ``https://host/v0.9`` (a URL already ending in a version
    segment such as ``/v0.11`` is kept as it is)."""
    root = root.strip().rstrip("/")
    last = root.rsplit("/", 1)[-1]
    if last.startswith("v") and last[1:].replace(".", "").isdigit():
        return check_base_url(root)
    return check_base_url(f"{root}/{api_version.strip('/')}")


def _money(value: Any) -> str:
    if isinstance(value, float):
        raise TypeError("money must be Decimal or str, never float")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, float):
        raise TypeError("money must be Decimal or str, never float")
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return obj


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _seg(value: str) -> str:
    """One path segment, percent-encoded (ids are opaque)."""
    if not isinstance(value, str) or not value:
        raise ValueError("an id must be a non-empty string")
    return quote(value, safe="")


def _tls_problem(exc: BaseException) -> str | None:
    """The certificate/TLS problem behind a connect error, in words, or None."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            return cur.verify_message or cur.reason or "certificate verify failed"
        if isinstance(cur, ssl.SSLError):
            return cur.reason or "TLS handshake failed"
        cur = cur.__cause__ or cur.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0].strip() or (
            "certificate verify failed"
        )
    return None


def _network_error(exc: httpx.TransportError) -> errors.NetworkError:
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    if isinstance(exc, httpx.ConnectError):
        problem = _tls_problem(exc)
        if problem is not None:
            return errors.TlsError(
                "The payments service's certificate could not be verified"
                f" ({errors.clip(problem, 200)}), so nothing was sent. Check the URL, and the"
                " computer's date and certificate store."
            )
    if isinstance(exc, httpx.TimeoutException):
        return errors.NetworkError(
            "The payments service did not answer in time.", maybe_sent=not not_sent
        )
    return errors.NetworkError(None, maybe_sent=not not_sent)


def _json_or_none(content: bytes) -> Any:
    try:
        return _json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _protocol(what: str, resp: httpx.Response) -> errors.ProtocolError:
    return errors.ProtocolError(
        f"The payments service sent an answer this app cannot read ({what}). Nothing was"
        " assumed from it; try again, or check the service's status.",
        status=resp.status_code,
        request_id=resp.headers.get("request-id"),
    )


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


class OmsClient:
    """One client per profile. Use ``async with OmsClient(...) as client`` or ``aclose()``."""

    def __init__(
        self,
        base_url: str,
        credentials: CredentialsSource,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        user_agent: str = "OMS-Desk/0.1",
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        attempt_deadline: float = ATTEMPT_DEADLINE_S,
        rng: random.Random | None = None,
        account_id: str | None = None,
        account_label: str | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        #: Which account this client acts for, stable across restarts (outbox scope); the
        #: composition root sets it, see ``desktop.oms.outbox.account_scope_for``.
        self.account_id = account_id
        self.account_label = account_label  # for people: "Profile (URL)"
        self._credentials = credentials
        if isinstance(credentials, Credentials):
            register_secret(credentials.api_secret)
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self.attempt_deadline = attempt_deadline
        self._rng = rng
        self._monotonic = monotonic
        self._sleep = sleep
        self.requests_sent = 0  # HTTP requests made, auth retries included (diagnostics)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,
            event_hooks={"request": [self._count_request]},
        )
        self._auth = TokenAuth(self._exchange, monotonic=monotonic, read_body=self._read_body)
        self.server_time_offset: timedelta | None = None
        self.last_server_date: datetime | None = None
        self._closed = False
        self.api_key: str | None = (
            credentials.api_key if isinstance(credentials, Credentials) else None
        )

    async def _count_request(self, request: httpx.Request) -> None:
        self.requests_sent += 1

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> OmsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        self._auth.cancel()
        await self._http.aclose()

    @property
    def is_sandbox_key(self) -> bool | None:
        if isinstance(self._credentials, Credentials):
            return "_sdbx_" in self._credentials.api_key
        return None

    # ------------------------------------------------------------------ auth

    @property
    def token_exchanges(self) -> int:
        """How many times ``/auth/token`` was called (diagnostics/tests)."""
        return self._auth.exchanges

    @property
    def _token(self) -> str | None:
        return self._auth.token

    async def authenticate(self) -> None:
        """Exchange the credentials for a fresh token now (``Test connection``)."""
        await self._auth.renew(stale=self._auth.token, force=True)

    async def account_scope(self) -> str:
        """Which account a journalled request belongs to (outbox): ``account_id`` when the
        composition root gave one, else derived from the base URL and the API key."""
        if self.account_id:
            return self.account_id
        if self.api_key is None:
            await self._current_token()
        return account_scope_for(self.base_url, self.api_key or "")

    async def _current_token(self) -> str:
        return await self._auth.current()

    async def _exchange(self) -> tuple[str, float]:
        creds = self._credentials
        if not isinstance(creds, Credentials):
            creds = await creds()
        register_secret(creds.api_secret)
        self.api_key = creds.api_key
        resp = await self._send(
            "POST",
            "auth/token",
            json={"apiKey": creds.api_key, "apiSecret": creds.api_secret},
            auth=False,
            retryable=True,  # exchanging a token twice is harmless
        )
        token = models.parse_token(_json_or_none(resp.content))
        if not token.access_token:
            raise errors.AuthError(
                "The server answered the token request without a token.",
                status=resp.status_code,
                request_id=resp.headers.get("request-id"),
            )
        register_secret(token.access_token)
        ttl = token.expires_in
        if ttl is None and token.expires_at is not None and self.last_server_date is not None:
            ttl = int((token.expires_at - self.last_server_date).total_seconds())
        ttl = max(1, ttl if ttl is not None else 3600)
        log.debug("token obtained, lives %d s", ttl)
        return token.access_token, float(ttl)

    # ------------------------------------------------------------------ transport core

    def _note_date(self, resp: httpx.Response) -> None:
        value = resp.headers.get("date")
        if not value:
            return
        try:
            d = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if d.tzinfo is None:
            d = d.replace(tzinfo=UTC)
        self.last_server_date = d.astimezone(UTC)
        self.server_time_offset = self.last_server_date - datetime.now(UTC)

    async def _read_body(self, resp: httpx.Response) -> bytes:
        """The body, read as it streams in; more than ``max_response_bytes`` → ProtocolError."""
        limit = self.max_response_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _protocol(f"response too large: over {limit // (1024 * 1024)} MB", resp)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _protocol(f"response too large: over {limit // (1024 * 1024)} MB", resp)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _attempt(self, request: httpx.Request, auth: bool) -> httpx.Response:
        """One try (with the auth flow's single 401 renewal) within the attempt deadline."""
        try:
            async with asyncio.timeout(self.attempt_deadline):
                resp = await self._http.send(
                    request, auth=self._auth if auth else None, stream=True
                )
                try:
                    body = await self._read_body(resp)
                finally:
                    await resp.aclose()
        except TimeoutError as exc:
            raise errors.NetworkError(
                f"The payments service did not answer within {self.attempt_deadline:g} s.",
                maybe_sent=True,
            ) from exc
        except httpx.TransportError as exc:
            log.warning(
                "%s %s failed: %s (%s)",
                request.method,
                request.url.path,
                type(exc).__name__,
                errors.clip(redact_text(str(exc))),
            )
            raise _network_error(exc) from exc
        return httpx.Response(resp.status_code, headers=resp.headers, content=body, request=request)

    def _build(
        self, method: str, path: str, params: Mapping[str, Any] | None, json: Any, key: str | None
    ) -> httpx.Request:
        headers: dict[str, str] = {}
        if key is not None:
            headers["Idempotency-Key"] = key
        content = None
        if json is not None:
            body = _jsonable(json)
            headers["Content-Type"] = "application/json"
            content = _json.dumps(body).encode()
            if log.isEnabledFor(logging.DEBUG):
                log.debug("→ %s /%s %s", method, path, _json.dumps(redact_obj(body)))
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self._http.build_request(
            method, path, params=clean, content=content, headers=headers
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        auth: bool = True,
        retryable: bool | None = None,
    ) -> httpx.Response:
        """One logical request with auth, retries and error mapping; returns a 2xx response."""
        if self._closed:
            raise RuntimeError("OmsClient is closed")
        if idempotency_key is not None and not valid_idempotency_key(idempotency_key):
            raise ValueError("an Idempotency-Key is 1–255 printable ASCII characters (D3)")
        if retryable is None:
            retryable = method == "GET" or idempotency_key is not None
        request = self._build(method, path, params, json, idempotency_key)
        start = self._monotonic()
        for attempt in range(self.retry.attempts):
            t0 = self._monotonic()
            retry_after: float | None = None
            try:
                resp = await self._attempt(request, auth)
            except errors.NetworkError as exc:
                failure: errors.OmsError = exc
            else:
                self._note_date(resp)
                self._log_answer(method, path, resp, t0)
                if resp.is_success:
                    return resp
                failure = errors.error_from_response(
                    resp.status_code, _json_or_none(resp.content), resp.headers
                )
                if not self._retryable_status(resp.status_code, failure):
                    raise failure
                retry_after = errors.parse_retry_after(resp.headers.get("retry-after"))
            elapsed = self._monotonic() - start
            delay = self.retry.delay(attempt, retry_after, elapsed, self._rng)
            if delay is None or not retryable:
                raise failure
            await self._sleep(delay)
        raise AssertionError("unreachable: RetryPolicy.delay gives up on the last attempt")

    def _log_answer(self, method: str, path: str, resp: httpx.Response, t0: float) -> None:
        rid = resp.headers.get("request-id") or ""
        ms = (self._monotonic() - t0) * 1000
        if resp.is_success:
            replayed = " (replayed)" if resp.headers.get("idempotent-replayed") == "true" else ""
            log.debug("← %s /%s %d %.0f ms %s%s", method, path, resp.status_code, ms, rid, replayed)
        else:
            log.info("← %s /%s %d %s %.0f ms", method, path, resp.status_code, rid, ms)

    @staticmethod
    def _retryable_status(status: int, err: errors.OmsError) -> bool:
        if status >= 500 or status == 429:
            return True
        return isinstance(err, errors.IdempotencyError) and err.in_use

    # ------------------------------------------------------------------ answers

    @staticmethod
    def _body(resp: httpx.Response) -> Any:
        """The 2xx body as JSON; None when empty; not JSON → ProtocolError."""
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return _json.loads(resp.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise _protocol("not JSON", resp) from None

    def _object(self, resp: httpx.Response, id_key: str | tuple[str, ...] = "id") -> dict:
        """The 2xx body as a JSON object carrying a non-empty id, else ProtocolError."""
        data = self._body(resp)
        if not isinstance(data, dict):
            raise _protocol("not an object", resp)
        keys = (id_key,) if isinstance(id_key, str) else id_key
        if not any(_nonempty_str(data.get(k)) for k in keys):
            raise _protocol(f"no {keys[0]}", resp)
        return data

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        return self._body(await self._send(method, path, **kw))

    async def _dict(self, method: str, path: str, **kw: Any) -> dict:
        """A 2xx body that must be a JSON object (or empty → ``{}``), else ProtocolError."""
        resp = await self._send(method, path, **kw)
        data = self._body(resp)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise _protocol("not an object", resp)
        return data

    async def _get_resource(self, path: str, parser: Callable[[Any], Any], **kw: Any) -> Any:
        return parser(self._object(await self._send("GET", path, **kw)))

    async def _create(
        self,
        path: str,
        body: Any,
        parser: Callable[[Any], Any],
        idempotency_key: str | None = None,
        method: str = "POST",
    ) -> Any:
        resp = await self._send(method, path, json=body, idempotency_key=_key(idempotency_key))
        return parser(self._object(resp))

    @staticmethod
    def _paging(
        limit: int | None,
        starting_after: str | None,
        ending_before: str | None,
        created_after: datetime | str | None,
        created_before: datetime | str | None,
    ) -> dict[str, Any]:
        return {
            "limit": limit,
            "startingAfter": starting_after,
            "endingBefore": ending_before,
            "createdAfter": _iso(created_after),
            "createdBefore": _iso(created_before),
        }

    async def _page(self, path: str, parser: Callable[[Any], Any], params: dict) -> models.Page:
        resp = await self._send("GET", path, params=params)
        data = self._body(resp)
        if not isinstance(data, dict):
            raise _protocol("not a list envelope", resp)
        items = data.get("data")
        if not isinstance(items, list):
            raise _protocol("no data list", resp)
        if not all(isinstance(x, dict) and _nonempty_str(x.get("id")) for x in items):
            raise _protocol("a list item without an id", resp)
        if not isinstance(data.get("hasMore"), bool):
            raise _protocol("hasMore is not true or false", resp)
        for k in ("nextCursor", "previousCursor", "cursor"):
            if not isinstance(data.get(k), str | None):
                raise _protocol(f"{k} is not text", resp)
        parsed: list = []
        for first in range(0, len(items), PARSE_CHUNK):
            if first:
                # A page is parsed over several loop passes: a paint or a timer runs between
                # chunks (the worst stall while scrolling 100,000 customers, issue 15.4).
                await asyncio.sleep(0)
            parsed.extend(map(parser, items[first : first + PARSE_CHUNK]))
        return models.page_of(data, tuple(parsed))

    # ------------------------------------------------------------------ customers

    async def list_customers(
        self,
        *,
        status: str | None = None,
        email: str | None = None,
        external_id: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.Customer]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        params |= {"status": status, "email": email, "externalId": external_id}
        return await self._page("customers", models.parse_customer, params)

    def iter_customers(self, **kw: Any) -> AsyncIterator[models.Customer]:
        kw.setdefault("limit", 100)
        return iterate_items(self.list_customers, **kw)

    async def get_customer(self, customer_id: str) -> models.Customer:
        return await self._get_resource(f"customers/{_seg(customer_id)}", models.parse_customer)

    async def create_customer(
        self, fields: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.Customer:
        body = dict(fields)
        body.setdefault("type", "individual")
        return await self._create("customers", body, models.parse_customer, idempotency_key)

    async def update_customer(
        self, customer_id: str, fields: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.Customer:
        return await self._create(
            f"customers/{_seg(customer_id)}",
            dict(fields),
            models.parse_customer,
            idempotency_key,
            method="PATCH",
        )

    # ------------------------------------------------------------------ wallets

    async def list_wallets(
        self,
        customer_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.Wallet]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        return await self._page(
            f"customers/{_seg(customer_id)}/wallets", models.parse_wallet, params
        )

    def iter_wallets(self, customer_id: str, **kw: Any) -> AsyncIterator[models.Wallet]:
        kw.setdefault("limit", 100)
        return iterate_items(lambda **p: self.list_wallets(customer_id, **p), **kw)

    async def create_wallet(
        self,
        customer_id: str,
        asset: str = "usdc",
        chain: str = "polygon",
        *,
        idempotency_key: str | None = None,
    ) -> models.Wallet:
        return await self._create(
            f"customers/{_seg(customer_id)}/wallets",
            {"asset": asset, "chain": chain},
            models.parse_wallet,
            idempotency_key,
        )

    async def get_wallet(self, wallet_id: str) -> models.Wallet:
        return await self._get_resource(f"wallets/{_seg(wallet_id)}", models.parse_wallet)

    async def get_balance(self, wallet_id: str, *, currency: str | None = None) -> models.Balance:
        resp = await self._send(
            "GET",
            f"wallets/{_seg(wallet_id)}/balance",
            params={"estimatedBalanceCurrencyCode": currency},
        )
        return models.parse_balance(self._object(resp, ("walletId", "id")))

    # ------------------------------------------------------------------ quotes

    async def create_quote(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.Quote:
        resp = await self._send("POST", "quotes", json=body, idempotency_key=_key(idempotency_key))
        return self._quote_from(resp)

    async def get_quote(self, quote_id: str) -> models.Quote:
        return self._quote_from(await self._send("GET", f"quotes/{_seg(quote_id)}"))

    def _quote_from(self, resp: httpx.Response) -> models.Quote:
        received = self._monotonic()
        server_date = None
        value = resp.headers.get("date")
        if value:
            try:
                server_date = parsedate_to_datetime(value).astimezone(UTC)
            except (TypeError, ValueError):
                server_date = None
        data = self._object(resp)
        created = models.parse_datetime(data.get("createdAt"))
        # Date has whole seconds (truncated). A quote created during this very request has a
        # millisecond createdAt on the same server clock within that second: it is the
        # sharper "now" for the D18 countdown (never later than the real answer time).
        if (
            server_date is not None
            and created is not None
            and server_date <= created < server_date + timedelta(seconds=1)
        ):
            server_date = created
        return models.parse_quote(data, received_monotonic=received, server_date=server_date)

    # ------------------------------------------------------------------ transactions

    async def create_transaction(
        self,
        quote_id: str,
        *,
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> models.Transaction:
        body: dict[str, Any] = {"quoteId": quote_id}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        if extra:
            body.update(extra)
        return await self._create("transactions", body, models.parse_transaction, idempotency_key)

    async def get_transaction(
        self, transaction_id: str, *, retry: bool = True
    ) -> models.Transaction:
        return await self._get_resource(
            f"transactions/{_seg(transaction_id)}", models.parse_transaction, retryable=retry
        )

    async def list_transactions(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        customer_id: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.Transaction]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        params |= {"status": status, "type": type, "customerId": customer_id}
        return await self._page("transactions", models.parse_transaction, params)

    def iter_transactions(self, **kw: Any) -> AsyncIterator[models.Transaction]:
        kw.setdefault("limit", 100)
        return iterate_items(self.list_transactions, **kw)

    async def list_customer_transactions(
        self,
        customer_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.Transaction]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        return await self._page(
            f"customers/{_seg(customer_id)}/transactions", models.parse_transaction, params
        )

    def iter_customer_transactions(
        self, customer_id: str, **kw: Any
    ) -> AsyncIterator[models.Transaction]:
        kw.setdefault("limit", 100)
        return iterate_items(lambda **p: self.list_customer_transactions(customer_id, **p), **kw)

    # ------------------------------------------------------------------ cash

    async def list_cash_locations(
        self,
        latitude: Decimal | str,
        longitude: Decimal | str,
        *,
        provider: str = "greendot",
        flow: str = "cashIn",
        limit: int | None = None,
    ) -> models.Page[models.CashLocation]:
        params = {
            "provider": provider,
            "latitude": _money(latitude),
            "longitude": _money(longitude),
            "flow": flow,
            "limit": limit,
        }
        return await self._page("cash-locations", models.parse_cash_location, params)

    async def create_cash_in(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.CashIn:
        return await self._create("cash-ins", body, models.parse_cash_in, idempotency_key)

    async def get_cash_in(self, cash_in_id: str, *, retry: bool = True) -> models.CashIn:
        return await self._get_resource(
            f"cash-ins/{_seg(cash_in_id)}", models.parse_cash_in, retryable=retry
        )

    async def list_cash_ins(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.CashIn]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        params |= {"status": status, "customerId": customer_id}
        return await self._page("cash-ins", models.parse_cash_in, params)

    def iter_cash_ins(self, **kw: Any) -> AsyncIterator[models.CashIn]:
        kw.setdefault("limit", 100)
        return iterate_items(self.list_cash_ins, **kw)

    async def refresh_cash_in(
        self, cash_in_id: str, *, idempotency_key: str | None = None
    ) -> models.CashIn:
        return await self._create(
            f"cash-ins/{_seg(cash_in_id)}/refresh", {}, models.parse_cash_in, idempotency_key
        )

    # ------------------------------------------------------------------ external accounts

    async def create_external_account(
        self, customer_id: str, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.ExternalAccount:
        details = body.get("bankDetails")
        if (
            isinstance(details, Mapping)
            and "routingNumber" in details
            and not routing_number_valid(details["routingNumber"])
        ):
            raise errors.ValidationError(
                "The routing number must be 9 digits passing the ABA checksum.",
                param="bankDetails.routingNumber",
            )
        return await self._create(
            f"customers/{_seg(customer_id)}/external-accounts",
            body,
            models.parse_external_account,
            idempotency_key,
        )

    async def list_external_accounts(
        self,
        customer_id: str,
        *,
        type: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.ExternalAccount]:
        """``type``: ``usBank`` or ``blockchainAddress`` (D23), or both when ``None``."""
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        params["type"] = type
        return await self._page(
            f"customers/{_seg(customer_id)}/external-accounts",
            models.parse_external_account,
            params,
        )

    async def get_external_account(
        self, customer_id: str, external_account_id: str
    ) -> models.ExternalAccount:
        return await self._get_resource(
            f"customers/{_seg(customer_id)}/external-accounts/{_seg(external_account_id)}",
            models.parse_external_account,
        )

    async def delete_external_account(self, customer_id: str, external_account_id: str) -> None:
        """Delete a bank account or a saved address (D23; early access)."""
        await self._call(
            "DELETE",
            f"customers/{_seg(customer_id)}/external-accounts/{_seg(external_account_id)}",
            idempotency_key=new_idempotency_key(),
        )

    # ------------------------------------------------------------------ saved addresses (D23)
    # Early access in OMS: against a server without them these calls raise NotFound.

    async def create_saved_address(
        self,
        customer_id: str,
        address: str,
        label: str,
        *,
        network: str = "polygon",
        idempotency_key: str | None = None,
    ) -> models.ExternalAccount:
        """Save a customer's known destination address (``cpBcAddr_…``) under a label."""
        body = {"type": "blockchainAddress", "network": network, "address": address}
        body["label"] = label
        return await self.create_external_account(
            customer_id, body, idempotency_key=idempotency_key
        )

    async def list_saved_addresses(
        self, customer_id: str, **kw: Any
    ) -> models.Page[models.ExternalAccount]:
        return await self.list_external_accounts(customer_id, type="blockchainAddress", **kw)

    def iter_saved_addresses(
        self, customer_id: str, **kw: Any
    ) -> AsyncIterator[models.ExternalAccount]:
        kw.setdefault("limit", 100)
        return iterate_items(lambda **p: self.list_saved_addresses(customer_id, **p), **kw)

    # ------------------------------------------------------------------ virtual accounts (D22)
    # Early access in OMS: against a server without them these calls raise NotFound.

    async def create_virtual_account(
        self,
        customer_id: str,
        wallet_id: str,
        *,
        label: str | None = None,
        bank_memo: str | None = None,
        idempotency_key: str | None = None,
    ) -> models.VirtualAccount:
        """A routing and account number of the customer's own, paying into ``wallet_id``."""
        body: dict[str, Any] = {
            "source": {"asset": "usd", "network": "usBank"},
            "destination": {"wallet": {"id": wallet_id}, "asset": "usdc", "network": "polygon"},
        }
        if label is not None:
            body["label"] = label
        if bank_memo is not None:
            body["bankMemo"] = bank_memo
        return await self._create(
            f"customers/{_seg(customer_id)}/virtual-accounts",
            body,
            models.parse_virtual_account,
            idempotency_key,
        )

    async def list_virtual_accounts(
        self,
        customer_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.VirtualAccount]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        return await self._page(
            f"customers/{_seg(customer_id)}/virtual-accounts",
            models.parse_virtual_account,
            params,
        )

    def iter_virtual_accounts(
        self, customer_id: str, **kw: Any
    ) -> AsyncIterator[models.VirtualAccount]:
        kw.setdefault("limit", 100)
        return iterate_items(lambda **p: self.list_virtual_accounts(customer_id, **p), **kw)

    async def get_virtual_account(self, virtual_account_id: str) -> models.VirtualAccount:
        return await self._get_resource(
            f"virtual-accounts/{_seg(virtual_account_id)}", models.parse_virtual_account
        )

    async def set_virtual_account_status(
        self, virtual_account_id: str, status: str | models.VirtualAccountStatus
    ) -> models.VirtualAccount:
        """Pause (``paused``) or resume (``active``) a virtual account."""
        return await self._create(
            f"virtual-accounts/{_seg(virtual_account_id)}",
            {"status": str(status)},
            models.parse_virtual_account,
            method="PATCH",
        )

    async def pause_virtual_account(self, virtual_account_id: str) -> models.VirtualAccount:
        return await self.set_virtual_account_status(virtual_account_id, "paused")

    async def resume_virtual_account(self, virtual_account_id: str) -> models.VirtualAccount:
        return await self.set_virtual_account_status(virtual_account_id, "active")

    async def delete_virtual_account(self, virtual_account_id: str) -> None:
        await self._call(
            "DELETE",
            f"virtual-accounts/{_seg(virtual_account_id)}",
            idempotency_key=new_idempotency_key(),
        )

    # ------------------------------------------------------------------ deposit addresses (D22)

    async def create_deposit_address(
        self,
        customer_id: str,
        wallet_id: str,
        *,
        label: str | None = None,
        idempotency_key: str | None = None,
    ) -> models.DepositAddress:
        """A fresh address receiving USDC on Polygon into ``wallet_id``."""
        body: dict[str, Any] = {
            "source": {"asset": "usdc", "network": "polygon"},
            "destination": {"wallet": {"id": wallet_id}},
        }
        if label is not None:
            body["label"] = label
        return await self._create(
            f"customers/{_seg(customer_id)}/deposit-addresses",
            body,
            models.parse_deposit_address,
            idempotency_key,
        )

    async def list_deposit_addresses(
        self,
        customer_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.DepositAddress]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        return await self._page(
            f"customers/{_seg(customer_id)}/deposit-addresses",
            models.parse_deposit_address,
            params,
        )

    def iter_deposit_addresses(
        self, customer_id: str, **kw: Any
    ) -> AsyncIterator[models.DepositAddress]:
        kw.setdefault("limit", 100)
        return iterate_items(lambda **p: self.list_deposit_addresses(customer_id, **p), **kw)

    async def get_deposit_address(self, deposit_address_id: str) -> models.DepositAddress:
        return await self._get_resource(
            f"deposit-addresses/{_seg(deposit_address_id)}", models.parse_deposit_address
        )

    async def delete_deposit_address(self, deposit_address_id: str) -> None:
        await self._call(
            "DELETE",
            f"deposit-addresses/{_seg(deposit_address_id)}",
            idempotency_key=new_idempotency_key(),
        )

    # ------------------------------------------------------------------ webhooks

    async def create_webhook(
        self,
        url: str,
        events: tuple[str, ...] | list[str] = (),
        enabled: bool = True,
        *,
        idempotency_key: str | None = None,
    ) -> models.WebhookEndpoint:
        body = {"url": url, "events": list(events), "enabled": enabled}
        key = _key(idempotency_key)
        data = self._object(await self._send("POST", "webhooks", json=body, idempotency_key=key))
        if isinstance(data.get("secret"), str):
            register_secret(data["secret"])
        return models.parse_webhook(data)

    async def list_webhooks(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.WebhookEndpoint]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        return await self._page("webhooks", models.parse_webhook, params)

    async def get_webhook(self, webhook_id: str) -> models.WebhookEndpoint:
        return await self._get_resource(f"webhooks/{_seg(webhook_id)}", models.parse_webhook)

    async def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        events: tuple[str, ...] | list[str] | None = None,
        enabled: bool | None = None,
    ) -> models.WebhookEndpoint:
        body: dict[str, Any] = {}
        if url is not None:
            body["url"] = url
        if events is not None:
            body["events"] = list(events)
        if enabled is not None:
            body["enabled"] = enabled
        return await self._create(
            f"webhooks/{_seg(webhook_id)}", body, models.parse_webhook, method="PATCH"
        )

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._call(
            "DELETE", f"webhooks/{_seg(webhook_id)}", idempotency_key=new_idempotency_key()
        )

    async def sandbox_webhook_deliveries(self, webhook_id: str, limit: int = 50) -> list[dict]:
        """Sandbox only: an endpoint's recent deliveries with their attempts, newest first."""
        data = await self._dict(
            "GET", f"sandbox/webhooks/{_seg(webhook_id)}/deliveries", params={"limit": limit}
        )
        items = data.get("data")
        return [d for d in items if isinstance(d, dict)] if isinstance(items, list) else []

    # ------------------------------------------------------------------ cash-in simulation
    # OMS's own sandbox simulation endpoints (not under /sandbox/): they need an idempotency key.

    async def sandbox_barcode_auth(
        self, code: str, amount: Decimal | str, *, idempotency_key: str | None = None
    ) -> dict:
        """Sandbox only: the retail network authorises a cash deposit for a code (D11)."""
        body = {"accountReferenceNumber": code, "amount": _money(amount)}
        key = _key(idempotency_key)
        return await self._dict(
            "POST", "cash-ins/simulate/barcode-auth", json=body, idempotency_key=key
        )

    async def sandbox_auth_commit(
        self, confirmation_id: str, *, idempotency_key: str | None = None
    ) -> dict:
        """Sandbox only: commit an authorised cash deposit (→ cash-in processing, D11)."""
        body = {"originalConfirmationId": confirmation_id}
        key = _key(idempotency_key)
        return await self._dict(
            "POST", "cash-ins/simulate/auth-commit", json=body, idempotency_key=key
        )

    async def sandbox_simulate_bank_deposit(
        self,
        virtual_account_id: str,
        amount: Decimal | str,
        rail: str = "ach_in",
        *,
        sender_routing_number: str | None = None,
        idempotency_key: str | None = None,
    ) -> models.Transaction:
        """Sandbox only: an incoming ACH (``ach_in``) or wire (``wire_in``) deposit to a
        virtual account; returns the ``fiatToCrypto`` transaction it created (D22)."""
        body: dict[str, Any] = {"rail": rail, "amount": _money(amount)}
        if sender_routing_number is not None:
            body["sender"] = {"routingNumber": sender_routing_number}
        return await self._create(
            f"virtual-accounts/{_seg(virtual_account_id)}/simulate",
            body,
            models.parse_transaction,
            idempotency_key,
        )

    async def sandbox_simulate_crypto_deposit(
        self,
        deposit_address_id: str,
        amount: Decimal | str,
        *,
        from_address: str | None = None,
        idempotency_key: str | None = None,
    ) -> models.Transaction:
        """Sandbox only: incoming USDC to a deposit address; returns its inbound
        ``cryptoToCrypto`` transaction (D22)."""
        body: dict[str, Any] = {"amount": _money(amount)}
        if from_address is not None:
            body["fromAddress"] = from_address
        return await self._create(
            f"deposit-addresses/{_seg(deposit_address_id)}/simulate",
            body,
            models.parse_transaction,
            idempotency_key,
        )

    # ------------------------------------------------------------------ sandbox extras (D17)
    # Not part of OMS: they exist only on the embedded sandbox. No idempotency keys and no
    # automatic retries of writes (advancing the clock twice is not harmless).

    async def sandbox_health(self) -> dict:
        """Sandbox only. Needs no token."""
        return await self._dict("GET", "sandbox/health", auth=False)

    async def sandbox_advance_clock(self, seconds: float | int | Decimal) -> datetime | None:
        """Sandbox only: move the sandbox clock; everything due is applied before it answers."""
        if isinstance(seconds, Decimal):
            seconds = int(seconds) if seconds == seconds.to_integral_value() else float(seconds)
        data = await self._dict("POST", "sandbox/clock/advance", json={"seconds": seconds})
        return models.parse_datetime(data.get("now"))

    async def sandbox_deposit(self, wallet_id: str, amount: Decimal | str) -> models.Balance:
        """Sandbox only: simulate an on-chain USDC deposit to the wallet."""
        data = await self._call(
            "POST", f"sandbox/wallets/{_seg(wallet_id)}/deposit", json={"amount": _money(amount)}
        )
        return models.parse_balance(data)

    async def sandbox_find_wallet(self, address: str) -> models.Wallet | None:
        """Sandbox only: the sandbox wallet holding this address, if any."""
        try:
            data = await self._call("GET", "sandbox/wallets", params={"address": address})
        except errors.NotFound:
            return None
        if isinstance(data, Mapping) and isinstance(data.get("data"), list):
            items = data["data"]
            return models.parse_wallet(items[0]) if items else None
        if not data:
            return None
        return models.parse_wallet(data)

    async def sandbox_set_customer_status(self, customer_id: str, status: str) -> models.Customer:
        """Sandbox only: make a customer active or inactive."""
        data = await self._call(
            "PATCH", f"sandbox/customers/{_seg(customer_id)}", json={"status": status}
        )
        return models.parse_customer(data)

    async def sandbox_create_account(self) -> Credentials:
        """Sandbox only: a new, empty account (tenancy tests)."""
        data = await self._dict("POST", "sandbox/accounts", json={})
        creds = Credentials(str(data.get("apiKey", "")), str(data.get("apiSecret", "")))
        register_secret(creds.api_secret)
        return creds
