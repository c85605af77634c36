"""Virtual accounts (D22; early access in OMS, full in the sandbox): a customer's own bank
routing and account number, and the simulator of inbound ACH / wire deposits to it.

Each deposit becomes a `fiatToCrypto` transaction at once (subStatus `fundsReceived`) and
settles on the sandbox clock, 60 s (wire_in) or 300 s (ach_in) later, crediting
`destination.amountNet` to the VA's wallet; an amount of exactly 66.66 is reversed instead
(D17 test value). Fees: oms 0.50 % half-up + rail 0.00 (ach_in) or 10.00 (wire_in), in usd.
Account numbers are 12 digits, unique across every VA ever issued (table `va_numbers`).
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field

from ..rules import routing_number_valid
from . import inbound, schemas
from .api import Body, Paging, account_of, envelope, json_response, paging, respond
from .clock import iso_ms
from .errors import ApiError
from .ids import new_id
from .money import format_amount, format_rate
from .rails_common import USDC_PER_CENT, customer_or_404, fees_block
from .runtime import RT
from .settlement import JOB_HANDLERS, Job
from .store import Store
from .transactions import complete_transaction, fail_transaction, insert_transaction, load_txn

router = APIRouter(tags=["VirtualAccounts"])

KIND = "virtualAccount"
BANK_NAME = "OMS Sandbox Bank"
ROUTING_NUMBER = "101019644"
assert routing_number_valid(ROUTING_NUMBER)
RAILS = {"ach_in": "ach", "wire_in": "wire"}
RAIL_FEE_CENTS = {"ach_in": 0, "wire_in": 10_00}
SETTLE_AFTER_MS = {"ach_in": 300_000, "wire_in": 60_000}
OMS_FEE_PER_10K = 50  # 0.50 %
REVERSED_CENTS = 66_66

SCHEMA = """
CREATE TABLE IF NOT EXISTS va_numbers(number TEXT PRIMARY KEY, va_id TEXT NOT NULL);
"""


def init_schema(store: Store) -> None:
    store.executescript(SCHEMA)


# -- shapes (OpenAPI only) --------------------------------------------------------------------
class DepositInstructions(schemas.Out):
    bankName: str
    routingNumber: str = Field(examples=[ROUTING_NUMBER])
    accountNumber: str = Field(examples=["493817260154"], description="12 digits, unmasked")
    accountHolderName: str
    bankMemo: str | None


class VirtualAccountOut(schemas.Out):
    id: str = Field(examples=["va_01m89cmmzp2q55p2hk16drv34a"])
    object: str = "virtualAccount"
    customerId: str
    status: str = Field(examples=["active"], description="active | paused")
    source: dict[str, Any]
    destination: dict[str, Any]
    depositInstructions: DepositInstructions
    label: str | None
    createdAt: str


class VirtualAccountPage(schemas.Out):
    data: list[VirtualAccountOut]
    hasMore: bool
    nextCursor: str | None
    previousCursor: str | None


class VirtualAccountCreate(Body):
    source: Any = Field(None, examples=[{"asset": "usd", "network": "usBank"}])
    destination: Any = Field(
        None,
        examples=[{"wallet": {"id": "wlt_…"}, "asset": "usdc", "network": "polygon"}],
    )
    label: Any = Field(None, description="1-64 characters")
    bankMemo: Any = Field(None, description="1-140 characters")


class VirtualAccountPatch(Body):
    status: Any = Field(None, examples=["paused"], description="active | paused")


class VirtualAccountSimulate(Body):
    rail: Any = Field(None, examples=["ach_in"], description="ach_in | wire_in")
    amount: Any = Field(None, examples=["250.00"], description="1.00-100000.00, 2 places")
    sender: Any = Field(
        None,
        examples=[{"name": "Jane Smith", "routingNumber": "021000021"}],
        description="optional: the sending bank (routingNumber passes the ABA checksum)",
    )


# -- fees ---------------------------------------------------------------------------------------
def oms_fee_cents(gross_cents: int) -> int:
    return (gross_cents * OMS_FEE_PER_10K + 5_000) // 10_000


def _new_account_number(tx: Store) -> str:
    while True:
        number = str(secrets.randbelow(9 * 10**11) + 10**11)  # 12 digits, no leading zero
        if tx.one("SELECT 1 FROM va_numbers WHERE number=?", (number,)) is None:
            return number


def open_virtual_account(
    tx: Store,
    account: str,
    customer: dict,
    wallet: dict,
    label: str | None,
    memo: str | None,
    now: int,
) -> dict:
    """Service: a new active virtual account delivering to `wallet` (request already checked,
    the wallet has none yet)."""
    va_id = new_id("va_", now)
    number = _new_account_number(tx)
    tx.execute("INSERT INTO va_numbers(number, va_id) VALUES(?,?)", (number, va_id))
    holder = (
        " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p)
        or customer["id"]
    )
    out = {
        "id": va_id,
        "object": KIND,
        "customerId": customer["id"],
        "status": "active",
        "source": {"asset": "usd", "network": "usBank"},
        "destination": {
            "wallet": inbound.wallet_target(wallet["id"]),
            "asset": "usdc",
            "network": "polygon",
        },
        "depositInstructions": {
            "bankName": BANK_NAME,
            "routingNumber": ROUTING_NUMBER,
            "accountNumber": number,
            "accountHolderName": holder,
            "bankMemo": memo,
        },
        "label": label,
        "createdAt": iso_ms(now),
    }
    tx.insert_resource(
        id=va_id,
        account=account,
        kind=KIND,
        body=out,
        created_ms=now,
        customer_id=customer["id"],
        status="active",
        extra={"walletId": wallet["id"]},
    )
    return out


# -- routes -----------------------------------------------------------------------------------
@router.post(
    "/customers/{customerId}/virtual-accounts",
    status_code=201,
    response_model=VirtualAccountOut,
    summary="Open a virtual account (bank funding) for one of the customer's wallets",
)
async def create_virtual_account(customerId: str, body: VirtualAccountCreate, request: Request):
    account = account_of(request)
    store = RT.store
    source = inbound.obj(body.source, "source")
    if source.get("asset") != "usd":
        raise ApiError(400, "unsupported_asset", "source.asset must be usd", "source.asset")
    if source.get("network") != "usBank":
        raise ApiError(400, "unsupported_asset", "source.network must be usBank", "source.network")
    dest = inbound.obj(body.destination, "destination")
    inbound.asset_pair(dest, "destination", "usdc", "polygon")
    wallet_id = inbound.wallet_id_of(dest)
    label = inbound.optional_text(body.label, "label", inbound.LABEL_MAX)
    memo = inbound.optional_text(body.bankMemo, "bankMemo", inbound.MEMO_MAX)
    customer, wallet = inbound.customer_and_wallet(store, account, customerId, wallet_id, "usd")
    now = RT.now_ms()
    with store.tx() as tx:
        taken = tx.one(
            "SELECT 1 FROM resources WHERE account=? AND kind=? AND customer_id=?"
            " AND json_extract(extra, '$.walletId')=?",
            (account, KIND, customer["id"], wallet["id"]),
        )
        if taken is not None:
            raise ApiError(
                409,
                "invalid_state",
                "This wallet already has a virtual account",
                "destination.wallet.id",
            )
        out = open_virtual_account(tx, account, customer, wallet, label, memo, now)
        return respond(request, out, 201, tx)


@router.get(
    "/customers/{customerId}/virtual-accounts",
    response_model=VirtualAccountPage,
    summary="List a customer's virtual accounts (D9)",
)
async def list_virtual_accounts(customerId: str, request: Request, p: Paging = Depends(paging)):
    account = account_of(request)
    customer_or_404(RT.store, account, customerId, "customerId")
    rows, has_more = RT.store.page(KIND, account, customer_id=customerId, **p.kwargs())
    return json_response(envelope(rows, has_more))


def _get(store: Store, account: str, va_id: str) -> dict:
    return inbound.load(store, KIND, account, va_id, "virtual account", "virtualAccountId")


@router.get(
    "/virtual-accounts/{virtualAccountId}",
    response_model=VirtualAccountOut,
    summary="Get a virtual account",
)
async def get_virtual_account(virtualAccountId: str, request: Request):
    return json_response(_get(RT.store, account_of(request), virtualAccountId))


@router.patch(
    "/virtual-accounts/{virtualAccountId}",
    response_model=VirtualAccountOut,
    summary="Pause or activate a virtual account",
)
async def patch_virtual_account(virtualAccountId: str, body: VirtualAccountPatch, request: Request):
    account = account_of(request)
    store = RT.store
    if body.status not in ("active", "paused"):
        raise ApiError(400, "invalid_request", "status must be active or paused", "status")
    va = _get(store, account, virtualAccountId)
    now = RT.now_ms()
    with store.tx() as tx:
        va["status"] = body.status
        tx.update_resource(va["id"], va, now, status=body.status)
        return respond(request, va, 200, tx)


@router.delete(
    "/virtual-accounts/{virtualAccountId}",
    status_code=204,
    summary="Delete a virtual account (its in-flight deposits still settle)",
)
async def delete_virtual_account(virtualAccountId: str, request: Request):
    account = account_of(request)
    store = RT.store
    _get(store, account, virtualAccountId)
    with store.tx() as tx:
        inbound.mark_deleted(tx, KIND, virtualAccountId, RT.now_ms())
    return Response(status_code=204)


@router.post(
    "/virtual-accounts/{virtualAccountId}/simulate",
    status_code=201,
    response_model=schemas.TransactionOut,
    summary="Simulate an inbound ACH or wire deposit (sandbox only; Idempotency-Key required)",
)
async def simulate_deposit(virtualAccountId: str, body: VirtualAccountSimulate, request: Request):
    account = account_of(request)
    store = RT.store
    rail = body.rail
    if not isinstance(rail, str) or rail not in RAILS:
        raise ApiError(400, "invalid_request", "rail must be ach_in or wire_in", "rail")
    gross = inbound.simulator_amount(body.amount)
    sender = _sender(body.sender)
    oms = oms_fee_cents(gross)
    fee_rail = RAIL_FEE_CENTS[rail]
    net = gross - oms - fee_rail
    if net <= 0:
        raise ApiError(400, "invalid_amount", "The fees would consume the whole amount", "amount")
    va = _get(store, account, virtualAccountId)
    inbound.require_active_customer(store, account, va["customerId"])
    if va["status"] != "active":
        raise ApiError(409, "invalid_state", "The virtual account is paused", "virtualAccountId")
    now = RT.now_ms()
    with store.tx() as tx:
        txn, raw = simulate(tx, account, va, rail, gross, sender, now)
        return respond(request, txn, 201, tx, raw_json=raw)


def simulate(
    tx: Store, account: str, va: dict, rail: str, gross: int, sender: dict | None, now: int
) -> tuple[dict, str]:
    """Service: an inbound ACH or wire deposit to an active VA (request already checked): a
    processing fiatToCrypto transaction that settles SETTLE_AFTER_MS[rail] later."""
    oms = oms_fee_cents(gross)
    fee_rail = RAIL_FEE_CENTS[rail]
    net = gross - oms - fee_rail
    network = RAILS[rail]
    txn = inbound.inbound_transaction(
        txn_id=new_id("txn_", now),
        type="fiatToCrypto",
        sub_status="fundsReceived",
        customer_id=va["customerId"],
        sender=va["customerId"],
        source={
            "walletId": None,
            "asset": "usd",
            "network": network,
            "rail": network,
            "virtualAccountId": va["id"],
            "sender": sender,
            "amountGross": format_amount(gross, "usd"),
            "amountNet": format_amount(net, "usd"),
            "feesDeducted": fees_block("usd", oms=oms, rail=fee_rail),
            "txHash": None,
        },
        wallet_id=va["destination"]["wallet"]["id"],
        net_minor_usdc=net * USDC_PER_CENT,
        rates={
            "exchangeRate": "1.0",
            "effectiveRate": format_rate(Decimal(net) / Decimal(gross)),
            "pair": "usd/usdc",
        },
        now=now,
    )
    extra = {
        "virtualAccountId": va["id"],
        "destWalletId": va["destination"]["wallet"]["id"],
        "destNetMinor": net * USDC_PER_CENT,
        "reversed": gross == REVERSED_CENTS,
    }
    raw = insert_transaction(tx, account, txn, extra, now)
    tx.schedule(now + SETTLE_AFTER_MS[rail], "va.settle", txn["id"], account)
    return txn, raw


def _sender(value: Any) -> dict | None:
    """The optional sending bank of a simulated deposit: {"name"?, "routingNumber"}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_request", "sender must be an object", "sender")
    routing = value.get("routingNumber")
    if not routing_number_valid(routing):
        raise ApiError(
            400,
            "invalid_request",
            "sender.routingNumber must be 9 digits passing the ABA checksum",
            "sender.routingNumber",
        )
    name = inbound.optional_text(value.get("name"), "sender.name", inbound.MEMO_MAX)
    return {"name": name, "routingNumber": routing}


# -- settlement ---------------------------------------------------------------------------------
def _job_settle(tx: Store, job: Job) -> None:
    got = load_txn(tx, job.ref_id)
    if got is None or got[0]["status"] != "processing":
        return
    body, extra, account = got
    if extra.get("reversed"):
        fail_transaction(
            tx,
            account,
            body,
            {},
            "reversed",
            "deposit_reversed",
            "The bank deposit was reversed",
            job.due_ms,
        )
        return
    credit = (extra["destWalletId"], extra["destNetMinor"])
    complete_transaction(tx, account, body, job.due_ms, credit, reason="virtualAccount")


JOB_HANDLERS["va.settle"] = _job_settle


def _startup() -> None:
    if RT.store is not None:
        init_schema(RT.store)


_startup()
router.on_startup.append(_startup)
