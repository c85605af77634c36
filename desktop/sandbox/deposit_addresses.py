"""Deposit addresses (D22; early access in OMS, full in the sandbox): a fresh EIP-55 address
that receives USDC on Polygon for one of the customer's wallets, and the simulator of an
inbound transfer to it.

Each arrival becomes an inbound `cryptoToCrypto` transaction with its txHash at once
(subStatus `broadcast`), completed 5 s later on the sandbox clock: `destination.amountNet`
(no fees) is credited to the wallet, then `wallet.depositDetected` is emitted.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field

from . import inbound, schemas
from .addresses import new_address, new_tx_hash, validate_address
from .api import Body, Paging, account_of, envelope, json_response, paging, respond
from .clock import iso_ms
from .ids import new_id
from .money import format_amount
from .rails_common import USDC_PER_CENT, customer_or_404, fees_block
from .runtime import RT
from .settlement import JOB_HANDLERS, Job
from .store import Store
from .transactions import complete_transaction, insert_transaction, load_txn

router = APIRouter(tags=["DepositAddresses"])

KIND = "depositAddress"
COMPLETE_AFTER_MS = 5_000
# The sender of a simulated transfer when the request names none (a valid EIP-55 address).
DEFAULT_SENDER = "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"


class DepositInstructions(schemas.Out):
    address: str = Field(examples=["0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"])
    asset: str = "usdc"
    network: str = "polygon"


class DepositAddressOut(schemas.Out):
    id: str = Field(examples=["da_01m89cmmzp2q55p2hk16drv34a"])
    object: str = "depositAddress"
    customerId: str
    status: str = Field(examples=["active"])
    source: dict[str, Any]
    destination: dict[str, Any]
    depositInstructions: DepositInstructions
    label: str | None
    createdAt: str


class DepositAddressPage(schemas.Out):
    data: list[DepositAddressOut]
    hasMore: bool
    nextCursor: str | None
    previousCursor: str | None


class DepositAddressCreate(Body):
    source: Any = Field(None, examples=[{"asset": "usdc", "network": "polygon"}])
    destination: Any = Field(None, examples=[{"wallet": {"id": "wlt_…"}}])
    label: Any = Field(None, description="1-64 characters")


class DepositAddressSimulate(Body):
    amount: Any = Field(None, examples=["25.00"], description="1.00-100000.00, 2 places")
    fromAddress: Any = Field(None, description="the sender's EVM address (D16)")


@router.post(
    "/customers/{customerId}/deposit-addresses",
    status_code=201,
    response_model=DepositAddressOut,
    summary="Create a deposit address (receive USDC on Polygon) for one of the customer's wallets",
)
async def create_deposit_address(customerId: str, body: DepositAddressCreate, request: Request):
    account = account_of(request)
    store = RT.store
    source = inbound.obj(body.source, "source")
    inbound.asset_pair(source, "source", "usdc", "polygon")
    dest = inbound.obj(body.destination, "destination")
    wallet_id = inbound.wallet_id_of(dest)
    label = inbound.optional_text(body.label, "label", inbound.LABEL_MAX)
    customer, wallet = inbound.customer_and_wallet(
        store, account, customerId, wallet_id, "cryptoCustody"
    )
    now = RT.now_ms()
    address = new_address()
    da_id = new_id("da_", now)
    out = {
        "id": da_id,
        "object": KIND,
        "customerId": customer["id"],
        "status": "active",
        "source": {"asset": "usdc", "network": "polygon"},
        "destination": {"wallet": inbound.wallet_target(wallet["id"])},
        "depositInstructions": {"address": address, "asset": "usdc", "network": "polygon"},
        "label": label,
        "createdAt": iso_ms(now),
    }
    with store.tx() as tx:
        tx.insert_resource(
            id=da_id,
            account=account,
            kind=KIND,
            body=out,
            created_ms=now,
            customer_id=customer["id"],
            status="active",
            address=address,
            extra={"walletId": wallet["id"]},
        )
        return respond(request, out, 201, tx)


@router.get(
    "/customers/{customerId}/deposit-addresses",
    response_model=DepositAddressPage,
    summary="List a customer's deposit addresses (D9)",
)
async def list_deposit_addresses(customerId: str, request: Request, p: Paging = Depends(paging)):
    account = account_of(request)
    customer_or_404(RT.store, account, customerId, "customerId")
    rows, has_more = RT.store.page(KIND, account, customer_id=customerId, **p.kwargs())
    return json_response(envelope(rows, has_more))


def _get(store: Store, account: str, da_id: str) -> dict:
    return inbound.load(store, KIND, account, da_id, "deposit address", "depositAddressId")


@router.get(
    "/deposit-addresses/{depositAddressId}",
    response_model=DepositAddressOut,
    summary="Get a deposit address",
)
async def get_deposit_address(depositAddressId: str, request: Request):
    return json_response(_get(RT.store, account_of(request), depositAddressId))


@router.delete(
    "/deposit-addresses/{depositAddressId}",
    status_code=204,
    summary="Delete a deposit address (transfers already seen still settle)",
)
async def delete_deposit_address(depositAddressId: str, request: Request):
    account = account_of(request)
    store = RT.store
    _get(store, account, depositAddressId)
    with store.tx() as tx:
        inbound.mark_deleted(tx, KIND, depositAddressId, RT.now_ms())
    return Response(status_code=204)


@router.post(
    "/deposit-addresses/{depositAddressId}/simulate",
    status_code=201,
    response_model=schemas.TransactionOut,
    summary="Simulate an inbound USDC transfer (sandbox only; Idempotency-Key required)",
)
async def simulate_transfer(depositAddressId: str, body: DepositAddressSimulate, request: Request):
    account = account_of(request)
    store = RT.store
    cents = inbound.simulator_amount(body.amount)
    sender = DEFAULT_SENDER
    if body.fromAddress is not None:
        sender = validate_address(body.fromAddress, "fromAddress")
    da = _get(store, account, depositAddressId)
    inbound.require_active_customer(store, account, da["customerId"])
    now = RT.now_ms()
    minor = cents * USDC_PER_CENT
    amount = format_amount(minor, "usdc")
    tx_hash = new_tx_hash()
    with store.tx() as tx:
        txn = inbound.inbound_transaction(
            txn_id=new_id("txn_", now),
            type="cryptoToCrypto",
            sub_status="broadcast",
            customer_id=da["customerId"],
            sender=None,
            source={
                "walletId": None,
                "asset": "usdc",
                "network": "polygon",
                "rail": "crypto",
                "depositAddressId": da["id"],
                "blockchainAddress": sender,
                "amountGross": amount,
                "amountNet": amount,
                "feesDeducted": fees_block("usdc"),
                "txHash": tx_hash,
            },
            wallet_id=da["destination"]["wallet"]["id"],
            net_minor_usdc=minor,
            rates={"exchangeRate": "1.0", "effectiveRate": "1.0", "pair": "usdc/usdc"},
            now=now,
            tx_hash=tx_hash,
            deposit_address_id=da["id"],
        )
        extra = {
            "depositAddressId": da["id"],
            "destWalletId": da["destination"]["wallet"]["id"],
            "destNetMinor": minor,
        }
        raw = insert_transaction(tx, account, txn, extra, now)
        tx.schedule(now + COMPLETE_AFTER_MS, "da.complete", txn["id"], account)
        return respond(request, txn, 201, tx, raw_json=raw)


def _job_complete(tx: Store, job: Job) -> None:
    got = load_txn(tx, job.ref_id)
    if got is None or got[0]["status"] != "processing":
        return
    body, extra, account = got
    wallet_id, minor = extra["destWalletId"], extra["destNetMinor"]
    complete_transaction(tx, account, body, job.due_ms, (wallet_id, minor), reason="depositAddress")
    tx.emit(
        account,
        "wallet.depositDetected",
        {
            "object": "deposit",
            "walletId": wallet_id,
            "customerId": body["customerId"],
            "asset": "usdc",
            "network": "polygon",
            "amount": format_amount(minor, "usdc"),
            "txHash": body["txHash"],
            "createdAt": iso_ms(job.due_ms),
        },
        job.due_ms,
    )


JOB_HANDLERS["da.complete"] = _job_complete
