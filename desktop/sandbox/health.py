"""GET /v0.9/sandbox/health (D17, D20): liveness and the sandbox clock, no token needed.

On its own (not in extras.py) because it is one of the first screen's requests, served
before the other rails are mounted (app.FIRST_SCREEN)."""

from __future__ import annotations

import os

from fastapi import APIRouter

from . import schemas
from .api import json_response
from .clock import iso_ms
from .runtime import RT

router = APIRouter(prefix="/sandbox", tags=["Sandbox"])


@router.get(
    "/health",
    response_model=schemas.HealthOut,
    summary="Liveness and the sandbox clock (no token needed)",
)
async def health():
    reachable = RT.store.ping()
    return json_response(
        {
            "status": "ok" if reachable else "degraded",
            "now": iso_ms(RT.now_ms()),
            "backend": RT.store.backend,
            "workers": RT.workers,
            "database": "reachable" if reachable else "unreachable",
            "pid": os.getpid(),
        },
        200 if reachable else 503,
    )
