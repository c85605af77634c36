"""Transactions (D7, D10, D21): accept a quote, reserve funds, settle on the sandbox clock.

Helpers for other rails (payouts.py, cashins.py):
  TRANSACTION_STARTERS[type] = fn(tx, account, txn_body, extra, now) schedules the steps
  of a new transaction of that type (core registers cryptoToCrypto);
  load_txn / save_txn / set_sub_status / complete_transaction / fail_transaction move one
  transaction and emit its `transaction.<type>.<status>` events.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import StrictInt, StrictStr

from . import schemas
from .addresses import new_tx_hash
from .api import Body, Paging, account_of, envelope, paging, respond
from .clock import iso_ms
from .customers import get_customer_row, require_endorsement
from .errors import ApiError, not_found
from .ids import new_id
from .runtime import RT
from .settlement import JOB_HANDLERS, Job
from .store import Store, dumps

router = APIRouter(tags=["Transaction"])

TRANSACTION_STARTERS: dict[str, Callable] = {}

C2C_BROADCAST_MS = 2_000
C2C_COMPLETE_MS = 5_000


class TransactionCreate(Body):
    quoteId: StrictStr
    metadata: dict | None = None
    partnerTransactionId: StrictInt | StrictStr | None = None
    tags: StrictStr | None = None
    deviceFingerprint: StrictStr | None = None
    webSessionId: StrictStr | None = None
    paymentMethodId: StrictStr | None = None
    sourceWalletAddress: StrictStr | None = None


# -- helpers shared with the rails -------------------------------------------------------
def load_txn(tx: Store, txn_id: str) -> tuple[dict, dict, str] | None:
    row = tx.one(
        "SELECT body, extra, account FROM resources WHERE id=? AND kind='transaction'", (txn_id,)
    )
    if row is None:
        return None
    return json.loads(row[0]), json.loads(row[1] or "{}"), row[2]


def save_txn(tx: Store, body: dict, now: int) -> str:
    body["updatedAt"] = iso_ms(now)
    return tx.update_resource(body["id"], body, now, status=body["status"])


def _emit(tx: Store, account: str, body: dict, now: int, body_json: str | None = None) -> None:
    tx.emit(account, f"transaction.{body['type']}.{body['status']}", body, now, body_json)


def insert_transaction(
    tx: Store, account: str, body: dict, extra: dict, now: int, *, emit: bool = True
) -> str:
    """Store a new transaction (status processing) and emit `transaction.<type>.processing`.
    Returns the body serialised."""
    body_json = tx.insert_resource(
        id=body["id"],
        account=account,
        kind="transaction",
        body=body,
        created_ms=now,
        customer_id=body.get("sender"),
        customer2_id=body.get("recipient"),
        status=body["status"],
        type=body["type"],
        extra=extra,
    )
    if emit:
        _emit(tx, account, body, now, body_json)
    return body_json


def set_sub_status(tx: Store, account: str, body: dict, sub: str, now: int, **fields) -> None:
    body["subStatus"] = sub
    for k, v in fields.items():
        body[k] = v
    save_txn(tx, body, now)


def complete_transaction(
    tx: Store,
    account: str,
    body: dict,
    now: int,
    credit: tuple[str, int] | None = None,
    reason: str = "receive",
) -> None:
    """processing -> completed (subStatus settled); optionally credit (wallet id, minor)."""
    if credit is not None:
        tx.post(account, credit[0], credit[1], reason, body["id"], now)
    body["status"] = "completed"
    body["subStatus"] = "settled"
    body["completedAt"] = iso_ms(now)
    _emit(tx, account, body, now, save_txn(tx, body, now))


def fail_transaction(
    tx: Store,
    account: str,
    body: dict,
    extra: dict,
    sub_status: str,
    code: str,
    message: str,
    now: int,
) -> None:
    """processing -> failed; refunds the reserved source.amountGross (extra['grossMinor'])."""
    if extra.get("sourceWalletId") and extra.get("grossMinor"):
        tx.post(account, extra["sourceWalletId"], extra["grossMinor"], "refund", body["id"], now)
    body["status"] = "failed"
    body["subStatus"] = sub_status
    body["error"] = {"code": code, "message": message}
    _emit(tx, account, body, now, save_txn(tx, body, now))


# -- creation ------------------------------------------------------------------------------
def create_transaction(tx: Store, account: str, req: dict, now: int) -> dict:
    return create_transaction_json(tx, account, req, now)[0]


def create_transaction_json(tx: Store, account: str, req: dict, now: int) -> tuple[dict, str]:
    """Service: accept a quote. Returns the transaction and its serialisation."""
    qrow = tx.get_row("quote", account, req["quoteId"])
    if qrow is None:
        raise not_found("quote", "quoteId")
    quote = json.loads(qrow["body"])
    qextra = json.loads(qrow["extra"] or "{}")
    if quote["status"] != "open":
        raise ApiError(409, "quote_not_open", f"The quote is {quote['status']}", "quoteId")
    if now >= qextra["expiresMs"]:
        raise ApiError(409, "quote_expired", "The quote has expired; request a new one", "quoteId")
    customer = json.loads(get_customer_row(tx, account, quote["customerId"])["body"])
    require_endorsement(customer, "basic")
    if quote["type"] == "cryptoToFiat":
        require_endorsement(customer, "usd")
    txn_id = new_id("txn_", now)
    gross = qextra["grossMinor"]
    source_wallet = quote["source"]["walletId"]
    tx.post(account, source_wallet, -gross, "send", txn_id, now)  # 422 if it cannot
    quote["status"] = "accepted"
    tx.update_resource(quote["id"], quote, now)
    first_sub = {"cryptoToCrypto": "fundsPulled", "cryptoToFiat": "fundsPulled"}.get(
        quote["type"], "fundsPulled"
    )
    dest = dict(quote["destination"])
    dest.setdefault("rail", "crypto" if quote["type"] == "cryptoToCrypto" else None)
    dest.setdefault("txHash", None)
    dest.setdefault("externalAccountId", dest["wallet"].get("externalAccountId"))
    body = {
        "id": txn_id,
        "object": "transaction",
        "type": quote["type"],
        "status": "processing",
        "subStatus": first_sub,
        "quoteId": quote["id"],
        "customerId": customer["id"],
        "sender": customer["id"],
        "recipient": qextra.get("recipient"),
        "fixedAmountSide": quote["fixedAmountSide"],
        "source": {**quote["source"], "rail": "crypto"},
        "destination": dest,
        "rates": quote["rates"],
        "sponsorGas": quote["sponsorGas"],
        "sponsorGasCost": quote["sponsorGasCost"],
        "cashInId": None,
        "depositAddressId": None,
        "partnerTransactionId": req.get("partnerTransactionId"),
        "tags": req.get("tags"),
        "error": None,
        "metadata": req.get("metadata") or {},
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
        "completedAt": None,
    }
    extra = {**qextra, "sourceWalletId": source_wallet}
    body_json = insert_transaction(tx, account, body, extra, now)
    starter = TRANSACTION_STARTERS.get(body["type"])
    if starter is not None:
        before = dict(body)
        starter(tx, account, body, extra, now)
        if body != before:  # a starter changed it: serialise what it left
            body_json = dumps(body)
    return body, body_json


# -- cryptoToCrypto settlement ------------------------------------------------------------
def _start_c2c(tx: Store, account: str, body: dict, extra: dict, now: int) -> None:
    tx.schedule(now + C2C_BROADCAST_MS, "c2c.broadcast", body["id"], account)
    address = (extra.get("address") or "").lower()
    if not address.endswith("dead"):
        tx.schedule(now + C2C_COMPLETE_MS, "c2c.complete", body["id"], account)


def _c2c_broadcast(tx: Store, job: Job) -> None:
    got = load_txn(tx, job.ref_id)
    if got is None or got[0]["status"] != "processing":
        return
    body, extra, account = got
    if (extra.get("address") or "").lower().endswith("dead"):
        fail_transaction(
            tx,
            account,
            body,
            extra,
            "rejected",
            "blockchain_rejected",
            "The network rejected the transfer to this address",
            job.due_ms,
        )
        return
    body["destination"]["txHash"] = new_tx_hash()
    body["subStatus"] = "broadcast"
    save_txn(tx, body, job.due_ms)


def _c2c_complete(tx: Store, job: Job) -> None:
    got = load_txn(tx, job.ref_id)
    if got is None or got[0]["status"] != "processing":
        return
    body, extra, account = got
    if body["destination"].get("txHash") is None:
        body["destination"]["txHash"] = new_tx_hash()
    credit = None
    if extra.get("destWalletId"):
        credit = (extra["destWalletId"], extra["destNetMinor"])
    complete_transaction(tx, account, body, job.due_ms, credit)


TRANSACTION_STARTERS["cryptoToCrypto"] = _start_c2c
JOB_HANDLERS["c2c.broadcast"] = _c2c_broadcast
JOB_HANDLERS["c2c.complete"] = _c2c_complete


# -- rendering and routes ------------------------------------------------------------------
def _role(body: dict, customer_id: str | None) -> str | None:
    if customer_id is None:
        return None
    s, r = body.get("sender") == customer_id, body.get("recipient") == customer_id
    return "both" if s and r else "sender" if s else "recipient" if r else None


def render_rows(rows: list, customer_id: str | None = None) -> list[dict]:
    out = []
    for r in rows:
        b = json.loads(r["body"])
        if customer_id is not None:
            b["role"] = _role(b, customer_id)
        out.append(b)
    return out


@router.post(
    "/transactions",
    status_code=201,
    response_model=schemas.TransactionOut,
    summary="Execute a quote",
)
async def post_transaction(body: TransactionCreate, request: Request):
    account = account_of(request)
    now = RT.now_ms()
    req = body.model_dump(mode="json")
    with RT.store.tx() as tx:
        created, raw = create_transaction_json(tx, account, req, now)
        return respond(request, created, 201, tx, raw_json=raw)


@router.get(
    "/transactions/{transactionId}",
    response_model=schemas.TransactionOut,
    summary="Get a transaction",
)
async def get_transaction(
    transactionId: str,
    request: Request,
    senderCustomerId: str | None = Query(None),
    recipientCustomerId: str | None = Query(None),
):
    row = RT.store.get_row("transaction", account_of(request), transactionId)
    if row is None:
        raise not_found("transaction", "transactionId")
    return respond(request, render_rows([row], senderCustomerId or recipientCustomerId)[0])


TxnStatus = Literal["processing", "completed", "failed", "cashPickupReady"]
TxnType = Literal["cryptoToCrypto", "fiatToCrypto", "cryptoToFiat"]


@router.get(
    "/transactions",
    response_model=schemas.TransactionPage,
    summary="List transactions (filters status, type, customerId)",
)
async def list_transactions(
    request: Request,
    page: Paging = Depends(paging),
    status: TxnStatus | None = Query(None),
    type: TxnType | None = Query(None),
    customerId: str | None = Query(None),
):
    account = account_of(request)
    rows, more = RT.store.page(
        "transaction",
        account,
        **page.kwargs(),
        status=status,
        type=type,
        any_customer=customerId,
    )
    return respond(request, envelope(rows, more, lambda rs: render_rows(rs, customerId)))


@router.get(
    "/customers/{customerId}/transactions",
    response_model=schemas.TransactionPage,
    summary="List a customer's transactions",
)
async def list_customer_transactions(
    customerId: str,
    request: Request,
    page: Paging = Depends(paging),
    status: TxnStatus | None = Query(None),
    type: TxnType | None = Query(None),
):
    account = account_of(request)
    get_customer_row(RT.store, account, customerId)
    rows, more = RT.store.page(
        "transaction",
        account,
        **page.kwargs(),
        status=status,
        type=type,
        any_customer=customerId,
    )
    return respond(request, envelope(rows, more, lambda rs: render_rows(rs, customerId)))
