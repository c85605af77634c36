"""What virtual accounts and deposit addresses (D22) share: the request checks in the settled
order, deletion, the simulator amount rule and the inbound transaction's common fields.

Both are `resources` rows (kind "virtualAccount" / "depositAddress"). DELETE renames the kind
to "<kind>.deleted": the row stays for history (a deleted VA's account number is never issued
again, its in-flight transactions still settle), but no GET, list or simulator finds it.
"""

from __future__ import annotations

from typing import Any

from .clock import iso_ms
from .customers import require_endorsement
from .errors import ApiError
from .money import format_amount, parse_amount
from .rails_common import customer_or_404, fees_block
from .store import Store

DELETED = ".deleted"
LABEL_MAX = 64
MEMO_MAX = 140
SIM_MIN_CENTS = 1_00
SIM_MAX_CENTS = 100_000_00


def obj(value: Any, param: str) -> dict:
    if value is None:
        raise ApiError(400, "invalid_request", f"{param} is required", param)
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_request", f"{param} must be an object", param)
    return value


def asset_pair(side: dict, prefix: str, asset: str, network: str) -> None:
    """`<prefix>.asset` / `.network` must be the one pair supported (400 unsupported_asset)."""
    if side.get("asset", asset) != asset:
        raise ApiError(
            400, "unsupported_asset", f"{prefix}.asset must be {asset}", prefix + ".asset"
        )
    if side.get("network", network) != network:
        raise ApiError(
            400, "unsupported_asset", f"{prefix}.network must be {network}", prefix + ".network"
        )


def wallet_id_of(destination: dict) -> str:
    wallet = obj(destination.get("wallet"), "destination.wallet")
    wid = wallet.get("id")
    if not isinstance(wid, str) or not wid:
        raise ApiError(
            400, "invalid_request", "destination.wallet.id is required", "destination.wallet.id"
        )
    return wid


def optional_text(value: Any, param: str, max_len: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise ApiError(400, "invalid_request", f"{param} must be 1-{max_len} characters", param)
    return value


def customer_and_wallet(
    store: Store, account: str, customer_id: str, wallet_id: str, endorsement: str
) -> tuple[dict, dict]:
    """D22's order: customer exists (404) → inactive / endorsement (403) → the wallet is the
    customer's (400 invalid_request, param destination.wallet.id)."""
    customer = customer_or_404(store, account, customer_id, "customerId")
    require_endorsement(customer, endorsement)
    wallet = store.get_body("wallet", account, wallet_id)
    if wallet is None or wallet.get("customerId") != customer["id"]:
        raise ApiError(
            400,
            "invalid_request",
            "The wallet is not one of this customer's wallets",
            "destination.wallet.id",
        )
    return customer, wallet


def require_active_customer(store: Store, account: str, customer_id: str) -> dict:
    customer = customer_or_404(store, account, customer_id, "customerId")
    if customer["status"] != "active":
        raise ApiError(403, "customer_inactive", "The customer is inactive", "customerId")
    return customer


def load(store: Store, kind: str, account: str, rid: str, what: str, param: str) -> dict:
    body = store.get_body(kind, account, rid)
    if body is None:
        raise ApiError(404, "not_found", f"No such {what}", param)
    return body


def mark_deleted(tx: Store, kind: str, rid: str, now: int) -> None:
    tx.execute(
        "UPDATE resources SET kind=?, status='deleted', updated_ms=? WHERE id=? AND kind=?",
        (kind + DELETED, now, rid, kind),
    )


def simulator_amount(value: Any, param: str = "amount") -> int:
    """At most 2 places ("5" is valid), 1.00–100000.00; else 400 invalid_amount (D22)."""
    cents = parse_amount(value, "usd", param)
    if not SIM_MIN_CENTS <= cents <= SIM_MAX_CENTS:
        raise ApiError(
            400, "invalid_amount", "A simulated deposit is between 1.00 and 100000.00", param
        )
    return cents


def wallet_target(wallet_id: str) -> dict:
    """`destination.wallet` of D10 for an OMS wallet."""
    return {"id": wallet_id, "blockchainAddress": None, "externalAccountId": None}


def inbound_transaction(
    *,
    txn_id: str,
    type: str,
    sub_status: str,
    customer_id: str,
    sender: str | None,
    source: dict,
    wallet_id: str,
    net_minor_usdc: int,
    rates: dict,
    now: int,
    tx_hash: str | None = None,
    deposit_address_id: str | None = None,
) -> dict:
    return {
        "id": txn_id,
        "object": "transaction",
        "type": type,
        "status": "processing",
        "subStatus": sub_status,
        "quoteId": None,
        "customerId": customer_id,
        "sender": sender,
        "recipient": customer_id,
        "fixedAmountSide": "source",
        "source": source,
        "destination": {
            "wallet": wallet_target(wallet_id),
            "asset": "usdc",
            "network": "polygon",
            "rail": "crypto",
            "amountGross": format_amount(net_minor_usdc, "usdc"),
            "amountNet": format_amount(net_minor_usdc, "usdc"),
            "feesDeducted": fees_block("usdc"),
            "txHash": tx_hash,
            "externalAccountId": None,
            "bankDetails": {},
            "cash": {"locationId": None, "locationReference": None},
        },
        "rates": rates,
        "sponsorGas": True,
        "sponsorGasCost": "0",
        "developerFees": [],
        "txHash": tx_hash,
        "cashInId": None,
        "depositAddressId": deposit_address_id,
        "partnerTransactionId": None,
        "tags": None,
        "error": None,
        "metadata": {},
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
        "completedAt": None,
    }
