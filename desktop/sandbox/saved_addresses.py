"""Saved blockchain addresses (D23; early access in OMS, full in the sandbox): external
accounts of type `blockchainAddress` (`cpBcAddr_…`), listed with the bank accounts (D12),
deletable, and usable as a send's destination (`destination.wallet.externalAccount`).

payouts.py owns the external-account routes and dispatches a create of type
`blockchainAddress` here (`EXTERNAL_ACCOUNT_CREATORS`); quotes.py routes an
`externalAccount` whose id starts with `cpBcAddr_` to `price_saved_address`
(`DESTINATION_PRICERS["savedAddress"]`). This module adds DELETE for every external account.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .addresses import validate_address
from .api import account_of, respond
from .clock import iso_ms
from .errors import ApiError
from .ids import new_id
from .inbound import DELETED, mark_deleted
from .payouts import EXTERNAL_ACCOUNT_CREATORS
from .payouts import KIND as EXT_KIND
from .pricing import DESTINATION_PRICERS, PricedQuote
from .quotes import price_crypto_destination
from .rails_common import customer_or_404
from .runtime import RT
from .store import Store

router = APIRouter(tags=["ExternalAccounts"])

PREFIX = "cpBcAddr_"
TYPE = "blockchainAddress"
LABEL_MAX = 64
PARAM = "destination.wallet.externalAccount"


def create_saved_address(customer_id: str, body: Any, request: Request):
    """POST /customers/{id}/external-accounts with type blockchainAddress (from payouts.py)."""
    account = account_of(request)
    store = RT.store
    if body.network != "polygon":
        raise ApiError(400, "unsupported_asset", "Saved addresses are on polygon", "network")
    address = validate_address(body.address, "address")
    label = body.label
    if not isinstance(label, str) or not label.strip() or len(label) > LABEL_MAX:
        raise ApiError(400, "invalid_request", f"label must be 1-{LABEL_MAX} characters", "label")
    customer = customer_or_404(store, account, customer_id, "customerId")
    now = RT.now_ms()
    with store.tx() as tx:
        dup = tx.one(
            "SELECT id FROM resources WHERE address=? AND account=? AND kind=? AND customer_id=?",
            (address.lower(), account, EXT_KIND, customer["id"]),
        )
        if dup is not None:
            raise ApiError(
                409,
                "invalid_state",
                f"This address is already saved for the customer ({dup[0]})",
                "address",
            )
        eid = new_id(PREFIX, now)
        out = {
            "id": eid,
            "object": "externalAccount",
            "customerId": customer["id"],
            "type": TYPE,
            "network": "polygon",
            "address": address,
            "label": label,
            "createdAt": iso_ms(now),
        }
        tx.insert_resource(
            id=eid,
            account=account,
            kind=EXT_KIND,
            body=out,
            created_ms=now,
            customer_id=customer["id"],
            type=TYPE,
            address=address,
        )
        return respond(request, out, 201, tx)


EXTERNAL_ACCOUNT_CREATORS[TYPE] = create_saved_address


@router.delete(
    "/customers/{customerId}/external-accounts/{externalAccountId}",
    status_code=204,
    summary="Delete an external account (bank account or saved address)",
)
async def delete_external_account(customerId: str, externalAccountId: str, request: Request):
    account = account_of(request)
    store = RT.store
    customer_or_404(store, account, customerId, "customerId")
    body = store.get_body(EXT_KIND, account, externalAccountId)
    if body is None or body["customerId"] != customerId:
        raise ApiError(404, "not_found", "No such external account", "externalAccountId")
    with store.tx() as tx:
        mark_deleted(tx, EXT_KIND, externalAccountId, RT.now_ms())
    return Response(status_code=204)


def price_saved_address(
    tx: Store, account: str, customer: dict, source_wallet: dict, req: dict, now_ms: int
) -> PricedQuote:
    """A send to a saved address: priced as a send to its address; `destination.wallet` names
    both the address and the saved address (D23)."""
    eid = req["destination"]["wallet"].get("externalAccount")
    row = tx.get_row(EXT_KIND, account, eid)
    saved = json.loads(row["body"]) if row is not None else None
    if saved is None or saved.get("type") != TYPE or saved["customerId"] != customer["id"]:
        raise ApiError(
            400, "invalid_request", "No saved address of this customer has this id", PARAM
        )
    plain = {
        **req,
        "destination": {**req["destination"], "wallet": {"blockchainAddress": saved["address"]}},
    }
    priced = price_crypto_destination(tx, account, customer, source_wallet, plain)
    priced.destination["wallet"] = {
        "id": None,
        "blockchainAddress": saved["address"],
        "externalAccountId": saved["id"],
    }
    priced.destination["externalAccountId"] = saved["id"]
    return priced


DESTINATION_PRICERS["savedAddress"] = price_saved_address


def _migrate(store: Store) -> None:
    """External accounts listed by `?type=`: bank accounts once stored their network in the
    `type` column; store their type instead (once per database)."""
    if store.get_meta("ext_type_column") == "type":
        return
    with store.tx() as tx:
        tx.execute(
            "UPDATE resources SET type='usBank' WHERE kind IN (?, ?) AND type IN ('ach', 'wire')",
            (EXT_KIND, EXT_KIND + DELETED),
        )
        tx.set_meta("ext_type_column", "type")


def _startup() -> None:
    if RT.store is not None:
        _migrate(RT.store)


_startup()
router.on_startup.append(_startup)
