"""Custodial wallets and balances (D7, D16)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StrictStr

from . import schemas
from .addresses import new_address
from .api import Body, Paging, account_of, envelope, paging, respond
from .clock import iso_ms
from .customers import get_customer_row, require_endorsement
from .errors import ApiError, not_found
from .ids import new_id
from .money import usdc
from .runtime import RT
from .store import Store

router = APIRouter(tags=["Wallet"])

SUPPORTED = {("usdc", "polygon")}


class WalletCreate(Body):
    asset: StrictStr
    chain: StrictStr


def create_wallet(tx: Store, account: str, customer: dict, asset: str, chain: str, now: int):
    require_endorsement(customer, "cryptoCustody")
    if asset != "usdc":
        raise ApiError(400, "unsupported_asset", f"Unsupported asset '{asset}'", "asset")
    if (asset, chain) not in SUPPORTED:
        raise ApiError(400, "unsupported_asset", f"Unsupported chain '{chain}'", "chain")
    dup = tx.one(
        "SELECT 1 FROM resources WHERE account=? AND kind='wallet' AND customer_id=? AND type=?",
        (account, customer["id"], f"{asset}/{chain}"),
    )
    if dup:
        raise ApiError(
            409, "invalid_state", f"The customer already has a {asset} wallet on {chain}", "asset"
        )
    wid = new_id("wlt_", now)
    body = {
        "id": wid,
        "object": "wallet",
        "customerId": customer["id"],
        "address": new_address(),
        "asset": asset,
        "chain": chain,
        "status": "active",
        "type": "internal",
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
    }
    tx.insert_resource(
        id=wid,
        account=account,
        kind="wallet",
        body=body,
        created_ms=now,
        customer_id=customer["id"],
        status="active",
        type=f"{asset}/{chain}",
        address=body["address"],
    )
    tx.open_balance(account, wid, now)
    return body


def get_wallet(store: Store, account: str, wid: object, param: str = "walletId") -> dict:
    body = store.get_body("wallet", account, wid)
    if body is None:
        raise not_found("wallet", param)
    return body


def balance_body(store: Store, wallet: dict) -> dict:
    bal = store.balance(wallet["id"]) or (0, 0)
    amount = usdc(bal[0])
    return {
        "object": "balance",
        "walletId": wallet["id"],
        "asset": wallet["asset"],
        "chain": wallet["chain"],
        "balance": amount,
        "estimatedBalance": amount,
        "estimatedBalanceCurrencyCode": "usd",
        "updatedAt": iso_ms(max(bal[1], 0)) if bal[1] else wallet["updatedAt"],
    }


@router.post(
    "/customers/{customerId}/wallets",
    status_code=201,
    response_model=schemas.WalletOut,
    summary="Create a wallet",
)
async def post_wallet(customerId: str, body: WalletCreate, request: Request):
    account = account_of(request)
    now = RT.now_ms()
    with RT.store.tx() as tx:
        customer = json.loads(get_customer_row(tx, account, customerId)["body"])
        wallet = create_wallet(tx, account, customer, body.asset, body.chain, now)
        return respond(request, wallet, 201, tx)


@router.get(
    "/customers/{customerId}/wallets",
    response_model=schemas.WalletPage,
    summary="List a customer's wallets",
)
async def list_wallets(customerId: str, request: Request, page: Paging = Depends(paging)):
    account = account_of(request)
    get_customer_row(RT.store, account, customerId)
    rows, more = RT.store.page("wallet", account, **page.kwargs(), customer_id=customerId)
    return respond(request, envelope(rows, more))


@router.get("/wallets/{walletId}", response_model=schemas.WalletOut, summary="Get a wallet")
async def get_wallet_route(walletId: str, request: Request):
    return respond(request, get_wallet(RT.store, account_of(request), walletId))


@router.get(
    "/wallets/{walletId}/balance",
    response_model=schemas.BalanceOut,
    summary="Get a wallet's balance",
)
async def get_balance(
    walletId: str,
    request: Request,
    estimatedBalanceCurrencyCode: str | None = Query(None, description="only usd"),
):
    wallet = get_wallet(RT.store, account_of(request), walletId)
    if estimatedBalanceCurrencyCode is not None and estimatedBalanceCurrencyCode.lower() != "usd":
        raise ApiError(
            400,
            "unsupported_asset",
            "Only usd estimates are supported",
            "estimatedBalanceCurrencyCode",
        )
    return respond(request, balance_body(RT.store, wallet))
