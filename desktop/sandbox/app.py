"""The sandbox ASGI application: routers, D1 errors, auth, D3 idempotency, Request-Id and a
Date header from the sandbox clock (D18).

`create_app()` returns a FastAPI app wrapped in `SandboxMiddleware` (a plain ASGI middleware,
so it adds almost nothing per request). Route handlers are `async def` and do short,
synchronous SQLite work: requests are served one at a time on the event loop, which keeps
state changes serial without further locking.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import sys
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from . import auth, customers, health, settlement
from .api import IdemContext, json_response
from .clock import http_date
from .errors import ApiError
from .ids import new_id
from .runtime import RT
from .schemas import ERROR_RESPONSES
from .store import dumps

log = logging.getLogger("desktop.sandbox")

PREFIX = "/v0.9"
PUBLIC_PATHS = {
    f"{PREFIX}/auth/token",
    f"{PREFIX}/sandbox/health",
    f"{PREFIX}/openapi.json",
    f"{PREFIX}/docs",
    f"{PREFIX}/docs/oauth2-redirect",
}
IDEM_RETENTION_MS = 24 * 3600 * 1000
AMOUNT_KEYS = {"amount", "indicatedAmount"}
REPLAYABLE_409 = {"quote_expired", "quote_not_open", "invalid_state"}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Request bodies (D1 errors): larger than this -> 413 request_too_large, read no further.
MAX_BODY_BYTES = 256 * 1024
# Inside a JSON body: nesting depth, entries per object or array, characters per string
# (keys included). Beyond them -> 400 invalid_request naming the field.
MAX_JSON_DEPTH = 32
MAX_JSON_ENTRIES = 100
MAX_STRING_CHARS = 1000


def error_body(code: str, message: str, param: str | None, request_id: str | None) -> dict:
    return {"error": {"code": code, "message": message, "param": param, "requestId": request_id}}


def _request_id(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def storable(status: int, code: str | None) -> bool:
    """Which results an Idempotency-Key keeps and replays (D3)."""
    if 200 <= status < 300 or status in (403, 404):
        return True
    if status == 409:
        return code in REPLAYABLE_409
    if status == 422:
        return code != "idempotency_key_reused"
    return False


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def body_problem(parsed: Any) -> tuple[str, str, str | None] | None:
    """What makes a parsed JSON body unacceptable, as (code, message, param), or None.

    Iterative, so a deep body cannot exhaust the stack; every string (keys too) must be valid
    UTF-8 (a lone surrogate such as "\\ud800" cannot be stored) and short enough."""
    stack: list[tuple[Any, str | None, int]] = [(parsed, None, 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if len(node) > MAX_STRING_CHARS:
                if path and path.rsplit(".", 1)[-1] in AMOUNT_KEYS:
                    return "invalid_amount", "Amount is too long", path
                msg = f"{path or 'body'} is longer than {MAX_STRING_CHARS} characters"
                return "invalid_request", msg, path
            if not node.isascii() and _has_surrogate(node):
                return "invalid_request", f"{path or 'body'} is not valid Unicode text", path
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            msg = f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
            return "invalid_request", msg, path
        if len(node) > MAX_JSON_ENTRIES:
            msg = f"{path or 'body'} has more than {MAX_JSON_ENTRIES} entries"
            return "invalid_request", msg, path
        if isinstance(node, list):
            for i, value in enumerate(node):
                stack.append((value, f"{path}.{i}" if path else str(i), depth + 1))
            continue
        for key, value in node.items():
            if len(key) > MAX_STRING_CHARS or (not key.isascii() and _has_surrogate(key)):
                return "invalid_request", f"{path or 'body'} has an invalid key", path
            stack.append((value, f"{path}.{key}" if path else key, depth + 1))
    return None


class _Disconnected(Exception):
    """The client went away while sending its body."""


async def read_body(receive) -> bytes | None:
    """The whole request body, or None as soon as it passes MAX_BODY_BYTES (the rest is never
    read: the connection is closed after the 413)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise _Disconnected
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not msg.get("more_body"):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _declared_length(scope) -> int | None:
    for k, v in scope["headers"]:
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


# -- exception handlers (inside FastAPI) -------------------------------------------------
async def _api_error(request: Request, exc: ApiError):
    headers = getattr(exc, "headers", None)
    return json_response(
        error_body(exc.code, exc.message, exc.param, _request_id(request)), exc.status, headers
    )


def _param_of(loc: tuple) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    # Drop pydantic's union/type tags (e.g. 'str', 'function-after[...]').
    parts = [p for p in parts if not (p in ("str", "int", "float", "bool") or "[" in p)]
    return ".".join(parts) or None


async def _validation_error(request: Request, exc: RequestValidationError):
    errors = exc.errors()
    err = errors[0] if errors else {}
    etype = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    if etype == "json_invalid":
        body = error_body("invalid_request", "Malformed JSON body", None, _request_id(request))
        return json_response(body, 400)
    param = _param_of(loc)
    if etype == "missing" and param is None:
        body = error_body("invalid_request", "A JSON body is required", None, _request_id(request))
        return json_response(body, 400)
    last = param.rsplit(".", 1)[-1] if param else ""
    if etype != "missing" and last in AMOUNT_KEYS:
        code, msg = "invalid_amount", "Amount must be a decimal string"
    elif etype == "missing":
        code, msg = "invalid_request", f"{param} is required"
    else:
        code, msg = "invalid_request", f"{param or 'body'}: {err.get('msg', 'invalid value')}"
    return json_response(error_body(code, msg, param, _request_id(request)), 400)


async def _http_error(request: Request, exc: StarletteHTTPException):
    if exc.status_code == 404:
        code, msg = "not_found", "No such route"
    elif exc.status_code == 405:
        code, msg = "method_not_allowed", "Method not allowed on this route"
    elif exc.status_code == 401:
        code, msg = "unauthorized", str(exc.detail)
    elif exc.status_code >= 500:
        code, msg = "internal_error", "Internal error"
    else:
        code, msg = "invalid_request", str(exc.detail)
    headers = dict(exc.headers or {})
    return json_response(
        error_body(code, msg, None, _request_id(request)), exc.status_code, headers
    )


async def _internal_error(request: Request, exc: Exception):
    log.exception("unhandled error", exc_info=exc)
    body = error_body("internal_error", "Internal error", None, _request_id(request))
    return json_response(body, 500)


# -- rate limits (team sandbox, D2 429) ---------------------------------------------------
class RateLimiter:
    """A token bucket per bearer token (this worker's share): `rate` requests per second on
    average, bursts of up to 2 s worth. In memory; tokens unseen for a minute are forgotten."""

    def __init__(self) -> None:
        self.buckets: dict[str, list[float]] = {}
        self.swept = time.monotonic()

    def take(self, token: str, rate: float) -> int:
        """0 if the request may run, else whole seconds to wait (Retry-After, >= 1)."""
        now = time.monotonic()
        burst = max(1.0, 2 * rate)
        if now - self.swept > 60:
            self.buckets = {k: b for k, b in self.buckets.items() if now - b[1] < 60}
            self.swept = now
        bucket = self.buckets.get(token)
        if bucket is None:
            bucket = self.buckets[token] = [burst, now]
        level = min(burst, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if level >= 1:
            bucket[0] = level - 1
            return 0
        bucket[0] = level
        return max(1, math.ceil((1 - level) / rate))


# -- the outer ASGI middleware ------------------------------------------------------------
class SandboxMiddleware:
    """Request-Id + Date on every response, bearer auth, Idempotency-Key handling."""

    def __init__(self, app: FastAPI):
        self.app = app
        # D3 in-flight claims are the store's (store.claim_idem): in memory on SQLite (one
        # process owns the data dir), in the database on PostgreSQL (several workers).
        self.limiter = RateLimiter()
        self.holds = None  # testhooks.HOLDS once the rails are mounted (OMS_SANDBOX_TEST_HOLD)
        self.rails_mounted = False
        self.rails_error: BaseException | None = None
        # Set once the first screen is served (or the rails are mounted): __main__ mounts the
        # rest then, off the path of the desk's first requests.
        self.first_screen_served = asyncio.Event()

    def mount_rails(self) -> None:
        """Import and mount every other rail, once (see RAILS); re-raises a failed import."""
        if self.rails_mounted:
            return
        if self.rails_error is not None:
            raise self.rails_error
        try:
            mount_rails(self.app)
        except RailImportError as e:  # for good: the process ends with exit 4 (__main__)
            self.rails_error = e
            self.first_screen_served.set()
            raise
        from . import testhooks

        gc.freeze()  # the rails' modules and routes live as long as the process (see __main__)
        self.holds = testhooks.HOLDS
        self.rails_mounted = True
        self.first_screen_served.set()
        settlement.prepare = None

    def __getattr__(self, name: str) -> Any:  # expose the FastAPI app's attributes
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:  # PostgreSQL: another worker may have advanced the one clock
            RT.clock.refresh()
        except Exception:
            if scope["path"] != f"{PREFIX}/sandbox/health":  # health reports the outage
                raise
        now = RT.now_ms()
        request_id = new_id("req_", now)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                await RT.store.sync()  # group commit: never answer before it is durable
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"request-id", request_id.encode()))
                headers.append((b"date", http_date(RT.now_ms()).encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def send_error(status, code, message, param=None, extra_headers=()):
            raw = dumps(error_body(code, message, param, request_id)).encode()
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(raw)).encode()),
                        *extra_headers,
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": raw})

        try:
            path: str = scope["path"]
            method: str = scope["method"]
            first = (method, path) in FIRST_SCREEN
            if not first and not self.rails_mounted:
                self.mount_rails()  # any other request: every route, every start-up step
            if not path.startswith(PREFIX):
                await self.app(scope, receive, send_with_headers)
                return
            public = path in PUBLIC_PATHS
            if not public:
                token = None
                for k, v in scope["headers"]:
                    if k == b"authorization":
                        val = v.decode("latin-1")
                        if val[:7].lower() == "bearer ":
                            token = val[7:].strip()
                        break
                if not token:
                    await send_error(401, "unauthorized", "Missing bearer token")
                    return
                try:
                    state["account"] = auth.account_for_token(RT.store, token, now)
                except ApiError as e:
                    await send_error(e.status, e.code, e.message, e.param)
                    return
                if RT.rate_limit is not None:
                    wait_s = self.limiter.take(token, RT.rate_limit)
                    if wait_s:
                        await send_error(
                            429,
                            "rate_limited",
                            "Too many requests for this token; retry after Retry-After seconds",
                            extra_headers=((b"retry-after", str(wait_s).encode()),),
                        )
                        return
            if method not in BODY_METHODS:
                await self.app(scope, receive, send_with_headers)
                if first and path == FIRST_PAGE_PATH:
                    self.first_screen_served.set()
                return
            # Every body is read here, once, whoever sends it (the token exchange included):
            # bounded in size, then parsed and checked before any handler sees it.
            declared = _declared_length(scope)
            raw = None if declared is not None and declared > MAX_BODY_BYTES else b""
            if raw is not None:
                try:
                    raw = await read_body(receive)
                except _Disconnected:
                    return
            if raw is None:
                await send_error(
                    413,
                    "request_too_large",
                    f"The request body is larger than {MAX_BODY_BYTES} bytes",
                    extra_headers=((b"connection", b"close"),),
                )
                return
            parsed: Any = _MALFORMED
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except RecursionError:
                    await send_error(400, "invalid_request", "The JSON body is nested too deeply")
                    return
                except ValueError:
                    parsed = _MALFORMED
            if parsed is not _MALFORMED:
                problem = body_problem(parsed)
                if problem is not None:
                    await send_error(400, *problem)
                    return
            fed = False

            async def replay_receive():
                nonlocal fed
                if not fed:
                    fed = True
                    return {"type": "http.request", "body": raw, "more_body": False}
                return await receive()

            if not public:
                await self._with_idempotency(
                    scope, raw, parsed, replay_receive, send_with_headers, send_error
                )
                return
            await self.app(scope, replay_receive, send_with_headers)
        except Exception:
            log.exception("unhandled error")
            if not started:
                await send_error(500, "internal_error", "Internal error")

    def _route_exists(self, scope) -> bool:
        for route in self.app.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return True
        return False

    async def _with_idempotency(self, scope, raw, parsed, receive, send, send_error):
        path, method = scope["path"], scope["method"]
        key_raw = None
        for k, v in scope["headers"]:
            if k == b"idempotency-key":
                key_raw = v
                break
        exempt = path.startswith(f"{PREFIX}/sandbox/")
        if exempt:
            await self.app(scope, receive, send)
            return
        if key_raw is None:
            # Required on POST, but an unknown route is still a 404 / 405, not a 400.
            if method == "POST" and self._route_exists(scope):
                await send_error(
                    400,
                    "idempotency_key_required",
                    "Idempotency-Key header is required",
                    "Idempotency-Key",
                )
                return
            await self.app(scope, receive, send)
            return
        key = key_raw.decode("latin-1")
        if not (1 <= len(key) <= 255 and key.isascii() and key.isprintable()):
            await send_error(
                400,
                "invalid_request",
                "Idempotency-Key must be 1-255 printable ASCII characters",
                "Idempotency-Key",
            )
            return
        if parsed is _MALFORMED:
            canon = "raw:" + raw.decode("utf-8", "replace")
        else:
            canon = json.dumps(parsed, sort_keys=True, separators=(",", ":"))
        account = scope["state"]["account"]
        ident = (account, method, path, key)
        store = RT.store
        real_now = time.time_ns() // 1_000_000
        # Claim first, then look for a record: the first request's record is committed before
        # its claim is dropped, so a request that gets the claim always sees that record.
        claim = store.claim_idem(ident, canon, real_now)
        if claim is not None:  # the first request with this key is still running
            if claim != canon:
                await send_error(
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request body",
                    "Idempotency-Key",
                )
            else:
                await send_error(
                    409,
                    "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still in progress",
                    "Idempotency-Key",
                )
            return
        try:
            row = (
                store.one(
                    "SELECT canon, status, body, created_real_ms FROM idem"
                    " WHERE account=? AND method=? AND path=? AND key=?",
                    ident,
                )
                if store.idem_may_exist(ident)
                else None
            )
            if row is not None and row[3] < real_now - IDEM_RETENTION_MS:
                with store.tx() as tx:
                    tx.execute(
                        "DELETE FROM idem WHERE account=? AND method=? AND path=? AND key=?",
                        ident,
                    )
                row = None
            if row is not None:
                store.release_idem(ident)  # before answering (see capture_send)
                if row[0] != canon:
                    await send_error(
                        422,
                        "idempotency_key_reused",
                        "This Idempotency-Key was used with a different request body",
                        "Idempotency-Key",
                    )
                    return
                body = bytes(row[2])
                await send(
                    {
                        "type": "http.response.start",
                        "status": row[1],
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"idempotent-replayed", b"true"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
            if self.holds is not None:
                await self.holds.arrive(key)
            await self._run_claimed(scope, raw, parsed, receive, send, ident, canon, real_now)
        finally:
            store.release_idem(ident)

    async def _run_claimed(self, scope, raw, parsed, receive, send, ident, canon, real_now):
        """Run the request that holds the claim; record a storable result (D3) in the same
        group commit as its response, before the response goes out."""
        method, path = ident[1], ident[2]
        ctx = IdemContext(*ident, canon)
        scope["state"]["idem"] = ctx
        pending_start: list[dict] = []

        store = RT.store

        async def capture_send(message):
            # The claim ends as the response starts, after its record is written: a client
            # that retries at once through another worker gets the replay, never a 409.
            if message["type"] == "http.response.start":
                if ctx.stored:  # recorded by the handler in its own transaction
                    store.release_idem(ident)
                    await send(message)
                else:
                    pending_start.append(message)
                return
            if message["type"] == "http.response.body" and pending_start:
                start = pending_start.pop()
                if not message.get("more_body"):
                    self._record(ctx, start["status"], message.get("body", b""), real_now)
                store.release_idem(ident)
                await send(start)
            await send(message)

        fast = FAST_ROUTES.get((method, path))
        if fast is not None:
            await _fast_call(fast, scope, raw, parsed, receive, capture_send)
        else:
            await self.app(scope, receive, capture_send)
        if pending_start:  # a start without a body (never happens with our responses)
            await send(pending_start.pop())

    @staticmethod
    def _record(ctx: IdemContext, status: int, body: bytes, real_now: int) -> None:
        code = None
        if status >= 400:
            try:
                code = json.loads(body)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = None
        if storable(status, code):
            with RT.store.tx() as tx:
                ident = (ctx.account, ctx.method, ctx.path, ctx.key)
                tx.put_idem(ident, ctx.canon, status, body, real_now)
            ctx.stored = True


# -- fast path for the two hot money POSTs --------------------------------------------------
# POST /quotes and POST /transactions skip FastAPI's router and dependency machinery: the body
# (already read and parsed for idempotency) is validated with the same Pydantic model, the
# same endpoint function runs, and errors are rendered by the same handlers. The FastAPI routes
# stay registered (OpenAPI, and the path any other method takes).
_MALFORMED = object()
FAST_ROUTES: dict[tuple[str, str], tuple[Any, Any]] = {}


async def _fast_call(fast, scope, raw: bytes, parsed, receive, send) -> None:
    model, endpoint = fast
    request = Request(scope, receive)
    try:
        if not raw.strip():
            response = json_response(
                error_body(
                    "invalid_request", "A JSON body is required", None, _request_id(request)
                ),
                400,
            )
        elif parsed is _MALFORMED:
            response = json_response(
                error_body("invalid_request", "Malformed JSON body", None, _request_id(request)),
                400,
            )
        else:
            try:
                body = model.model_validate(parsed)
            except ValidationError as e:
                response = await _validation_error(
                    request,
                    RequestValidationError(
                        [{**err, "loc": ("body", *err["loc"])} for err in e.errors()]
                    ),
                )
            else:
                response = await endpoint(body, request)
    except ApiError as e:
        response = await _api_error(request, e)
    except Exception as e:
        response = await _internal_error(request, e)
    await response(scope, receive, send)


# The API's routers, in the order of the OpenAPI document. Mounted at start: the first
# screen's (the token exchange, customers, health). The other rails are modules, imported and
# mounted on the first request that is not one of FIRST_SCREEN's, or right after the first
# screen is served (see __main__), whichever comes first: their import and route building is
# most of the start's own time (issue 15). A new rail adds its module here (and its start-up
# step below, if it has one). A rail that fails to import ends the process with exit 4
# (__main__), shortly after the ready line instead of before it.
FIRST_ROUTERS = (auth.router, customers.router, health.router)
FIRST_PAGE_PATH = f"{PREFIX}/customers"
FIRST_SCREEN = {
    ("POST", f"{PREFIX}/auth/token"),
    ("GET", FIRST_PAGE_PATH),
    ("GET", f"{PREFIX}/sandbox/health"),
}
RAILS = (
    "customer_routes",  # POST /customers, GET and PATCH /customers/{id}
    "wallets",
    "quotes",
    "transactions",
    "extras",
    "cashins",
    "payouts",
    "webhooks",
    "virtual_accounts",  # D22
    "deposit_addresses",  # D22
    "saved_addresses",  # D23
)
# Start-up steps, (module, function), run when the rails are mounted (RT.store and RT.clock
# exist by then): a rail's own tables, its background workers. Nothing else emits events or
# settles jobs before they have run: every request but FIRST_SCREEN's, and settlement.run_due
# when a job is due (settlement.prepare), mount the rails first.
STARTUP = (
    ("cashins", "init_schema"),
    ("webhooks", "start"),  # the delivery worker: pending deliveries go out after a restart
    ("virtual_accounts", "init_schema"),
    ("saved_addresses", "_migrate"),  # its start-up step (a one-off data migration)
)


class RailImportError(Exception):
    """A rail module failed to import (its error is the __cause__): the server cannot run."""


def rail_modules() -> list:
    """Every rail module, imported (their job handlers register with settlement here)."""
    # __import__, not importlib.import_module: only the import statement's path is timed by
    # `python -X importtime`, which is how the start is measured (issue 15).
    names = [f"{__package__}.{name}" for name in (*RAILS, "testhooks")]
    try:
        for name in names:
            __import__(name)
        return [sys.modules[name] for name in names]
    except Exception as e:
        raise RailImportError(f"{type(e).__name__}: {e}") from e


def mount_rails(app: FastAPI) -> None:
    modules = rail_modules()
    from . import quotes, testhooks, transactions

    by_name = dict(zip((*RAILS, "testhooks"), modules, strict=True))
    for module, step in STARTUP:
        getattr(by_name[module], step)(RT.store)
    for module in modules[: len(RAILS)]:
        app.include_router(module.router, prefix=PREFIX, responses=ERROR_RESPONSES)
    if testhooks.configure() is not None:  # sandbox test hooks, only when asked for
        app.include_router(testhooks.router, prefix=PREFIX)
    FAST_ROUTES[("POST", f"{PREFIX}/quotes")] = (quotes.QuoteCreate, quotes.post_quote)
    FAST_ROUTES[("POST", f"{PREFIX}/transactions")] = (
        transactions.TransactionCreate,
        transactions.post_transaction,
    )
    app.openapi_schema = None  # the document lists every route


def create_fastapi() -> FastAPI:
    """The FastAPI app with the first screen's routes (mount_rails adds the others)."""
    app = FastAPI(
        title="OMS Desk sandbox",
        version="0.9",
        description="Offline OMS-compatible sandbox (contract: OMS_API.md, decisions D1–D24).",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    for router in FIRST_ROUTERS:
        app.include_router(router, prefix=PREFIX, responses=ERROR_RESPONSES)
    _add_security_scheme(app)
    return app


def _add_security_scheme(app: FastAPI) -> None:
    original = app.openapi

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"}
        }
        for path, ops in schema.get("paths", {}).items():
            if path in PUBLIC_PATHS:
                continue
            for method, op in ops.items():
                if not isinstance(op, dict):
                    continue
                op["security"] = [{"bearer": []}]
                if method in ("post", "patch", "delete") and "/sandbox/" not in path:
                    op.setdefault("parameters", []).append(
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": method == "post",
                            "description": "1-255 printable ASCII characters (D3)",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        }
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def create_app(lazy: bool = False) -> SandboxMiddleware:
    """The ASGI app. RT (store, clock, settings) must be set up first (see __main__).

    `lazy`: mount only the first screen's routes now, the other rails later (mount_rails)."""
    app = SandboxMiddleware(create_fastapi())
    if lazy:
        settlement.prepare = app.mount_rails  # a due job needs its rail's handler
    else:
        app.mount_rails()
    return app
