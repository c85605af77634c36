"""Small helpers shared by the rails modules (cash-ins, payouts), on top of the core ones."""

from __future__ import annotations

import json

from .customers import get_customer_row, require_endorsement
from .errors import ApiError
from .money import format_amount
from .store import Store
from .wallets import get_wallet

USDC_PER_CENT = 10_000  # usdc minor units (6 places) per usd cent (2 places), rate 1.0


def customer_or_404(store: Store, account: str, customer_id: object, param: str) -> dict:
    if not isinstance(customer_id, str):
        raise ApiError(400, "invalid_request", f"{param} must be a string", param)
    return json.loads(get_customer_row(store, account, customer_id, param)["body"])


def require_money_customer(customer: dict, endorsements: tuple[str, ...]) -> None:
    """D8 gates: active customer, then each endorsement ACTIVE (403 otherwise)."""
    for name in endorsements:
        require_endorsement(customer, name)


def wallet_or_404(store: Store, account: str, wallet_id: object, param: str) -> dict:
    return get_wallet(store, account, wallet_id, param)


def fees_block(asset: str, *, oms: int = 0, rail: int = 0, gas: int = 0, developer: int = 0):
    """`feesDeducted` with all five keys (D13), amounts in the asset's minor units."""
    return {
        "total": format_amount(oms + rail + gas + developer, asset),
        "developer": format_amount(developer, asset),
        "oms": format_amount(oms, asset),
        "gas": format_amount(gas, asset),
        "rail": format_amount(rail, asset),
    }
