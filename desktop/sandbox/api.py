"""Helpers shared by the resource routers: responses, idempotency in the same transaction,
list parameters and envelopes (D9), body models."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from .clock import parse_iso
from .errors import ApiError
from .store import Store, dumps


class Body(BaseModel):
    """Base of request bodies: unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")


@dataclass
class IdemContext:
    """Set by the middleware on a request that carries an Idempotency-Key."""

    account: str
    method: str
    path: str
    key: str
    canon: str
    stored: bool = False


def account_of(request: Request) -> str:
    acct = request.scope.get("state", {}).get("account")
    if acct is None:  # the middleware guards every non-public route; belt and braces
        raise ApiError(401, "unauthorized", "Missing bearer token")
    return acct


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        dumps(body).encode(), status_code=status, media_type="application/json", headers=headers
    )


def respond(
    request: Request,
    body: Any,
    status: int = 200,
    tx: Store | None = None,
    raw_json: str | None = None,
) -> Response:
    """Serialise `body` (or use `raw_json`, its serialisation); inside a transaction, also
    record the idempotent result in it, so a crash can never leave a created resource without
    its idempotency record."""
    raw = (raw_json if raw_json is not None else dumps(body)).encode()
    idem: IdemContext | None = request.scope.get("state", {}).get("idem")
    if tx is not None and idem is not None and 200 <= status < 300:
        tx.put_idem(
            (idem.account, idem.method, idem.path, idem.key),
            idem.canon,
            status,
            raw,
            time.time_ns() // 1_000_000,
        )
        idem.stored = True
    return Response(raw, status_code=status, media_type="application/json")


@dataclass
class Paging:
    limit: int
    starting_after: str | None
    ending_before: str | None
    created_after: int | None
    created_before: int | None

    def kwargs(self) -> dict:
        return {
            "limit": self.limit,
            "starting_after": self.starting_after,
            "ending_before": self.ending_before,
            "created_after": self.created_after,
            "created_before": self.created_before,
        }


async def paging(
    limit: int | None = Query(None, description="1–100, default 50"),
    startingAfter: str | None = Query(None, description="item id: the page after it"),
    endingBefore: str | None = Query(None, description="item id: the page before it"),
    createdAfter: str | None = Query(None, description="ISO 8601, inclusive"),
    createdBefore: str | None = Query(None, description="ISO 8601, inclusive"),
) -> Paging:
    if limit is None:
        limit = 50
    if not 1 <= limit <= 100:
        raise ApiError(400, "invalid_request", "limit must be between 1 and 100", "limit")
    if startingAfter is not None and endingBefore is not None:
        raise ApiError(
            400, "invalid_request", "Use startingAfter or endingBefore, not both", "endingBefore"
        )
    ca = cb = None
    if createdAfter is not None:
        ca = parse_iso(createdAfter)
        if ca is None:
            raise ApiError(400, "invalid_request", "createdAfter must be ISO 8601", "createdAfter")
    if createdBefore is not None:
        cb = parse_iso(createdBefore)
        if cb is None:
            raise ApiError(
                400, "invalid_request", "createdBefore must be ISO 8601", "createdBefore"
            )
    return Paging(limit, startingAfter, endingBefore, ca, cb)


def envelope(
    rows: list,
    has_more: bool,
    render: Callable[[list], list[dict]] | None = None,
    with_cursor: bool = False,
) -> dict:
    items = render(rows) if render else [json.loads(r["body"]) for r in rows]
    out = {
        "data": items,
        "hasMore": has_more,
        "nextCursor": items[-1]["id"] if items else None,
        "previousCursor": items[0]["id"] if items else None,
    }
    if with_cursor:
        out["cursor"] = out["nextCursor"]
    return out
