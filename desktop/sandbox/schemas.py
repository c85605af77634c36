"""Response shapes, for the OpenAPI document only (handlers return ready-made JSON).

Here: the base, the errors and the first screen's shapes (token, customers, health). The
other rails' shapes are in rail_schemas.py, imported with the rails (issue 15); they are
reached as ``schemas.X`` too (the module's ``__getattr__``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """Base of the response shapes: each is built on first use (its route, or the OpenAPI
    document), not at import: most of them belong to rails mounted after the first screen."""

    model_config = ConfigDict(defer_build=True)


class ErrorDetail(Out):
    code: str = Field(examples=["invalid_amount"])
    message: str
    param: str | None = Field(None, examples=["source.amount"])
    requestId: str = Field(examples=["req_01m89cmmzp2q55p2hk16drv347"])


class ErrorOut(Out):
    error: ErrorDetail


class TokenOut(Out):
    accessToken: str
    tokenType: str = "bearer"
    expiresIn: int = 3600
    expiresAt: str


class Requirements(Out):
    complete: list[str]
    pending: list[str]
    missing: list[str]
    issues: list[str]


class Endorsement(Out):
    name: str = Field(examples=["basic"])
    status: str = Field(examples=["ACTIVE"])
    rejectionReasons: list[dict[str, Any]]
    requirements: Requirements


class CustomerWalletView(Out):
    id: str
    type: str = "custodial"
    address: str
    network: str
    asset: str
    balance: str
    estimatedValueUsd: str
    createdAt: str


class CustomerOut(Out):
    id: str = Field(examples=["cst_01m89cmmzp2q55p2hk16drv34a"])
    object: str = "customer"
    type: str = "individual"
    firstName: str | None
    middleName: str | None
    lastName: str | None
    email: str | None
    phone: str | None
    nationality: str | None
    externalId: str | None
    status: str = Field(examples=["active"])
    signedAgreement: bool
    signedAgreementAt: str | None
    endorsements: list[Endorsement]
    wallets: list[CustomerWalletView]
    metadata: dict[str, Any]
    createdAt: str
    updatedAt: str


class _Page(Out):
    hasMore: bool
    nextCursor: str | None
    previousCursor: str | None


class CustomerPage(_Page):
    data: list[CustomerOut]
    cursor: str | None


class HealthOut(Out):
    status: str = "ok"
    now: str
    backend: str = Field("sqlite", description="sqlite (embedded) or postgresql (team, D24)")
    workers: int = Field(1, description="worker processes serving this sandbox")
    database: str = Field("reachable", description="reachable or unreachable (then 503)")
    pid: int = Field(0, description="the worker process that answered")


# The cash-in rail's, kept here: its OpenAPI component is named after this module (three
# modules define a DepositInstructions), and the document stays as it was.
class DepositInstructions(Out):
    code: str = Field(examples=["YYTH-XX63"])
    expiresAt: str
    locationName: str
    locationAddress: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": desc}
    for status, desc in [
        (
            400,
            "invalid_request / invalid_amount / invalid_address / unsupported_asset /"
            " idempotency_key_required",
        ),
        (401, "unauthorized / invalid_credentials / token_expired"),
        (403, "endorsement_required / customer_inactive"),
        (404, "not_found"),
        (409, "quote_expired / quote_not_open / idempotency_key_in_use / invalid_state"),
        (405, "method_not_allowed"),
        (413, "request_too_large (the body is over the size limit; nothing was read past it)"),
        (422, "insufficient_funds / limit_exceeded / idempotency_key_reused"),
        (500, "internal_error"),
    ]
}


def __getattr__(name: str) -> Any:
    """A rail's shape (rail_schemas), imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    from . import rail_schemas

    try:
        return getattr(rail_schemas, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
