"""Cash-in funding (D11, §3.5, §3.6): cash locations, cash-ins, and the simulated
GreenDot barcode-auth / auth-commit pair.

A cash-in is a `resources` row of kind "cashIn" (body as served; extra = the deposit code,
its expiry and the amount the D11 limits count). Deposit codes and authorisations live in
this module's own tables. Time-based steps (code expiry, settlement 10 s after commit) are
jobs on the sandbox clock (settlement.JOB_HANDLERS).
"""

from __future__ import annotations

import json
import math
import secrets
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StrictStr

from . import locations_data, schemas
from .api import Body, Paging, account_of, envelope, json_response, paging, respond
from .clock import iso_ms
from .errors import ApiError
from .ids import new_id
from .money import format_amount, format_rate, parse_amount
from .rails_common import (
    USDC_PER_CENT,
    customer_or_404,
    fees_block,
    require_money_customer,
    wallet_or_404,
)
from .runtime import RT
from .settlement import JOB_HANDLERS, Job
from .store import Store

router = APIRouter(tags=["CashIns"])

KIND = "cashIn"
TXN_KIND = "transaction"
CODE_TTL_MS = 3600 * 1000
SETTLE_AFTER_MS = 10 * 1000
MIN_DEPOSIT_CENTS = 20_00
MAX_DEPOSIT_CENTS = 500_00
DEFAULT_INDICATED = "100.00"
REVERSED_AMOUNT_CENTS = 66_66  # D17 test value: a committed deposit of exactly 66.66 fails
FEE_RATE_PER_MILLE = 15  # 1.5 %
FEE_FIXED_CENTS = 50
# (window, max total in cents, max count) — D11, rolling, on the sandbox clock
LIMIT_WINDOWS: tuple[tuple[str, int, int, int], ...] = (
    ("24 hours", 24 * 3600 * 1000, 1_500_00, 3),
    ("7 days", 7 * 24 * 3600 * 1000, 3_500_00, 12),
    ("30 days", 30 * 24 * 3600 * 1000, 5_000_00, 20),
)
STATUSES = ("pending", "processing", "completed", "failed", "expired")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

SCHEMA = """
CREATE TABLE IF NOT EXISTS cashin_codes(
  code TEXT PRIMARY KEY, account TEXT NOT NULL, cash_in_id TEXT NOT NULL,
  expires_ms INTEGER NOT NULL, active INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS cashin_codes_ci ON cashin_codes(cash_in_id);
CREATE TABLE IF NOT EXISTS cashin_auths(
  confirmation_id TEXT PRIMARY KEY, account TEXT NOT NULL, cash_in_id TEXT NOT NULL,
  amount_cents INTEGER NOT NULL, created_ms INTEGER NOT NULL, committed_ms INTEGER);
"""


def init_schema(store: Store) -> None:
    store.executescript(SCHEMA)


# -- fees -----------------------------------------------------------------------------------
def fee_cents(amount_cents: int) -> int:
    """1.5 % half-up at the cent + 0.50 (D13 `omsFeeSchedule`)."""
    return (amount_cents * FEE_RATE_PER_MILLE + 500) // 1000 + FEE_FIXED_CENTS


FEE_SCHEDULE = {
    "feeCurrency": "usd",
    "entries": [
        {"type": "percentage", "rate": "0.015"},
        {"type": "fixed", "amount": "0.50"},
    ],
}


def _usd(cents: int) -> str:
    return format_amount(cents, "usd")


def _usdc_from_cents(cents: int) -> str:
    return format_amount(cents * USDC_PER_CENT, "usdc")


def _priced(body: dict, gross_cents: int, deposited: bool) -> None:
    """Fill source/destination amounts and rates for a gross cash amount (estimate or actual)."""
    fee = fee_cents(gross_cents)
    net = max(gross_cents - fee, 0)
    src = body["source"]
    src["amount"] = _usd(gross_cents) if deposited else None
    src["amountGross"] = _usd(gross_cents)
    src["amountNet"] = _usd(net)
    src["feesDeducted"] = fees_block("usd", oms=fee)
    dst = body["destination"]
    dst["amountGross"] = _usdc_from_cents(net)
    dst["amountNet"] = _usdc_from_cents(net)
    dst["feesDeducted"] = fees_block("usdc")
    body["rates"] = {
        "exchangeRate": "1.0",
        "effectiveRate": format_rate(Decimal(net) / Decimal(gross_cents)),
        "pair": "usd/usdc",
    }


# -- codes ----------------------------------------------------------------------------------
def _normalise_code(value: str) -> str:
    return "".join(c for c in value.upper() if c.isalnum())


def _new_code(store: Store) -> str:
    while True:
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        if store.one("SELECT 1 FROM cashin_codes WHERE code=?", (raw,)) is None:
            return raw


def _display_code(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:]}"


def _issue_code(tx: Store, account: str, ci_id: str, now: int) -> tuple[str, int]:
    tx.execute("UPDATE cashin_codes SET active=0 WHERE cash_in_id=?", (ci_id,))
    code = _new_code(tx)
    expires = now + CODE_TTL_MS
    tx.execute(
        "INSERT INTO cashin_codes(code, account, cash_in_id, expires_ms, active) VALUES(?,?,?,?,1)",
        (code, account, ci_id, expires),
    )
    tx.schedule(expires, "cashin.expire", ci_id, account)
    return code, expires


# -- limits ---------------------------------------------------------------------------------
def check_limits(
    store: Store,
    account: str,
    customer_id: str,
    amount_cents: int,
    now: int,
    exclude_id: str | None = None,
) -> None:
    longest = max(w[1] for w in LIMIT_WINDOWS)
    rows = store.all(
        "SELECT id, created_ms, extra FROM resources WHERE account=? AND kind=? AND customer_id=?"
        " AND created_ms>? AND status NOT IN ('expired', 'failed')",
        (account, KIND, customer_id, now - longest),
    )
    live = [
        (r[1], int(json.loads(r[2] or "{}").get("limitCents", 0)))
        for r in rows
        if r[0] != exclude_id
    ]
    for label, length, max_total, max_count in LIMIT_WINDOWS:
        inside = [amt for created, amt in live if created > now - length]
        if len(inside) + 1 > max_count:
            raise ApiError(
                422,
                "limit_exceeded",
                f"Cash-in limit reached: at most {max_count} cash-ins per {label}",
                "source.indicatedAmount",
            )
        if sum(inside) + amount_cents > max_total:
            left = max(max_total - sum(inside), 0)
            raise ApiError(
                422,
                "limit_exceeded",
                f"Cash-in limit reached: at most ${_usd(max_total)} per {label}"
                f" (${_usd(left)} left)",
                "source.indicatedAmount",
            )


# -- cash locations ---------------------------------------------------------------------------
def _float_param(value: str | None, name: str, lo: float, hi: float) -> float:
    if value is None or value == "":
        raise ApiError(400, "invalid_request", f"{name} is required", name)
    try:
        f = float(value)
    except ValueError:
        f = math.nan
    if not math.isfinite(f) or not lo <= f <= hi:
        raise ApiError(400, "invalid_request", f"{name} must be a number in [{lo}, {hi}]", name)
    return f


@router.get(
    "/cash-locations",
    response_model=schemas.CashLocationPage,
    summary="Cash locations of a provider near a point (D11)",
)
async def list_cash_locations(
    request: Request,
    provider: str | None = Query(None),
    latitude: str | None = Query(None),
    longitude: str | None = Query(None),
    flow: str | None = Query(None),
    limit: int | None = Query(None),
    startingAfter: str | None = Query(None),
    endingBefore: str | None = Query(None),
):
    account_of(request)
    if provider is None or provider == "":
        raise ApiError(400, "invalid_request", "provider is required", "provider")
    if provider != locations_data.PROVIDER:
        raise ApiError(400, "invalid_request", "provider must be greendot", "provider")
    lat = _float_param(latitude, "latitude", -90.0, 90.0)
    lng = _float_param(longitude, "longitude", -180.0, 180.0)
    if flow is not None and flow != "cashIn":
        raise ApiError(400, "invalid_request", "flow must be cashIn", "flow")
    if limit is None:
        limit = 50
    if not 1 <= limit <= 100:
        raise ApiError(400, "invalid_request", "limit must be between 1 and 100", "limit")
    if startingAfter is not None and endingBefore is not None:
        raise ApiError(
            400, "invalid_request", "Use startingAfter or endingBefore, not both", "endingBefore"
        )
    rows = locations_data.nearest(lat, lng)
    ids = [loc.id for loc, _ in rows]
    if startingAfter is not None:
        if startingAfter not in ids:
            raise ApiError(400, "invalid_request", "Unknown cursor", "startingAfter")
        start = ids.index(startingAfter) + 1
        page = rows[start : start + limit]
        has_more = start + limit < len(rows)
    elif endingBefore is not None:
        if endingBefore not in ids:
            raise ApiError(400, "invalid_request", "Unknown cursor", "endingBefore")
        end = ids.index(endingBefore)
        page = rows[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = rows[:limit]
        has_more = limit < len(rows)
    items = [loc.to_json(dist) for loc, dist in page]
    return json_response(
        {
            "data": items,
            "hasMore": has_more,
            "nextCursor": items[-1]["id"] if items else None,
            "previousCursor": items[0]["id"] if items else None,
        }
    )


# -- cash-ins -------------------------------------------------------------------------------
class CashInCreate(Body):
    customerId: Any = None
    source: Any = None
    destination: Any = None
    cash: Any = None
    metadata: Any = None


def _obj(value: Any, param: str, required: bool = True) -> dict:
    if value is None:
        if required:
            raise ApiError(400, "invalid_request", f"{param} is required", param)
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_request", f"{param} must be an object", param)
    return value


def _str(value: Any, param: str, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise ApiError(400, "invalid_request", f"{param} is required", param)
        return None
    if not isinstance(value, str) or not value:
        raise ApiError(400, "invalid_request", f"{param} must be a non-empty string", param)
    return value


def reserve_cash_in(
    tx: Store,
    account: str,
    customer: dict,
    wallet: dict,
    location: Any,
    indicated_cents: int,
    metadata: dict,
    now: int,
) -> dict:
    """Service: a pending cash-in with its deposit code (the request is already checked)."""
    customer_id = customer["id"]
    wallet_id = wallet["id"]
    check_limits(tx, account, customer_id, indicated_cents, now)
    ci_id = new_id("ci_", now)
    code, expires = _issue_code(tx, account, ci_id, now)
    loc_json = {"name": location.name, "address": location.full_address}
    ci = {
        "id": ci_id,
        "object": "cashIn",
        "type": "fiatToCrypto",
        "status": "pending",
        "subStatus": "order_reserved",
        "customerId": customer_id,
        "source": {
            "asset": "usd",
            "network": "cash",
            "indicatedAmount": _usd(indicated_cents),
            "email": None,
        },
        "destination": {
            "wallet": {
                "id": wallet_id,
                "blockchainAddress": wallet.get("address"),
                "externalAccountId": None,
            },
            "asset": "usdc",
            "network": "polygon",
        },
        "cash": {"locationId": location.id, "locationReference": location.location_reference},
        "location": loc_json,
        "depositInstructions": {
            "code": _display_code(code),
            "expiresAt": iso_ms(expires),
            "locationName": location.name,
            "locationAddress": location.full_address,
        },
        "omsFeeSchedule": FEE_SCHEDULE,
        "fixedAmountSide": "source",
        "sponsorGas": True,
        "sponsorGasCost": "0.00",
        "developerFees": [],
        "metadata": metadata,
        "transactionId": None,
        "error": None,
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
        "completedAt": None,
    }
    _priced(ci, indicated_cents, deposited=False)
    tx.insert_resource(
        id=ci_id,
        account=account,
        kind=KIND,
        body=ci,
        created_ms=now,
        customer_id=customer_id,
        status="pending",
        type="fiatToCrypto",
        extra={"limitCents": indicated_cents, "expiresMs": expires, "walletId": wallet_id},
    )
    return ci


@router.post(
    "/cash-ins",
    status_code=201,
    response_model=schemas.CashInOut,
    summary="Reserve a cash deposit code",
)
async def create_cash_in(body: CashInCreate, request: Request):
    account = account_of(request)
    store = RT.store
    customer_id = _str(body.customerId, "customerId")
    source = _obj(body.source, "source", required=False)
    dest = _obj(body.destination, "destination")
    cash = _obj(body.cash, "cash")
    metadata = body.metadata if body.metadata is not None else {}
    if not isinstance(metadata, dict):
        raise ApiError(400, "invalid_request", "metadata must be an object", "metadata")
    # source
    src_asset = source.get("asset", "usd")
    if src_asset != "usd":
        raise ApiError(400, "unsupported_asset", "A cash-in source is usd", "source.asset")
    src_network = source.get("network", "cash")
    if src_network != "cash":
        raise ApiError(
            400, "unsupported_asset", "A cash-in source network is cash", "source.network"
        )
    indicated = source.get("indicatedAmount", DEFAULT_INDICATED)
    indicated_cents = parse_amount(indicated, "usd", "source.indicatedAmount")
    # destination
    wallet_ref = _obj(dest.get("wallet"), "destination.wallet")
    wallet_id = wallet_ref.get("id", wallet_ref.get("wallet"))
    if wallet_id is None and (
        wallet_ref.get("blockchainAddress") or wallet_ref.get("externalAccount")
    ):
        raise ApiError(
            400,
            "invalid_request",
            "A cash-in delivers to an OMS wallet (destination.wallet.id)",
            "destination.wallet.id",
        )
    wallet_id = _str(wallet_id, "destination.wallet.id")
    dst_asset = dest.get("asset", "usdc")
    if dst_asset != "usdc":
        raise ApiError(400, "unsupported_asset", "Cash-ins deliver usdc", "destination.asset")
    dst_network = dest.get("network", "polygon")
    if dst_network != "polygon":
        raise ApiError(
            400, "unsupported_asset", "Cash-ins deliver on polygon", "destination.network"
        )
    # cash location
    loc_id = _str(cash.get("locationId", cash.get("cashLocationId")), "cash.locationId")
    loc_ref = _str(
        cash.get("locationReference", cash.get("cashLocationReference")), "cash.locationReference"
    )
    location = locations_data.get(loc_id)
    if location is None:
        raise ApiError(400, "invalid_request", "Unknown cash location", "cash.locationId")
    if loc_ref != location.location_reference:
        raise ApiError(
            400,
            "invalid_request",
            "locationReference does not match the location",
            "cash.locationReference",
        )
    if not MIN_DEPOSIT_CENTS <= indicated_cents <= MAX_DEPOSIT_CENTS:
        raise ApiError(
            422,
            "limit_exceeded",
            "A cash deposit must be between $20.00 and $500.00",
            "source.indicatedAmount",
        )
    now = RT.now_ms()
    customer = customer_or_404(store, account, customer_id, "customerId")
    require_money_customer(customer, ("basic", "usd"))
    wallet = wallet_or_404(store, account, wallet_id, "destination.wallet.id")
    if wallet.get("customerId") != customer_id:
        raise ApiError(
            400,
            "invalid_request",
            "The wallet does not belong to the customer",
            "destination.wallet.id",
        )
    with store.tx() as tx:
        ci = reserve_cash_in(
            tx, account, customer, wallet, location, indicated_cents, metadata, now
        )
        return respond(request, ci, 201, tx)


def _load(store: Store, account: str, ci_id: str) -> tuple[dict, dict]:
    row = store.get_row(KIND, account, ci_id)
    if row is None:
        raise ApiError(404, "not_found", "No such cash-in", "cashInId")
    return json.loads(row["body"]), json.loads(row["extra"] or "{}")


def _save(tx: Store, ci: dict, extra: dict, now: int) -> None:
    ci["updatedAt"] = iso_ms(now)
    tx.update_resource(ci["id"], ci, now, extra=extra, status=ci["status"])


@router.get("/cash-ins/{cashInId}", response_model=schemas.CashInOut, summary="Get a cash-in")
async def get_cash_in(cashInId: str, request: Request):
    account = account_of(request)
    ci, _ = _load(RT.store, account, cashInId)
    return json_response(ci)


@router.get(
    "/cash-ins", response_model=schemas.CashInPage, summary="List cash-ins, newest first (D9)"
)
async def list_cash_ins(
    request: Request,
    status: str | None = Query(None),
    customerId: str | None = Query(None),
    p: Paging = Depends(paging),
):
    account = account_of(request)
    if status is not None and status not in STATUSES:
        raise ApiError(400, "invalid_request", "Unknown status", "status")
    rows, has_more = RT.store.page(
        KIND, account, status=status, customer_id=customerId, **p.kwargs()
    )
    return json_response(envelope(rows, has_more))


@router.post(
    "/cash-ins/{cashInId}/refresh",
    response_model=schemas.CashInOut,
    summary="New deposit code and expiry (D11)",
)
async def refresh_cash_in(cashInId: str, request: Request):
    account = account_of(request)
    store = RT.store
    now = RT.now_ms()
    ci, extra = _load(store, account, cashInId)
    if ci["status"] not in ("pending", "expired"):
        raise ApiError(
            409, "invalid_state", f"A {ci['status']} cash-in cannot be refreshed", "cashInId"
        )
    with store.tx() as tx:
        if ci["status"] == "expired":
            customer = customer_or_404(tx, account, ci["customerId"], "customerId")
            require_money_customer(customer, ("basic", "usd"))
            check_limits(
                tx, account, ci["customerId"], extra["limitCents"], now, exclude_id=ci["id"]
            )
        code, expires = _issue_code(tx, account, ci["id"], now)
        ci["status"] = "pending"
        ci["subStatus"] = "order_reserved"
        ci["depositInstructions"]["code"] = _display_code(code)
        ci["depositInstructions"]["expiresAt"] = iso_ms(expires)
        extra["expiresMs"] = expires
        _save(tx, ci, extra, now)
        return respond(request, ci, 200, tx)


# -- expiry and settlement jobs ------------------------------------------------------------------
def _job_expire(tx: Store, job: Job) -> None:
    row = tx.get_row(KIND, job.account, job.ref_id)
    if row is None:
        return
    ci, extra = json.loads(row["body"]), json.loads(row["extra"] or "{}")
    if ci["status"] != "pending" or extra.get("expiresMs", 0) > job.due_ms:
        return  # deposited, or refreshed since this job was scheduled
    ci["status"] = "expired"
    ci["subStatus"] = "cash_deposit_expired"
    tx.execute("UPDATE cashin_codes SET active=0 WHERE cash_in_id=?", (ci["id"],))
    _save(tx, ci, extra, job.due_ms)
    tx.emit(job.account, "cashIn.expired", ci, job.due_ms)


def _job_settle(tx: Store, job: Job) -> None:
    now = job.due_ms
    row = tx.get_row(KIND, job.account, job.ref_id)
    if row is None:
        return
    ci, extra = json.loads(row["body"]), json.loads(row["extra"] or "{}")
    if ci["status"] != "processing":
        return
    txn_row = tx.get_row(TXN_KIND, job.account, ci["transactionId"])
    txn = json.loads(txn_row["body"])
    amount_cents = extra["limitCents"]
    if amount_cents == REVERSED_AMOUNT_CENTS:
        error = {"code": "deposit_reversed", "message": "The cash deposit was reversed"}
        txn.update(status="failed", subStatus="reversed", error=error)
        ci.update(status="failed", subStatus="cash_deposit_failed", error=error)
        txn["updatedAt"] = iso_ms(now)
        tx.update_resource(txn["id"], txn, now, status="failed")
        _save(tx, ci, extra, now)
        tx.emit(job.account, "transaction.fiatToCrypto.failed", txn, now)
        tx.emit(job.account, "cashIn.failed", ci, now)
        return
    net_cents = amount_cents - fee_cents(amount_cents)
    tx.post(job.account, extra["walletId"], net_cents * USDC_PER_CENT, "cashIn", ci["id"], now)
    txn.update(status="completed", subStatus="settled", completedAt=iso_ms(now))
    txn["updatedAt"] = iso_ms(now)
    ci.update(status="completed", subStatus="settled", completedAt=iso_ms(now))
    tx.update_resource(txn["id"], txn, now, status="completed")
    _save(tx, ci, extra, now)
    tx.emit(job.account, "transaction.fiatToCrypto.completed", txn, now)
    tx.emit(job.account, "cashIn.completed", ci, now)


JOB_HANDLERS["cashin.expire"] = _job_expire
JOB_HANDLERS["cashin.settle"] = _job_settle


# -- simulation (D11) -------------------------------------------------------------------------
class BarcodeAuth(Body):
    accountReferenceNumber: StrictStr
    amount: Any
    accountNumber: StrictStr | None = None


def _numeric_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def _auth_response(code: str, text: str, amount: str, confirmation: str) -> dict:
    return {
        "confirmationId": confirmation,
        "responseCode": code,
        "responseText": text,
        "authorizedAmount": amount,
        "responseId": _numeric_id(),
    }


def authorise(tx: Store, account: str, ci: dict, amount_cents: int, now: int) -> str:
    """Service: record an approved barcode authorisation; returns its confirmation id."""
    confirmation = _numeric_id()
    tx.execute(
        "INSERT INTO cashin_auths(confirmation_id, account, cash_in_id, amount_cents,"
        " created_ms) VALUES(?,?,?,?,?)",
        (confirmation, account, ci["id"], amount_cents, now),
    )
    return confirmation


@router.post(
    "/cash-ins/simulate/barcode-auth",
    response_model=schemas.BarcodeAuthOut,
    summary="Simulate a retail barcode authorisation",
)
async def simulate_barcode_auth(body: BarcodeAuth, request: Request):
    account = account_of(request)
    store = RT.store
    amount_cents = parse_amount(body.amount, "usd", "amount")
    now = RT.now_ms()
    code = _normalise_code(body.accountReferenceNumber)
    row = store.one(
        "SELECT cash_in_id, expires_ms, active FROM cashin_codes WHERE code=? AND account=?",
        (code, account),
    )
    ci = store.get_body(KIND, account, row[0]) if row else None
    declined = "0.00"
    if ci is not None and ci["status"] in ("processing", "completed", "failed"):
        out = _auth_response("94", "Code already used", declined, _numeric_id())
    elif ci is None or not row[2] or row[1] <= now or ci["status"] != "pending":
        out = _auth_response("14", "Invalid or expired code", declined, _numeric_id())
    elif not MIN_DEPOSIT_CENTS <= amount_cents <= MAX_DEPOSIT_CENTS:
        out = _auth_response("05", "Amount outside $20.00-$500.00", declined, _numeric_id())
    else:
        with store.tx() as tx:
            confirmation = authorise(tx, account, ci, amount_cents, now)
            out = _auth_response("00", "Approved", _usd(amount_cents), confirmation)
            out["cashInId"] = ci["id"]
            return respond(request, out, 200, tx)
    return json_response(out)


class AuthCommit(Body):
    originalConfirmationId: StrictStr
    accountNumber: StrictStr | None = None
    accountReferenceNumber: StrictStr | None = None
    amount: Any = None
    customerId: StrictStr | None = None
    description: StrictStr | None = None


def _fiat_to_crypto_txn(ci: dict, txn_id: str, amount_cents: int, now: int) -> dict:
    fee = fee_cents(amount_cents)
    net = amount_cents - fee
    return {
        "id": txn_id,
        "object": "transaction",
        "type": "fiatToCrypto",
        "status": "processing",
        "subStatus": "fundsReceived",
        "quoteId": None,
        "customerId": ci["customerId"],
        "sender": ci["customerId"],
        "recipient": ci["customerId"],
        "fixedAmountSide": "source",
        "source": {
            "walletId": None,
            "asset": "usd",
            "network": "cash",
            "rail": "cash",
            "amountGross": _usd(amount_cents),
            "amountNet": _usd(net),
            "feesDeducted": fees_block("usd", oms=fee),
            "txHash": None,
        },
        "destination": {
            "wallet": dict(ci["destination"]["wallet"]),
            "asset": "usdc",
            "network": "polygon",
            "rail": "crypto",
            "amountGross": _usdc_from_cents(net),
            "amountNet": _usdc_from_cents(net),
            "feesDeducted": fees_block("usdc"),
            "txHash": None,
            "externalAccountId": None,
            "bankDetails": {},
            "cash": dict(ci["cash"]),
        },
        "rates": dict(ci["rates"]),
        "sponsorGas": True,
        "sponsorGasCost": "0.00",
        "developerFees": [],
        "cashInId": ci["id"],
        "depositAddressId": None,
        "partnerTransactionId": None,
        "tags": None,
        "error": None,
        "metadata": {},
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
        "completedAt": None,
    }


def commit(
    tx: Store, account: str, ci: dict, extra: dict, confirmation: str, amount_cents: int, now: int
) -> str:
    """Service: commit an authorisation (checked by the caller): the cash-in turns processing,
    its fiatToCrypto transaction is created and settles SETTLE_AFTER_MS later."""
    tx.execute(
        "UPDATE cashin_auths SET committed_ms=? WHERE confirmation_id=?",
        (now, confirmation),
    )
    tx.execute("UPDATE cashin_codes SET active=0 WHERE cash_in_id=?", (ci["id"],))
    txn_id = new_id("txn_", now)
    ci.update(status="processing", subStatus="cash_deposited", transactionId=txn_id)
    _priced(ci, amount_cents, deposited=True)
    extra["limitCents"] = amount_cents
    _save(tx, ci, extra, now)
    txn = _fiat_to_crypto_txn(ci, txn_id, amount_cents, now)
    tx.insert_resource(
        id=txn_id,
        account=account,
        kind=TXN_KIND,
        body=txn,
        created_ms=now,
        customer_id=ci["customerId"],
        customer2_id=ci["customerId"],
        status="processing",
        type="fiatToCrypto",
    )
    tx.schedule(now + SETTLE_AFTER_MS, "cashin.settle", ci["id"], account)
    tx.emit(account, "cashIn.processing", ci, now)
    tx.emit(account, "transaction.fiatToCrypto.processing", txn, now)
    return txn_id


@router.post(
    "/cash-ins/simulate/auth-commit",
    response_model=schemas.AuthCommitOut,
    summary="Commit a simulated barcode authorisation",
)
async def simulate_auth_commit(body: AuthCommit, request: Request):
    account = account_of(request)
    store = RT.store
    now = RT.now_ms()
    auth = store.one(
        "SELECT cash_in_id, amount_cents, committed_ms FROM cashin_auths"
        " WHERE confirmation_id=? AND account=?",
        (body.originalConfirmationId, account),
    )
    if auth is None:
        raise ApiError(404, "not_found", "No such authorisation", "originalConfirmationId")
    if auth[2] is not None:
        raise ApiError(409, "invalid_state", "Already committed", "originalConfirmationId")
    ci, extra = _load(store, account, auth[0])
    if ci["status"] != "pending" or extra.get("expiresMs", 0) <= now:
        raise ApiError(
            409, "invalid_state", f"The cash-in is {ci['status']}", "originalConfirmationId"
        )
    amount_cents = int(auth[1])
    # The optional echo fields of the provider protocol must agree with the authorisation.
    if body.amount is not None and parse_amount(body.amount, "usd", "amount") != amount_cents:
        raise ApiError(
            400, "invalid_request", "amount differs from the authorised amount", "amount"
        )
    if body.customerId is not None and body.customerId != ci["customerId"]:
        raise ApiError(
            400, "invalid_request", "customerId is not the cash-in's customer", "customerId"
        )
    with store.tx() as tx:
        txn_id = commit(tx, account, ci, extra, body.originalConfirmationId, amount_cents, now)
        out = _auth_response("00", "Approved", _usd(amount_cents), _numeric_id())
        out["cashInId"] = ci["id"]
        out["transactionId"] = txn_id
        return respond(request, out, 200, tx)
