"""Sandbox-only extras under /v0.9/sandbox/ (D17). Not part of OMS; no Idempotency-Key.

(GET /sandbox/health is in health.py: the first screen needs it before this rail is mounted.)
"""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import StrictFloat, StrictInt, StrictStr

from . import auth, schemas, settlement
from .addresses import new_tx_hash
from .api import Body, account_of, json_response, respond
from .clock import iso_ms
from .customers import render_one, set_status
from .errors import invalid, not_found
from .money import parse_amount, usdc
from .runtime import RT
from .store import Store
from .wallets import balance_body, get_wallet

router = APIRouter(prefix="/sandbox", tags=["Sandbox"])

MAX_ADVANCE_S = 10 * 365 * 86400


class AdvanceRequest(Body):
    seconds: StrictInt | StrictFloat


class DepositRequest(Body):
    amount: StrictStr


class CustomerStatusRequest(Body):
    status: Literal["active", "inactive"]


def deposit(tx: Store, account: str, wallet: dict, minor: int, now: int) -> dict:
    """Service: a simulated on-chain USDC deposit to the wallet's address."""
    tx_hash = new_tx_hash()
    tx.post(account, wallet["id"], minor, "deposit", tx_hash, now)
    tx.emit(
        account,
        "wallet.depositDetected",
        {
            "object": "deposit",
            "walletId": wallet["id"],
            "customerId": wallet["customerId"],
            "asset": wallet["asset"],
            "network": wallet["chain"],
            "amount": usdc(minor),
            "txHash": tx_hash,
            "createdAt": iso_ms(now),
        },
        now,
    )
    return balance_body(tx, wallet)


@router.post(
    "/clock/advance",
    response_model=schemas.NowOut,
    summary="Move the sandbox clock forward and settle what is due",
)
async def advance(body: AdvanceRequest, request: Request):
    account_of(request)
    if not 0 <= body.seconds <= MAX_ADVANCE_S:
        raise invalid(f"seconds must be between 0 and {MAX_ADVANCE_S}", "seconds")
    now = RT.clock.advance(body.seconds)
    settlement.run_due(RT.store, now)
    return json_response({"now": iso_ms(now)})


@router.post(
    "/wallets/{walletId}/deposit",
    status_code=201,
    response_model=schemas.BalanceOut,
    summary="Simulate a USDC deposit",
)
async def post_deposit(walletId: str, body: DepositRequest, request: Request):
    account = account_of(request)
    wallet = get_wallet(RT.store, account, walletId)
    minor = parse_amount(body.amount, "usdc", "amount")
    now = RT.now_ms()
    with RT.store.tx() as tx:
        return respond(request, deposit(tx, account, wallet, minor, now), 201)


@router.get(
    "/wallets",
    response_model=schemas.WalletOut,
    summary="Find a wallet of this account by address (case-insensitive)",
)
async def find_wallet(request: Request, address: str = Query(...)):
    account = account_of(request)
    row = RT.store.one(
        "SELECT body FROM resources WHERE address=? AND account=? AND kind='wallet'",
        (address.lower(), account),
    )
    if row is None:
        raise not_found("wallet with that address", "address")
    return json_response(json.loads(row[0]))


@router.patch(
    "/customers/{customerId}",
    response_model=schemas.CustomerOut,
    summary="Set a customer active or inactive",
)
async def patch_customer_status(customerId: str, body: CustomerStatusRequest, request: Request):
    account = account_of(request)
    now = RT.now_ms()
    with RT.store.tx() as tx:
        updated = set_status(tx, account, customerId, body.status, now)
        return respond(request, render_one(tx, updated))


@router.post(
    "/accounts",
    status_code=201,
    response_model=schemas.CredentialsOut,
    summary="Create a new, empty account (tenancy tests)",
)
async def post_account(request: Request):
    account_of(request)
    _acct, api_key, api_secret = auth.create_account(RT.store, RT.now_ms())
    return json_response({"apiKey": api_key, "apiSecret": api_secret}, 201)
