"""Bank payouts (early access in OMS, full in the sandbox): external accounts (D12) and the
cryptoToFiat pricing and settlement steps (D13, D21).

External accounts are `resources` rows of kind "externalAccount"; the full account number
is kept in `extra` and never served. Quotes whose destination is
`wallet.externalAccount` with asset `usd` and network `ach|wire` are priced here
(`price_payout`), and the transaction's settlement steps are jobs registered here.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from desktop.rules import routing_number_valid

from . import schemas
from .api import Body, Paging, account_of, envelope, json_response, paging, respond
from .clock import iso_ms
from .errors import ApiError
from .ids import new_id
from .money import format_amount, format_rate, parse_amount
from .pricing import DESTINATION_PRICERS, PricedQuote
from .rails_common import USDC_PER_CENT, customer_or_404, fees_block, require_money_customer
from .runtime import RT
from .settlement import JOB_HANDLERS, Job
from .store import Store
from .transactions import (
    TRANSACTION_STARTERS,
    complete_transaction,
    fail_transaction,
    load_txn,
    set_sub_status,
)

router = APIRouter(tags=["ExternalAccounts"])

KIND = "externalAccount"
NETWORKS = ("ach", "wire")
RAIL_FEE_CENTS = {"ach": 25, "wire": 15_00}
OMS_FEE_PER_10K = 50  # 0.50 %
BANK_SUBMITTED_AFTER_MS = 5_000
COMPLETE_AFTER_MS = {"wire": 60_000, "ach": 300_000}
RETURN_AFTER_MS = 60_000  # account number ending 0000 (D17)
_ACCOUNT_RE = re.compile(r"[0-9]{4,17}")


def mask_account_number(number: str) -> str:
    """`******4242`: six asterisks and the last four digits (D12: responses always mask)."""
    return "******" + number[-4:]


# -- external accounts ----------------------------------------------------------------------
class ExternalAccountCreate(Body):
    type: Any = Field(None, description="usBank | blockchainAddress (D23)")
    network: Any = Field(None, description="ach | wire (usBank); polygon (blockchainAddress)")
    bankDetails: Any = Field(None, description="usBank only")
    address: Any = Field(None, description="blockchainAddress only: EVM address (D16)")
    label: Any = Field(None, description="blockchainAddress only: 1-64 characters")


# bank-sbx: other types of external account register their create here (saved_addresses.py).
EXTERNAL_ACCOUNT_CREATORS: dict[str, Any] = {}


def _text(value: Any, param: str, max_len: int = 140) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "invalid_request", f"{param} is required", param)
    if len(value) > max_len:
        raise ApiError(400, "invalid_request", f"{param} is too long", param)
    return value.strip()


def register_bank_account(
    tx: Store,
    account: str,
    customer: dict,
    network: str,
    bank_name: str,
    routing: str,
    number: str,
    holder: str,
    now: int,
) -> dict:
    """Service: a verified usBank external account (details already checked); the full
    account number stays in `extra`, the body carries it masked."""
    eid = new_id("cpUsBank_", now)
    out = {
        "id": eid,
        "object": "externalAccount",
        "customerId": customer["id"],
        "type": "usBank",
        "status": "verified",
        "network": network,
        "bankDetails": {
            "bankName": bank_name,
            "routingNumber": routing,
            "accountNumber": mask_account_number(number),
            "accountHolderName": holder,
        },
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
    }
    tx.insert_resource(
        id=eid,
        account=account,
        kind=KIND,
        body=out,
        created_ms=now,
        customer_id=customer["id"],
        status="verified",
        type="usBank",  # bank-sbx: the ?type= filter (was the network)
        extra={"accountNumber": number},
    )
    return out


@router.post(
    "/customers/{customerId}/external-accounts",
    status_code=201,
    response_model=schemas.ExternalAccountOut,
    summary="Register a US bank account (sandbox only; provisioned by Polygon in OMS)",
)
async def create_external_account(customerId: str, body: ExternalAccountCreate, request: Request):
    account = account_of(request)
    store = RT.store
    if isinstance(body.type, str) and body.type in EXTERNAL_ACCOUNT_CREATORS:  # bank-sbx
        return EXTERNAL_ACCOUNT_CREATORS[body.type](customerId, body, request)
    if body.type != "usBank":
        raise ApiError(400, "invalid_request", "type must be usBank or blockchainAddress", "type")
    if body.network not in NETWORKS:
        raise ApiError(400, "invalid_request", "network must be ach or wire", "network")
    details = body.bankDetails
    if not isinstance(details, dict):
        raise ApiError(400, "invalid_request", "bankDetails is required", "bankDetails")
    bank_name = _text(details.get("bankName"), "bankDetails.bankName")
    routing = details.get("routingNumber")
    if not routing_number_valid(routing):
        raise ApiError(
            400,
            "invalid_request",
            "routingNumber must be 9 digits passing the ABA checksum",
            "bankDetails.routingNumber",
        )
    number = details.get("accountNumber")
    if not isinstance(number, str) or not _ACCOUNT_RE.fullmatch(number):
        raise ApiError(
            400,
            "invalid_request",
            "accountNumber must be 4-17 digits",
            "bankDetails.accountNumber",
        )
    holder = _text(details.get("accountHolderName"), "bankDetails.accountHolderName")
    customer = customer_or_404(store, account, customerId, "customerId")
    now = RT.now_ms()
    with store.tx() as tx:
        out = register_bank_account(
            tx, account, customer, body.network, bank_name, routing, number, holder, now
        )
        return respond(request, out, 201, tx)


@router.get(
    "/customers/{customerId}/external-accounts",
    response_model=schemas.ExternalAccountPage,
    summary="List external accounts (D9)",
)
async def list_external_accounts(
    customerId: str,
    request: Request,
    p: Paging = Depends(paging),
    type: str | None = Query(None, description="usBank | blockchainAddress (D23)"),
):
    account = account_of(request)
    if type is not None and type not in ("usBank", "blockchainAddress"):  # bank-sbx
        raise ApiError(400, "invalid_request", "type must be usBank or blockchainAddress", "type")
    customer_or_404(RT.store, account, customerId, "customerId")
    rows, has_more = RT.store.page(KIND, account, customer_id=customerId, type=type, **p.kwargs())
    return json_response(envelope(rows, has_more))


def get_external_account(store: Store, account: str, eid: Any, param: str) -> tuple[dict, dict]:
    row = store.get_row(KIND, account, eid)
    if row is None:
        raise ApiError(404, "not_found", "No such external account", param)
    return json.loads(row["body"]), json.loads(row["extra"] or "{}")


@router.get(
    "/customers/{customerId}/external-accounts/{externalAccountId}",
    response_model=schemas.ExternalAccountOut,
    summary="Get an external account",
)
async def get_external_account_route(customerId: str, externalAccountId: str, request: Request):
    account = account_of(request)
    customer_or_404(RT.store, account, customerId, "customerId")
    body, _ = get_external_account(RT.store, account, externalAccountId, "externalAccountId")
    if body["customerId"] != customerId:
        raise ApiError(404, "not_found", "No such external account", "externalAccountId")
    return json_response(body)


# -- cryptoToFiat pricing (D13) ----------------------------------------------------------------
def oms_fee_cents(gross_cents: int) -> int:
    """0.50 % rounded half-up at the cent."""
    return (gross_cents * OMS_FEE_PER_10K + 5_000) // 10_000


def net_for_gross(gross_cents: int, network: str) -> int:
    return gross_cents - oms_fee_cents(gross_cents) - RAIL_FEE_CENTS[network]


def gross_for_net(net_cents: int, network: str) -> int:
    """The smallest gross whose net equals `net_cents` exactly (net is non-decreasing in
    gross and moves by at most one cent per cent, so it never skips a value)."""
    rail = RAIL_FEE_CENTS[network]
    g = max(1, (net_cents + rail) * 10_000 // (10_000 - OMS_FEE_PER_10K) - 3)
    while net_for_gross(g, network) < net_cents:
        g += 1
    while g > 1 and net_for_gross(g - 1, network) >= net_cents:
        g -= 1
    return g


def price_payout(
    tx: Store, account: str, customer: dict, source_wallet: dict, req: dict, now_ms: int
) -> PricedQuote:
    """Price a cryptoToFiat quote (registered as DESTINATION_PRICERS["externalAccount"]).

    `req` is the quote request body. Amounts have at most 2 places (D13); oms 0.50 % half-up
    + rail 0.25 (ach) or 15.00 (wire), all taken from the source; usdc/usd rate 1.0."""
    source = req.get("source") if isinstance(req.get("source"), dict) else {}
    destination = req.get("destination") if isinstance(req.get("destination"), dict) else {}
    wallet = destination.get("wallet") if isinstance(destination.get("wallet"), dict) else {}
    if len([k for k in ("id", "blockchainAddress", "externalAccount") if wallet.get(k)]) != 1:
        raise ApiError(
            400,
            "invalid_request",
            "destination.wallet needs exactly one of id, blockchainAddress, externalAccount",
            "destination.wallet",
        )
    if destination.get("asset") != "usd":
        raise ApiError(400, "unsupported_asset", "A bank payout delivers usd", "destination.asset")
    network = destination.get("network")
    if network not in NETWORKS:
        raise ApiError(
            400,
            "unsupported_asset",
            "A bank payout network is ach or wire",
            "destination.network",
        )
    has_src = source.get("amount") is not None
    has_dst = destination.get("amount") is not None
    if has_src == has_dst:
        raise ApiError(
            400,
            "invalid_request",
            "Send exactly one of source.amount and destination.amount",
            "source.amount",
        )
    if has_src:
        gross = parse_amount(source["amount"], "usd", "source.amount")
        net = net_for_gross(gross, network)
        if net <= 0:
            raise ApiError(
                400, "invalid_amount", "The fees would consume the whole amount", "source.amount"
            )
        fixed = "source"
    else:
        net = parse_amount(destination["amount"], "usd", "destination.amount")
        gross = gross_for_net(net, network)
        fixed = "destination"
    eid = wallet.get("externalAccount")
    ext, extra = get_external_account(tx, account, eid, "destination.wallet.externalAccount")
    if ext["customerId"] != customer["id"]:
        raise ApiError(
            404, "not_found", "No such external account", "destination.wallet.externalAccount"
        )
    require_money_customer(customer, ("basic", "usd"))
    oms = oms_fee_cents(gross)
    rail = RAIL_FEE_CENTS[network]
    return PricedQuote(
        type="cryptoToFiat",
        source={
            "walletId": source_wallet["id"],
            "asset": source_wallet["asset"],
            "network": source_wallet["chain"],
            "amountGross": format_amount(gross * USDC_PER_CENT, "usdc"),
            "amountNet": format_amount(net * USDC_PER_CENT, "usdc"),
            "feesDeducted": fees_block("usdc", oms=oms * USDC_PER_CENT, rail=rail * USDC_PER_CENT),
        },
        destination={
            "wallet": {"id": None, "blockchainAddress": None, "externalAccountId": ext["id"]},
            "asset": "usd",
            "network": network,
            "rail": network,
            "amountGross": format_amount(net, "usd"),
            "amountNet": format_amount(net, "usd"),
            "feesDeducted": fees_block("usd"),
            "externalAccountId": ext["id"],
            "bankDetails": dict(ext["bankDetails"]),
        },
        rates={
            "exchangeRate": "1.0",
            "effectiveRate": format_rate(Decimal(net) / Decimal(gross)),
            "pair": "usdc/usd",
        },
        fixed_amount_side=fixed,
        gross_minor=gross * USDC_PER_CENT,
        recipient=customer["id"],
        extra={
            "rail": network,
            "externalAccountId": ext["id"],
            "accountLast4": extra.get("accountNumber", "")[-4:],
        },
    )


DESTINATION_PRICERS["externalAccount"] = price_payout


# -- settlement (D21) ------------------------------------------------------------------------------
def _start_payout(tx: Store, account: str, body: dict, extra: dict, now: int) -> None:
    """TRANSACTION_STARTERS["cryptoToFiat"]: the transaction was just created (processing,
    fundsPulled, source gross reserved); schedule bankSubmitted and the outcome."""
    tx.schedule(now + BANK_SUBMITTED_AFTER_MS, "payout.submitted", body["id"], account)
    if extra.get("accountLast4") == "0000":
        tx.schedule(now + RETURN_AFTER_MS, "payout.returned", body["id"], account)
    else:
        due = now + COMPLETE_AFTER_MS[extra.get("rail", "ach")]
        tx.schedule(due, "payout.completed", body["id"], account)


def _processing(tx: Store, job: Job) -> tuple[dict, dict, str] | None:
    got = load_txn(tx, job.ref_id)
    if got is None or got[0].get("status") != "processing":
        return None
    return got


def _job_submitted(tx: Store, job: Job) -> None:
    got = _processing(tx, job)
    if got is not None:
        set_sub_status(tx, got[2], got[0], "bankSubmitted", job.due_ms)


def _job_completed(tx: Store, job: Job) -> None:
    got = _processing(tx, job)
    if got is not None:
        complete_transaction(tx, got[2], got[0], job.due_ms)


def _job_returned(tx: Store, job: Job) -> None:
    got = _processing(tx, job)
    if got is not None:
        body, extra, account = got
        fail_transaction(
            tx,
            account,
            body,
            extra,
            "returned",
            "bank_returned",
            "The receiving bank returned the payout",
            job.due_ms,
        )


TRANSACTION_STARTERS["cryptoToFiat"] = _start_payout
JOB_HANDLERS["payout.submitted"] = _job_submitted
JOB_HANDLERS["payout.completed"] = _job_completed
JOB_HANDLERS["payout.returned"] = _job_returned
