"""Helpers of the inbound-money tests (virtual accounts, deposit addresses, saved addresses;
D22, D23): create them, simulate into them, and take a snapshot of everything a rejected
request must leave unchanged."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api


def va_body(wallet_id: str, **extra: Any) -> dict:
    return {
        "source": {"asset": "usd", "network": "usBank"},
        "destination": {"wallet": {"id": wallet_id}, "asset": "usdc", "network": "polygon"},
        **extra,
    }


def da_body(wallet_id: str, **extra: Any) -> dict:
    return {
        "source": {"asset": "usdc", "network": "polygon"},
        "destination": {"wallet": {"id": wallet_id}},
        **extra,
    }


def open_va(api: Api, cst: dict, wlt: dict, **extra: Any) -> dict:
    return api.ok(
        api.post(f"/customers/{cst['id']}/virtual-accounts", va_body(wlt["id"], **extra)), 201
    )


def open_da(api: Api, cst: dict, wlt: dict, **extra: Any) -> dict:
    r = api.post(f"/customers/{cst['id']}/deposit-addresses", da_body(wlt["id"], **extra))
    return api.ok(r, 201)


def sim_va(api: Api, va_id: str, amount: str, rail: str = "ach_in") -> dict:
    r = api.post(f"/virtual-accounts/{va_id}/simulate", {"rail": rail, "amount": amount})
    return api.ok(r, 201)


def sim_da(api: Api, da_id: str, amount: str, **extra: Any) -> dict:
    r = api.post(f"/deposit-addresses/{da_id}/simulate", {"amount": amount, **extra})
    return api.ok(r, 201)


def save_address(api: Api, cst: dict, address: str, label: str = "Cold wallet") -> dict:
    body = {"type": "blockchainAddress", "network": "polygon", "address": address, "label": label}
    return api.ok(api.post(f"/customers/{cst['id']}/external-accounts", body), 201)


def snapshot(api: Api, cst: dict, wlt: dict | None = None) -> dict:
    """Everything of one customer that a rejected request must not change."""
    cid = cst["id"]
    out = {
        "vas": api.ok(api.get(f"/customers/{cid}/virtual-accounts")),
        "das": api.ok(api.get(f"/customers/{cid}/deposit-addresses")),
        "ext": api.ok(api.get(f"/customers/{cid}/external-accounts")),
        "txns": api.ok(api.get("/transactions", customerId=cid)),
    }
    if wlt is not None:
        out["balance"] = api.balance(wlt["id"])
    return out
