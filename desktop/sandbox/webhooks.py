"""Webhook endpoints (§3.7, D14) and the wiring of the delivery queue.

Endpoints are `resources` rows of kind "webhook"; the signing secret is kept in the row's
`extra` and returned only by the create call. Every event the sandbox emits (store.emit) is
offered to `_on_event`, which queues one delivery per matching enabled endpoint in the same
database transaction; `webhook_delivery.DeliveryWorker` sends them from a background thread.
`GET /sandbox/webhooks/{id}/deliveries` shows recent deliveries and attempts (debugging).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from . import schemas
from . import store as store_mod
from . import webhook_delivery as wd
from .api import Body, Paging, account_of, envelope, json_response, paging, respond
from .clock import iso_ms
from .errors import ApiError
from .ids import new_id
from .runtime import RT
from .store import Store, dumps

log = logging.getLogger(__name__)
router = APIRouter(tags=["Webhook"])
KIND = wd.WEBHOOK_KIND

_worker: wd.DeliveryWorker | None = None
_worker_lock = threading.Lock()


# -- endpoint bodies ----------------------------------------------------------------------------
def _check_url(url: Any) -> str:
    problem = wd.url_problem(url)
    if problem:
        raise ApiError(400, "invalid_request", problem, "url")
    return url


def _check_events(events: Any) -> list[str]:
    if not isinstance(events, list):
        raise ApiError(400, "invalid_request", "events must be an array of strings", "events")
    out: list[str] = []
    for i, e in enumerate(events):
        if not wd.valid_event_pattern(e):
            raise ApiError(
                400,
                "invalid_request",
                f"Unknown event type or pattern {e!r} (exact names or prefix.*)",
                f"events.{i}",
            )
        if e not in out:
            out.append(e)
    return out


def _check_bool(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise ApiError(400, "invalid_request", f"{param} must be true or false", param)
    return value


def _check_description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 500:
        raise ApiError(
            400, "invalid_request", "description must be a string (≤ 500)", "description"
        )
    return value


class WebhookCreate(Body):
    url: Any = None
    events: Any = None
    enabled: Any = None
    description: Any = None


class WebhookUpdate(Body):
    url: Any = None
    events: Any = None
    enabled: Any = None
    description: Any = None


@router.post(
    "/webhooks",
    status_code=201,
    response_model=schemas.WebhookOut,
    summary="Register a webhook endpoint",
)
async def create_webhook(body: WebhookCreate, request: Request):
    account = account_of(request)
    if body.url is None:
        raise ApiError(400, "invalid_request", "url is required", "url")
    url = _check_url(body.url)
    events = _check_events(body.events) if body.events is not None else []
    enabled = _check_bool(body.enabled, "enabled") if body.enabled is not None else True
    description = _check_description(body.description)
    now = RT.now_ms()
    wid = new_id("whk_", now)
    secret = wd.new_secret()
    hook = {
        "id": wid,
        "object": "webhook",
        "url": url,
        "events": events,
        "enabled": enabled,
        "status": "active" if enabled else "disabled",
        "complianceOnly": False,
        "description": description,
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
    }
    with RT.store.tx() as tx:
        _accounts_with_endpoints(tx).add(account)
        tx.insert_resource(
            id=wid,
            account=account,
            kind=KIND,
            body=hook,
            created_ms=now,
            status=hook["status"],
            extra={"secret": secret},
        )
        return respond(request, {**hook, "secret": secret}, 201, tx)


def _load(store: Store, account: str, wid: str) -> dict:
    body = store.get_body(KIND, account, wid)
    if body is None:
        raise ApiError(404, "not_found", "No such webhook", "webhookId")
    return body


@router.get("/webhooks", response_model=schemas.WebhookPage, summary="List webhook endpoints (D9)")
async def list_webhooks(request: Request, p: Paging = Depends(paging)):
    account = account_of(request)
    rows, has_more = RT.store.page(KIND, account, **p.kwargs())
    return json_response(envelope(rows, has_more))


@router.get(
    "/webhooks/{webhookId}", response_model=schemas.WebhookOut, summary="Get a webhook endpoint"
)
async def get_webhook(webhookId: str, request: Request):
    return json_response(_load(RT.store, account_of(request), webhookId))


@router.patch(
    "/webhooks/{webhookId}", response_model=schemas.WebhookOut, summary="Update a webhook endpoint"
)
async def update_webhook(webhookId: str, body: WebhookUpdate, request: Request):
    account = account_of(request)
    store = RT.store
    hook = _load(store, account, webhookId)
    sent = body.model_fields_set
    changes: dict[str, Any] = {}
    if "url" in sent:
        changes["url"] = _check_url(body.url)
    if "events" in sent:
        changes["events"] = _check_events(body.events)
    if "enabled" in sent:
        changes["enabled"] = _check_bool(body.enabled, "enabled")
    if "description" in sent:
        changes["description"] = _check_description(body.description)
    now = RT.now_ms()
    with store.tx() as tx:
        hook.update(changes)
        hook["status"] = "active" if hook["enabled"] else "disabled"
        hook["updatedAt"] = iso_ms(now)
        tx.update_resource(hook["id"], hook, now, status=hook["status"])
        out = respond(request, hook, 200, tx)
    _wake()
    return out


@router.delete(
    "/webhooks/{webhookId}",
    status_code=204,
    response_class=Response,
    summary="Delete a webhook endpoint",
)
async def delete_webhook(webhookId: str, request: Request):
    account = account_of(request)
    store = RT.store
    _load(store, account, webhookId)
    with store.tx() as tx:
        tx.execute(
            "DELETE FROM resources WHERE id=? AND account=? AND kind=?", (webhookId, account, KIND)
        )
        tx.execute(
            "UPDATE webhook_deliveries SET status='cancelled', next_attempt_ms=NULL"
            " WHERE endpoint_id=? AND status='pending'",
            (webhookId,),
        )
    return Response(status_code=204)


@router.get(
    "/sandbox/webhooks/{webhookId}/deliveries",
    response_model=schemas.WebhookDeliveryList,
    summary="Recent deliveries of an endpoint with their attempts (sandbox debugging extra)",
)
async def list_deliveries(webhookId: str, request: Request, limit: int | None = Query(None)):
    account = account_of(request)
    _load(RT.store, account, webhookId)
    if limit is None:
        limit = 50
    if not 1 <= limit <= 100:
        raise ApiError(400, "invalid_request", "limit must be between 1 and 100", "limit")
    items = wd.list_deliveries(RT.store, webhookId, limit, iso_ms)
    return json_response({"data": items, "hasMore": False})


# -- wiring: event listener, 410 handling, the worker ------------------------------------------
_endpoint_accounts: set[str] | None = None


def _accounts_with_endpoints(store: Store) -> set[str]:
    """Accounts that may have webhook endpoints: a superset (an account is added before its
    first endpoint is inserted and never removed), so events of any other account skip the
    endpoint lookup."""
    global _endpoint_accounts
    if store.backend != "sqlite":  # other workers add endpoints too: ask the database
        return {
            r[0] for r in store.all("SELECT DISTINCT account FROM resources WHERE kind=?", (KIND,))
        }
    if _endpoint_accounts is None:
        _endpoint_accounts = {
            r[0] for r in store.all("SELECT DISTINCT account FROM resources WHERE kind=?", (KIND,))
        }
    return _endpoint_accounts


def _on_event(
    store: Store, event: dict, body: str | None = None, created_ms: int | None = None
) -> None:
    account = event["account"]
    if account not in _accounts_with_endpoints(store):
        return
    if body is None:
        body = dumps({k: v for k, v in event.items() if k != "account"})
    if created_ms is None:
        created = store.one("SELECT created_ms FROM events WHERE id=?", (event["id"],))
        created_ms = created[0] if created else RT.now_ms()
    if wd.enqueue(store, account, event["id"], event["type"], body, created_ms):
        _ensure_worker()
        _wake()


def _on_disabled(tx: Store, endpoint_id: str, now: int) -> None:
    row = tx.one("SELECT body FROM resources WHERE id=? AND kind=?", (endpoint_id, KIND))
    if row is None:
        return
    hook = json.loads(row[0])
    hook.update(enabled=False, status="disabled", updatedAt=iso_ms(now))
    tx.update_resource(endpoint_id, hook, now, status="disabled")


def _wake() -> None:
    if _worker is not None:
        _worker.wake()


def _ensure_worker() -> None:
    global _worker
    with _worker_lock:
        if _worker is None and RT.store is not None and RT.clock is not None:
            _worker = wd.DeliveryWorker(RT.store, RT.now_ms, on_disabled=_on_disabled)
            _worker.start()


def start(store: Store) -> None:
    """Start-up step (app.STARTUP): the delivery tables, the event hook and the worker."""
    wd.init_schema(store)
    if _on_event not in store_mod.event_listeners:
        store_mod.event_listeners.append(_on_event)
    _ensure_worker()
