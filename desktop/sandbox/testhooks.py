"""Sandbox test hooks (off unless the environment asks for them; never in OpenAPI).

`OMS_SANDBOX_TEST_HOLD=key1,key2` (read when the app is created) arms a one-shot hold per
Idempotency-Key: the first request carrying that key claims it (D3 in-flight), then blocks
until released, so a test can fire a concurrent duplicate deterministically, without sleeping.

    POST /v0.9/sandbox/test/hold/wait    {"idempotencyKey": k}   -> 200 once a request is held
    POST /v0.9/sandbox/test/hold/release {"idempotencyKey": k, "crash": false}
        -> 200; the held request goes on, or (crash: true) its handler raises, as a bug would.
"""

from __future__ import annotations

import asyncio
import os

from fastapi import APIRouter, Request
from pydantic import StrictBool, StrictStr

from .api import Body, account_of, json_response
from .errors import ApiError

ENV_HOLD = "OMS_SANDBOX_TEST_HOLD"
WAIT_TIMEOUT_S = 30.0


class SimulatedCrash(RuntimeError):
    """Raised inside a held request released with crash=true."""


class _Hold:
    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.released = asyncio.Event()
        self.crash = False
        self.used = False


class Holds:
    def __init__(self, keys: list[str]):
        self._holds = {k: _Hold() for k in keys}

    async def arrive(self, key: str) -> None:
        """Called by the middleware right after a request has claimed `key`."""
        hold = self._holds.get(key)
        if hold is None or hold.used:
            return
        hold.used = True
        hold.held.set()
        await hold.released.wait()
        if hold.crash:
            raise SimulatedCrash(f"test hook: simulated crash of the request with key {key!r}")

    def get(self, key: str) -> _Hold:
        hold = self._holds.get(key)
        if hold is None:
            raise ApiError(404, "not_found", "No test hold armed for this key", "idempotencyKey")
        return hold


HOLDS: Holds | None = None


def configure() -> Holds | None:
    """Read the environment (once, at app creation)."""
    global HOLDS
    raw = os.environ.get(ENV_HOLD, "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    HOLDS = Holds(keys) if keys else None
    return HOLDS


router = APIRouter(prefix="/sandbox/test", include_in_schema=False)


class HoldRequest(Body):
    idempotencyKey: StrictStr
    crash: StrictBool = False


@router.post("/hold/wait")
async def wait_held(body: HoldRequest, request: Request):
    account_of(request)
    hold = HOLDS.get(body.idempotencyKey)  # type: ignore[union-attr]
    try:
        await asyncio.wait_for(hold.held.wait(), WAIT_TIMEOUT_S)
    except TimeoutError:
        raise ApiError(409, "invalid_state", "No request arrived with this key") from None
    return json_response({"idempotencyKey": body.idempotencyKey, "held": True})


@router.post("/hold/release")
async def release(body: HoldRequest, request: Request):
    account_of(request)
    hold = HOLDS.get(body.idempotencyKey)  # type: ignore[union-attr]
    hold.crash = body.crash
    hold.released.set()
    return json_response({"idempotencyKey": body.idempotencyKey, "released": True})
