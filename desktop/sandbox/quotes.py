"""Quotes (D13, D16, D19): price a send from an OMS wallet and lock it for --quote-ttl."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from pydantic import Field, StrictBool, StrictStr

from . import schemas
from .addresses import validate_address
from .api import Body, account_of, respond
from .clock import iso_ms
from .customers import get_customer_row, require_endorsement
from .errors import ApiError, invalid, not_found
from .ids import new_id
from .money import parse_amount
from .pricing import (
    DESTINATION_PRICERS,
    PricedQuote,
    amounts,
    crypto_rates,
    fees_block,
    price_crypto,
)
from .runtime import RT
from .store import Store
from .wallets import get_wallet

router = APIRouter(tags=["Quote"])

FIAT_ASSETS = {"usd", "eur", "brl", "inr", "mxn", "gbp"}
FIAT_NETWORKS = {"cash", "ach", "wire", "usBank"}
CRYPTO = {("usdc", "polygon")}


class QuoteSource(Body):
    # Optional here so that a fiat source without one still answers D19's unsupported_asset;
    # a crypto source without one is a 400 invalid_request (create_quote_json).
    walletId: StrictStr | None = None
    asset: StrictStr
    network: StrictStr
    amount: StrictStr | None = Field(
        None, description="decimal string; give this or destination.amount", examples=["100.00"]
    )


class QuoteDestinationWallet(Body):
    id: StrictStr | None = None
    wallet: StrictStr | None = None  # alias of id seen in older guides
    blockchainAddress: StrictStr | None = None
    externalAccount: StrictStr | None = None


class QuoteDestination(Body):
    wallet: QuoteDestinationWallet
    asset: StrictStr
    network: StrictStr
    amount: StrictStr | None = Field(
        None, description="decimal string; fixes the received amount", examples=["99.90"]
    )


class QuoteCreate(Body):
    customerId: StrictStr
    source: QuoteSource
    destination: QuoteDestination
    sponsorGas: StrictBool = False
    metadata: dict | None = None
    promoCode: StrictStr | None = None


def _price_crypto_quote(
    tx: Store, account: str, customer: dict, source_wallet: dict, req: dict
) -> PricedQuote:
    dest = req["destination"]
    if dest["asset"] in FIAT_ASSETS:
        raise ApiError(
            400,
            "unsupported_asset",
            "Fiat destinations need an external account",
            "destination.asset",
        )
    if (dest["asset"], dest["network"]) not in CRYPTO:
        param = "destination.asset" if dest["asset"] != "usdc" else "destination.network"
        raise ApiError(400, "unsupported_asset", "Only usdc on polygon is supported", param)
    w = dest["wallet"]
    dest_wallet_id = w.get("id") or w.get("wallet")
    recipient = None
    address = None
    if dest_wallet_id is not None:
        dest_wallet = get_wallet(tx, account, dest_wallet_id, "destination.wallet.id")
        if dest_wallet["id"] == source_wallet["id"]:
            raise invalid("Source and destination wallet are the same", "destination.wallet.id")
        recipient = dest_wallet["customerId"]
    else:
        address = validate_address(
            w.get("blockchainAddress"), "destination.wallet.blockchainAddress"
        )
    src_amt, dst_amt = req["source"].get("amount"), dest.get("amount")
    if src_amt is not None:
        fixed, amount = "source", parse_amount(src_amt, "usdc", "source.amount")
    else:
        fixed, amount = "destination", parse_amount(dst_amt, "usdc", "destination.amount")
    p = price_crypto(fixed, amount, req.get("sponsorGas", False))
    return PricedQuote(
        type="cryptoToCrypto",
        source={
            "walletId": source_wallet["id"],
            "asset": "usdc",
            "network": "polygon",
            **amounts(p["gross"], p["net"]),
            "feesDeducted": fees_block(oms=p["oms"], gas=p["gas"]),
        },
        destination={
            "wallet": {
                "id": dest_wallet_id,
                "blockchainAddress": address,
                "externalAccountId": None,
            },
            "asset": "usdc",
            "network": "polygon",
            **amounts(p["net"], p["net"]),
            "feesDeducted": fees_block(),
            "bankDetails": {},
            "cash": {"locationId": None, "locationReference": None},
        },
        rates=crypto_rates(p["gross"], p["net"]),
        fixed_amount_side=fixed,
        gross_minor=p["gross"],
        recipient=recipient,
        extra={"destWalletId": dest_wallet_id, "address": address, "destNetMinor": p["net"]},
    )


price_crypto_destination = _price_crypto_quote  # bank-sbx: used by saved_addresses.py


def _wallet_and_balance(tx: Store, account: str, wallet_id: object) -> tuple[dict, int | None]:
    """The source wallet (404 not_found on source.walletId) and its balance, in one query."""
    row = None
    if isinstance(wallet_id, str):
        row = tx.one(
            "SELECT r.body, b.balance_minor FROM resources r"
            " LEFT JOIN balances b ON b.wallet_id=r.id"
            " WHERE r.id=? AND r.account=? AND r.kind='wallet'",
            (wallet_id, account),
        )
    if row is None:
        raise not_found("wallet", "source.walletId")
    return json.loads(row[0]), row[1]


def create_quote(tx: Store, account: str, req: dict, now: int) -> dict:
    """Service: validate, price and store a quote. `req` is the plain request dict."""
    return create_quote_json(tx, account, req, now)[0]


def create_quote_json(tx: Store, account: str, req: dict, now: int) -> tuple[dict, str]:
    """create_quote, also returning the quote serialised."""
    customer = json.loads(get_customer_row(tx, account, req["customerId"])["body"])
    src = req["source"]
    if src["asset"] in FIAT_ASSETS or src["network"] in FIAT_NETWORKS:
        raise ApiError(
            400,
            "unsupported_asset",
            "There are no fiat-to-crypto quotes; fund a wallet with a cash-in",
            "source.asset",
        )
    if (src["asset"], src["network"]) not in CRYPTO:
        param = "source.asset" if src["asset"] != "usdc" else "source.network"
        raise ApiError(400, "unsupported_asset", "Only usdc on polygon is supported", param)
    if src.get("walletId") is None:
        raise invalid("source.walletId is required", "source.walletId")
    require_endorsement(customer, "basic")
    wallet, balance_minor = _wallet_and_balance(tx, account, src["walletId"])
    if wallet["customerId"] != customer["id"]:
        raise invalid("The source wallet belongs to another customer", "source.walletId")
    dest = req["destination"]
    has_src, has_dst = src.get("amount") is not None, dest.get("amount") is not None
    if has_src == has_dst:
        raise invalid("Give exactly one of source.amount and destination.amount", "source.amount")
    w = dest["wallet"]
    kinds = [k for k in ("id", "blockchainAddress", "externalAccount") if w.get(k) is not None]
    if w.get("wallet") is not None and "id" not in kinds:
        kinds.append("id")
    if len(kinds) != 1:
        raise invalid(
            "destination.wallet needs exactly one of id, blockchainAddress, externalAccount",
            "destination.wallet",
        )
    saved = kinds[0] == "externalAccount" and str(w["externalAccount"]).startswith("cpBcAddr_")
    if saved:  # bank-sbx (D23): a saved blockchain address, priced by saved_addresses.py
        priced: PricedQuote = DESTINATION_PRICERS["savedAddress"](
            tx, account, customer, wallet, req, now
        )
    elif kinds[0] == "externalAccount" or dest["asset"] in FIAT_ASSETS:
        pricer = DESTINATION_PRICERS.get("externalAccount")
        if pricer is None or kinds[0] != "externalAccount":
            raise ApiError(
                400,
                "unsupported_asset",
                "Bank payouts need destination.wallet.externalAccount",
                "destination.wallet.externalAccount" if pricer is None else "destination.asset",
            )
        priced = pricer(tx, account, customer, wallet, req, now)
    else:
        priced = _price_crypto_quote(tx, account, customer, wallet, req)
    if balance_minor is None or balance_minor < priced.gross_minor:
        raise ApiError(
            422,
            "insufficient_funds",
            "The source wallet cannot cover this amount",
            "source.amount" if has_src else "destination.amount",
        )
    qid = new_id("qt_", now)
    body = {
        "id": qid,
        "object": "quote",
        "type": priced.type,
        "status": "open",
        "customerId": customer["id"],
        "source": priced.source,
        "destination": priced.destination,
        "rates": priced.rates,
        "fixedAmountSide": priced.fixed_amount_side,
        "sponsorGas": bool(req.get("sponsorGas", False)),
        "sponsorGasCost": "0.00",
        "developerFees": [],
        "metadata": req.get("metadata") or {},
        "expiresAt": iso_ms(now + round(RT.quote_ttl_s * 1000)),
        "createdAt": iso_ms(now),
    }
    if req.get("promoCode") is not None:
        body["promoCode"] = req["promoCode"]
    extra = {
        "grossMinor": priced.gross_minor,
        "recipient": priced.recipient,
        "expiresMs": now + round(RT.quote_ttl_s * 1000),
        **(priced.extra or {}),
    }
    # Quotes are never listed: no indexed columns beyond the list index (cheaper writes).
    body_json = tx.insert_resource(
        id=qid, account=account, kind="quote", body=body, created_ms=now, extra=extra
    )
    return body, body_json


def render_quote(row, now: int) -> dict:
    body = json.loads(row["body"])
    if body["status"] == "open":
        extra = json.loads(row["extra"] or "{}")
        if now >= extra.get("expiresMs", 0):
            body["status"] = "expired"
    return body


@router.post("/quotes", status_code=201, response_model=schemas.QuoteOut, summary="Create a quote")
async def post_quote(body: QuoteCreate, request: Request):
    account = account_of(request)
    now = RT.now_ms()
    req = body.model_dump(mode="json")
    with RT.store.tx() as tx:
        created, raw = create_quote_json(tx, account, req, now)
        return respond(request, created, 201, tx, raw_json=raw)


@router.get("/quotes/{quoteId}", response_model=schemas.QuoteOut, summary="Get a quote")
async def get_quote(quoteId: str, request: Request):
    row = RT.store.get_row("quote", account_of(request), quoteId)
    if row is None:
        raise not_found("quote", "quoteId")
    return respond(request, render_quote(row, RT.now_ms()))
