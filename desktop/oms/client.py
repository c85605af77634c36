"""Async OMS client on ``httpx.AsyncClient`` (contract: /work/shared/OMS_API.md, D1–D21).

* Token exchange at ``POST /auth/token``; renewal at receipt + expiresIn − min(60 s, expiresIn/2)
  on the monotonic clock and once on a 401; concurrent callers share one renewal (D15).
* Every POST (except ``/auth/token`` and the ``/sandbox/`` extras) carries an
  ``Idempotency-Key``; callers may pass their own (D3). PATCH and DELETE carry one too.
* Errors map to :mod:`desktop.oms.errors` by ``error.code`` (D1/D2).
* Retries: GETs retry network errors, 5xx and 429 with jittered exponential backoff under a
  deadline, honouring ``Retry-After``. Writes retry only when they carry an idempotency key —
  always with the *same* key — on network errors, 5xx, 429 and 409 ``idempotency_key_in_use``.
* ``https`` is required except for loopback hosts.
* Logs never contain ``Authorization``, secrets or account numbers (:mod:`desktop.oms.redact`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json as _json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from . import errors, models
from .accounts import account_scope_for
from .paging import iterate_items
from .redact import RedactingFilter, redact_obj, redact_text, register_secret

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


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key!r}, api_secret='***')"


CredentialsSource = Credentials | Callable[[], Awaitable[Credentials]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # total tries of one request (first + retries)
    base: float = 0.3  # first backoff, seconds
    cap: float = 8.0  # largest single backoff
    deadline: float = 30.0  # no retry starts later than this after the first try
    max_retry_after: float = 60.0  # a longer Retry-After is raised to the caller instead


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _key(key: str | None) -> str:
    return new_idempotency_key() if key is None else key


def _valid_key(key: str) -> bool:
    return isinstance(key, str) and 1 <= len(key) <= 255 and all(" " <= ch <= "~" for ch in key)


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        self._monotonic = monotonic
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,
        )
        self._token: str | None = None
        self._renew_at: float = 0.0
        self._renewal: asyncio.Future[str] | None = None
        self.token_exchanges = 0  # how many times /auth/token was called (diagnostics/tests)
        self.requests_sent = 0  # HTTP attempts made (diagnostics/benchmarks)
        self.server_time_offset: timedelta | None = None
        self.last_server_date: datetime | None = None
        self._closed = False
        self.api_key: str | None = (
            credentials.api_key if isinstance(credentials, Credentials) else None
        )

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> OmsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        if self._renewal is not None and not self._renewal.done():
            self._renewal.cancel()
        await self._http.aclose()

    @property
    def is_sandbox_key(self) -> bool | None:
        if isinstance(self._credentials, Credentials):
            return "_sdbx_" in self._credentials.api_key
        return None

    # ------------------------------------------------------------------ auth

    async def authenticate(self) -> None:
        """Exchange the credentials for a fresh token now (``Test connection``)."""
        await self._renew(stale=self._token, force=True)

    async def account_scope(self) -> str:
        """Which account a journalled request belongs to (outbox): ``account_id`` when the
        composition root gave one, else derived from the base URL and the API key."""
        if self.account_id:
            return self.account_id
        if self.api_key is None:
            await self._current_token()
        return account_scope_for(self.base_url, self.api_key or "")

    async def _current_token(self) -> str:
        if self._token is not None and self._monotonic() < self._renew_at:
            return self._token
        return await self._renew(stale=self._token)

    async def _renew(self, *, stale: str | None, force: bool = False) -> str:
        # Somebody else already replaced the token we found stale: use theirs.
        if (
            not force
            and self._token is not None
            and self._token != stale
            and self._monotonic() < self._renew_at
        ):
            return self._token
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.ensure_future(self._exchange())
            self._renewal.add_done_callback(lambda f: f.cancelled() or f.exception())
        fut = self._renewal
        try:
            return await asyncio.shield(fut)
        finally:
            if fut.done() and self._renewal is fut:
                self._renewal = None
                if not fut.cancelled():
                    fut.exception()  # mark retrieved

    async def _exchange(self) -> str:
        creds = self._credentials
        if not isinstance(creds, Credentials):
            creds = await creds()
        register_secret(creds.api_secret)
        self.api_key = creds.api_key
        self.token_exchanges += 1
        resp = await self._send(
            "POST",
            "auth/token",
            json={"apiKey": creds.api_key, "apiSecret": creds.api_secret},
            auth=False,
            retryable=True,  # exchanging a token twice is harmless
        )
        received = self._monotonic()
        token = models.parse_token(self._json(resp))
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
        self._token = token.access_token
        self._renew_at = received + ttl - min(60.0, ttl / 2)
        log.debug("token obtained, renews in %.0f s", self._renew_at - received)
        return token.access_token

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

    def _backoff(self, attempt: int) -> float:
        p = self.retry
        return min(p.cap, p.base * (2**attempt)) * random.uniform(0.5, 1.0)

    @staticmethod
    def _json(resp: httpx.Response) -> Any:
        try:
            return resp.json()
        except (ValueError, UnicodeDecodeError):
            return None

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
        if idempotency_key is not None and not _valid_key(idempotency_key):
            raise ValueError("an Idempotency-Key is 1–255 printable ASCII characters (D3)")
        if retryable is None:
            retryable = method == "GET" or idempotency_key is not None
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        body = _jsonable(json) if json is not None else None
        start = self._monotonic()
        attempt = 0
        auth_retried = False
        while True:
            headers: dict[str, str] = {}
            token = None
            if auth:
                token = await self._current_token()
                headers["Authorization"] = f"Bearer {token}"
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            if body is not None:
                headers["Content-Type"] = "application/json"
            content = _json.dumps(body).encode() if body is not None else None
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "→ %s /%s %s%s",
                    method,
                    path,
                    clean_params or "",
                    _json.dumps(redact_obj(body)) if body is not None else "",
                )
            t0 = self._monotonic()
            self.requests_sent += 1
            try:
                resp = await self._http.request(
                    method, path, params=clean_params, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if isinstance(exc, httpx.TimeoutException):
                    msg = "The payments service did not answer in time."
                else:
                    msg = None
                err: errors.OmsError = errors.NetworkError(msg, maybe_sent=not not_sent)
                log.warning(
                    "%s /%s failed: %s (%s)",
                    method,
                    path,
                    type(exc).__name__,
                    redact_text(str(exc)),
                )
                delay = self._retry_delay(attempt, None, start) if retryable else None
                if delay is None:
                    raise err from exc
                attempt += 1
                await self._sleep(delay)
                continue
            self._note_date(resp)
            rid = resp.headers.get("request-id")
            elapsed_ms = (self._monotonic() - t0) * 1000
            if resp.is_success:
                log.debug(
                    "← %s /%s %d %.0f ms %s%s",
                    method,
                    path,
                    resp.status_code,
                    elapsed_ms,
                    rid or "",
                    " (replayed)" if resp.headers.get("idempotent-replayed") == "true" else "",
                )
                return resp
            data = self._json(resp)
            err = errors.error_from_response(resp.status_code, data, resp.headers)
            log.info(
                "← %s /%s %d %s %s %.0f ms",
                method,
                path,
                resp.status_code,
                err.code or "",
                rid or "",
                elapsed_ms,
            )
            if resp.status_code == 401 and auth and not auth_retried:
                auth_retried = True
                await self._renew(stale=token)
                continue
            if isinstance(err, errors.AuthError) and not auth:
                raise err
            delay = None
            if retryable and self._retryable_status(resp.status_code, err):
                hint = errors.parse_retry_after(resp.headers.get("retry-after"))
                delay = self._retry_delay(attempt, hint, start)
            if delay is None:
                raise err
            attempt += 1
            await self._sleep(delay)

    @staticmethod
    def _retryable_status(status: int, err: errors.OmsError) -> bool:
        if status >= 500 or status == 429:
            return True
        return isinstance(err, errors.IdempotencyError) and err.in_use

    def _retry_delay(self, attempt: int, retry_after: float | None, start: float) -> float | None:
        """Delay before the next try, or None when the budget (attempts/deadline) is spent."""
        p = self.retry
        if attempt + 1 >= p.attempts:
            return None
        if retry_after is not None:
            if retry_after > p.max_retry_after:
                return None
            delay = retry_after + random.uniform(0, min(1.0, p.base))
        else:
            delay = self._backoff(attempt)
        if self._monotonic() - start + delay > p.deadline:
            return None
        return delay

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        resp = await self._send(method, path, **kw)
        if resp.status_code == 204 or not resp.content:
            return None
        return self._json(resp)

    async def _post(self, path: str, body: Any, idempotency_key: str | None = None) -> Any:
        return await self._call("POST", path, json=body, idempotency_key=_key(idempotency_key))

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
        return models.parse_page(await self._call("GET", path, params=params), parser)

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
        return models.parse_customer(await self._call("GET", f"customers/{_seg(customer_id)}"))

    async def create_customer(
        self, fields: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.Customer:
        body = dict(fields)
        body.setdefault("type", "individual")
        return models.parse_customer(await self._post("customers", body, idempotency_key))

    async def update_customer(
        self, customer_id: str, fields: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.Customer:
        data = await self._call(
            "PATCH",
            f"customers/{_seg(customer_id)}",
            json=dict(fields),
            idempotency_key=_key(idempotency_key),
        )
        return models.parse_customer(data)

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
        data = await self._post(
            f"customers/{_seg(customer_id)}/wallets",
            {"asset": asset, "chain": chain},
            idempotency_key,
        )
        return models.parse_wallet(data)

    async def get_wallet(self, wallet_id: str) -> models.Wallet:
        return models.parse_wallet(await self._call("GET", f"wallets/{_seg(wallet_id)}"))

    async def get_balance(self, wallet_id: str, *, currency: str | None = None) -> models.Balance:
        data = await self._call(
            "GET",
            f"wallets/{_seg(wallet_id)}/balance",
            params={"estimatedBalanceCurrencyCode": currency},
        )
        return models.parse_balance(data)

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
        data = self._json(resp)
        created = models.parse_datetime(data.get("createdAt")) if isinstance(data, dict) else None
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
        return models.parse_transaction(await self._post("transactions", body, idempotency_key))

    async def get_transaction(
        self, transaction_id: str, *, retry: bool = True
    ) -> models.Transaction:
        data = await self._call("GET", f"transactions/{_seg(transaction_id)}", retryable=retry)
        return models.parse_transaction(data)

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
        return models.parse_cash_in(await self._post("cash-ins", body, idempotency_key))

    async def get_cash_in(self, cash_in_id: str, *, retry: bool = True) -> models.CashIn:
        data = await self._call("GET", f"cash-ins/{_seg(cash_in_id)}", retryable=retry)
        return models.parse_cash_in(data)

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
        data = await self._post(f"cash-ins/{_seg(cash_in_id)}/refresh", {}, idempotency_key)
        return models.parse_cash_in(data)

    # ------------------------------------------------------------------ external accounts

    async def create_external_account(
        self, customer_id: str, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> models.ExternalAccount:
        data = await self._post(
            f"customers/{_seg(customer_id)}/external-accounts", body, idempotency_key
        )
        return models.parse_external_account(data)

    async def list_external_accounts(
        self,
        customer_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> models.Page[models.ExternalAccount]:
        params = self._paging(limit, starting_after, ending_before, created_after, created_before)
        return await self._page(
            f"customers/{_seg(customer_id)}/external-accounts",
            models.parse_external_account,
            params,
        )

    async def get_external_account(
        self, customer_id: str, external_account_id: str
    ) -> models.ExternalAccount:
        data = await self._call(
            "GET",
            f"customers/{_seg(customer_id)}/external-accounts/{_seg(external_account_id)}",
        )
        return models.parse_external_account(data)

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
        data = await self._post("webhooks", body, idempotency_key)
        if isinstance(data, Mapping) and isinstance(data.get("secret"), str):
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
        return models.parse_webhook(await self._call("GET", f"webhooks/{_seg(webhook_id)}"))

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
        data = await self._call(
            "PATCH",
            f"webhooks/{_seg(webhook_id)}",
            json=body,
            idempotency_key=new_idempotency_key(),
        )
        return models.parse_webhook(data)

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._call(
            "DELETE", f"webhooks/{_seg(webhook_id)}", idempotency_key=new_idempotency_key()
        )

    # ------------------------------------------------------------------ cash-in simulation
    # OMS's own sandbox simulation endpoints (not under /sandbox/): they need an idempotency key.

    async def sandbox_barcode_auth(
        self, code: str, amount: Decimal | str, *, idempotency_key: str | None = None
    ) -> dict:
        """Sandbox only: the retail network authorises a cash deposit for a code (D11)."""
        body = {"accountReferenceNumber": code, "amount": _money(amount)}
        return await self._post("cash-ins/simulate/barcode-auth", body, idempotency_key) or {}

    async def sandbox_auth_commit(
        self, confirmation_id: str, *, idempotency_key: str | None = None
    ) -> dict:
        """Sandbox only: commit an authorised cash deposit (→ cash-in processing, D11)."""
        body = {"originalConfirmationId": confirmation_id}
        return await self._post("cash-ins/simulate/auth-commit", body, idempotency_key) or {}

    # ------------------------------------------------------------------ sandbox extras (D17)
    # Not part of OMS: they exist only on the embedded sandbox. No idempotency keys and no
    # automatic retries of writes (advancing the clock twice is not harmless).

    async def sandbox_health(self) -> dict:
        """Sandbox only. Needs no token."""
        return await self._call("GET", "sandbox/health", auth=False) or {}

    async def sandbox_advance_clock(self, seconds: float | int | Decimal) -> datetime | None:
        """Sandbox only: move the sandbox clock; everything due is applied before it answers."""
        if isinstance(seconds, Decimal):
            seconds = int(seconds) if seconds == seconds.to_integral_value() else float(seconds)
        data = await self._call("POST", "sandbox/clock/advance", json={"seconds": seconds})
        return models.parse_datetime((data or {}).get("now"))

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
        data = await self._call("POST", "sandbox/accounts", json={}) or {}
        creds = Credentials(str(data.get("apiKey", "")), str(data.get("apiSecret", "")))
        register_secret(creds.api_secret)
        return creds
