"""Customers and their endorsements (D8): the services and the list route (the first screen's;
create, get and update are in customer_routes.py, mounted with the rails, issue 15)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from . import schemas
from .api import Paging, account_of, envelope, paging, respond
from .clock import iso_ms
from .errors import ApiError, invalid, not_found
from .ids import new_id
from .money import usdc
from .runtime import RT
from .store import Store

router = APIRouter(tags=["Customers"])

ENDORSEMENTS = ("basic", "cryptoCustody", "usd")
IDENTITY_FIELDS = (
    "firstName",
    "lastName",
    "birthDate",
    "residentialAddress",
    "identifyingInformation",
)
PRIVATE_FIELDS = ("birthDate", "residentialAddress", "identifyingInformation", "ipAddress")
PUBLIC_FIELDS = (
    "firstName",
    "middleName",
    "lastName",
    "email",
    "phone",
    "nationality",
    "externalId",
)
REJECT_NAME = "Reject"
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_RE = re.compile(r"\+[1-9][0-9]{6,14}")


def _validate(fields: dict) -> None:
    email = fields.get("email")
    if email is not None and not _EMAIL_RE.fullmatch(email):
        raise invalid("email is not a valid address", "email")
    phone = fields.get("phone")
    if phone is not None and not _PHONE_RE.fullmatch(phone):
        raise invalid("phone must be E.164, e.g. +12125551234", "phone")
    bd = fields.get("birthDate")
    if bd is not None:
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", bd):
                raise ValueError
            date.fromisoformat(bd)
        except ValueError:
            raise invalid("birthDate must be YYYY-MM-DD", "birthDate") from None
    nat = fields.get("nationality")
    if nat is not None and not re.fullmatch(r"[A-Z]{2}", nat):
        raise invalid("nationality must be an ISO 3166-1 alpha-2 code", "nationality")


def _present(profile: dict, field: str) -> bool:
    v = profile.get(field)
    if isinstance(v, str):
        return bool(v.strip())
    return bool(v)


def evaluate_endorsements(profile: dict, requested: list[str], current: list[dict]) -> list[dict]:
    """Decide every endorsement synchronously (D8). Returns the three entries."""
    by_name = {e["name"]: e for e in current}
    missing = [f for f in IDENTITY_FIELDS if not _present(profile, f)]
    complete = [f for f in IDENTITY_FIELDS if _present(profile, f)]
    out = []
    for name in ENDORSEMENTS:
        old = by_name.get(name)
        if name not in requested:
            out.append(_entry(name, "INACTIVE"))
        elif old and old["status"] in ("ACTIVE", "REJECTED"):
            out.append(old)
        elif profile.get("lastName") == REJECT_NAME:
            entry = _entry(name, "REJECTED", complete=complete, missing=missing)
            entry["rejectionReasons"] = [
                {
                    "reason": "We could not verify this person's identity.",
                    "developerReason": "Sandbox test value: lastName 'Reject' is always rejected.",
                }
            ]
            out.append(entry)
        elif missing:
            out.append(_entry(name, "PENDING", complete=complete, missing=missing))
        else:
            out.append(_entry(name, "ACTIVE", complete=list(IDENTITY_FIELDS)))
    return out


def _entry(name, status, complete=(), missing=()) -> dict:
    return {
        "name": name,
        "status": status,
        "rejectionReasons": [],
        "requirements": {
            "complete": list(complete),
            "pending": [],
            "missing": list(missing),
            "issues": [],
        },
    }


def _requested(asked: list[str] | None, previous: list[str]) -> list[str]:
    req = set(previous)
    if asked is None and not previous:
        asked = ["cryptoCustody", "usd"]  # OMS default when the field is omitted
    for name in asked or ():
        req.add(name)
    if "usd" in req:
        req.add("basic")  # usd implies basic
    return [n for n in ENDORSEMENTS if n in req]


def _emit_transitions(tx: Store, account: str, before: list[dict], body: dict, now: int) -> None:
    old = {e["name"]: e["status"] for e in before}
    for e in body["endorsements"]:
        if old.get(e["name"]) == e["status"]:
            continue
        if e["status"] == "ACTIVE":
            tx.emit(account, "customer.endorsement.granted", render_one(tx, body), now)
        elif e["status"] == "REJECTED":
            tx.emit(account, "customer.endorsement.rejected", render_one(tx, body), now)


def create_customer(tx: Store, account: str, fields: dict, now: int) -> dict:
    """Service: create a customer from already-validated plain fields."""
    _validate(fields)
    cid = new_id("cst_", now)
    private = {k: fields.get(k) for k in PRIVATE_FIELDS if fields.get(k) is not None}
    requested = _requested(fields.get("endorsements"), [])
    profile = {**fields}
    signed = bool(fields.get("signedAgreement"))
    body = {
        "id": cid,
        "object": "customer",
        "type": "individual",
        **{k: fields.get(k) for k in PUBLIC_FIELDS},
        "status": "active",
        "signedAgreement": signed,
        "signedAgreementAt": iso_ms(now) if signed else None,
        "endorsements": evaluate_endorsements(profile, requested, []),
        "metadata": fields.get("metadata") or {},
        "createdAt": iso_ms(now),
        "updatedAt": iso_ms(now),
    }
    tx.insert_resource(
        id=cid,
        account=account,
        kind="customer",
        body=body,
        created_ms=now,
        status="active",
        email=body["email"],
        external_id=body["externalId"],
        extra={"private": private, "requested": requested},
    )
    _emit_transitions(tx, account, [], body, now)
    return body


def update_customer(tx: Store, account: str, cid: str, fields: dict, now: int) -> dict:
    row = tx.get_row("customer", account, cid)
    if row is None:
        raise not_found("customer", "customerId")
    _validate(fields)
    body = json.loads(row["body"])
    extra = json.loads(row["extra"] or "{}")
    private = extra.get("private", {})
    if "signedAgreement" in fields:
        if fields["signedAgreement"] is False and body["signedAgreement"]:
            raise invalid("signedAgreement cannot be withdrawn", "signedAgreement")
        if fields["signedAgreement"] and not body["signedAgreement"]:
            body["signedAgreement"] = True
            body["signedAgreementAt"] = iso_ms(now)
    for k in PUBLIC_FIELDS:
        if k in fields:
            body[k] = fields[k]
    if "metadata" in fields:
        body["metadata"] = fields["metadata"] or {}
    for k in ("birthDate", "residentialAddress", "ipAddress"):
        if k in fields:
            private[k] = fields[k]
    if fields.get("identifyingInformation"):
        docs = {d["type"]: d for d in private.get("identifyingInformation") or []}
        for d in fields["identifyingInformation"]:
            docs[d["type"]] = d  # same type replaces, new type appends
        private["identifyingInformation"] = list(docs.values())
    requested = _requested(fields.get("endorsements") or [], extra.get("requested", []))
    before = body["endorsements"]
    profile = {**body, **private}
    body["endorsements"] = evaluate_endorsements(profile, requested, before)
    body["updatedAt"] = iso_ms(now)
    tx.update_resource(
        cid,
        body,
        now,
        extra={"private": private, "requested": requested},
        email=body["email"],
        external_id=body["externalId"],
    )
    _emit_transitions(tx, account, before, body, now)
    return body


def set_status(tx: Store, account: str, cid: str, status: str, now: int) -> dict:
    row = tx.get_row("customer", account, cid)
    if row is None:
        raise not_found("customer", "customerId")
    body = json.loads(row["body"])
    body["status"] = status
    body["updatedAt"] = iso_ms(now)
    tx.update_resource(cid, body, now, status=status)
    return body


# -- rendering (wallets are a live view) ------------------------------------------------
def _wallet_views(store: Store, customer_ids: list[str]) -> dict[str, list[dict]]:
    if not customer_ids:
        return {}
    marks = ",".join("?" * len(customer_ids))
    rows = store.all(
        "SELECT r.customer_id, r.body, b.balance_minor FROM resources r"
        " LEFT JOIN balances b ON b.wallet_id = r.id"
        f" WHERE r.kind='wallet' AND r.customer_id IN ({marks})"
        " ORDER BY r.created_ms, r.id",
        customer_ids,
    )
    out: dict[str, list[dict]] = {}
    for r in rows:
        w = json.loads(r[1])
        bal = usdc(r[2] or 0)
        out.setdefault(r[0], []).append(
            {
                "id": w["id"],
                "type": "custodial",
                "address": w["address"],
                "network": w["chain"],
                "asset": w["asset"],
                "balance": bal,
                "estimatedValueUsd": bal,
                "createdAt": w["createdAt"],
            }
        )
    return out


def render_rows(store: Store, rows: list) -> list[dict]:
    bodies = [json.loads(r["body"]) for r in rows]
    views = _wallet_views(store, [b["id"] for b in bodies])
    for b in bodies:
        b["wallets"] = views.get(b["id"], [])
    return bodies


def render_one(store: Store, body: dict) -> dict:
    out = dict(body)
    out["wallets"] = _wallet_views(store, [body["id"]]).get(body["id"], [])
    return out


def get_customer_row(store: Store, account: str, cid: str, param: str = "customerId"):
    row = store.get_row("customer", account, cid)
    if row is None:
        raise not_found("customer", param)
    return row


def require_endorsement(customer: dict, name: str) -> None:
    """403 customer_inactive / endorsement_required gates of D8."""
    if customer["status"] != "active":
        raise ApiError(403, "customer_inactive", "The customer is inactive", "customerId")
    for e in customer["endorsements"]:
        if e["name"] == name and e["status"] == "ACTIVE":
            return
    raise ApiError(
        403, "endorsement_required", f"The customer needs the '{name}' endorsement", name
    )


# -- the first screen's route (the others: customer_routes.py) ----------------------------
@router.get(
    "/customers",
    response_model=schemas.CustomerPage,
    summary="List customers (D9 paging; filters status, email, externalId)",
)
async def list_customers(
    request: Request,
    page: Paging = Depends(paging),
    status: Literal["active", "inactive"] | None = Query(None),
    email: str | None = Query(None),
    externalId: str | None = Query(None),
):
    account = account_of(request)
    store = RT.store
    rows, more = store.page(
        "customer", account, **page.kwargs(), status=status, email=email, external_id=externalId
    )
    return respond(request, envelope(rows, more, lambda rs: render_rows(store, rs), True))
