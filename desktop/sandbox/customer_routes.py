"""Customers: create, get, update (D8). Mounted with the rails after the first screen
(issue 15); the list, which the first screen shows, and the services are in customers.py."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import StrictBool, StrictStr

from . import schemas
from .api import Body, account_of, respond
from .customers import create_customer, get_customer_row, render_one, render_rows, update_customer
from .runtime import RT

router = APIRouter(tags=["Customers"])


class Address(Body):
    line1: StrictStr | None = None
    line2: StrictStr | None = None
    city: StrictStr | None = None
    state: StrictStr | None = None
    country: StrictStr | None = None
    zipCode: StrictStr | None = None


class IdentifyingInfo(Body):
    type: Literal["ssn", "itin", "driversLicense", "passport"]
    issuingCountry: StrictStr | None = None
    number: StrictStr


class CustomerFields(Body):
    firstName: StrictStr | None = None
    middleName: StrictStr | None = None
    lastName: StrictStr | None = None
    email: StrictStr | None = None
    phone: StrictStr | None = None
    birthDate: StrictStr | None = None
    nationality: StrictStr | None = None
    ipAddress: StrictStr | None = None
    externalId: StrictStr | None = None
    signedAgreement: StrictBool | None = None
    residentialAddress: Address | None = None
    identifyingInformation: list[IdentifyingInfo] | None = None
    endorsements: list[Literal["basic", "cryptoCustody", "usd"]] | None = None
    metadata: dict | None = None


class CustomerCreate(CustomerFields):
    type: Literal["individual"]


class CustomerUpdate(CustomerFields):
    type: Literal["individual"] | None = None


# -- routes ---------------------------------------------------------------------------------
def _fields(model: CustomerFields) -> dict:
    return model.model_dump(exclude_unset=True, mode="json")


@router.post(
    "/customers", status_code=201, response_model=schemas.CustomerOut, summary="Create a customer"
)
async def post_customer(body: CustomerCreate, request: Request):
    account = account_of(request)
    now = RT.now_ms()
    with RT.store.tx() as tx:
        created = create_customer(tx, account, _fields(body), now)
        return respond(request, render_one(tx, created), 201, tx)


@router.get("/customers/{customerId}", response_model=schemas.CustomerOut, summary="Get a customer")
async def get_customer(customerId: str, request: Request):
    account = account_of(request)
    row = get_customer_row(RT.store, account, customerId)
    return respond(request, render_rows(RT.store, [row])[0])


@router.patch(
    "/customers/{customerId}", response_model=schemas.CustomerOut, summary="Update a customer"
)
async def patch_customer(customerId: str, body: CustomerUpdate, request: Request):
    account = account_of(request)
    now = RT.now_ms()
    with RT.store.tx() as tx:
        updated = update_customer(tx, account, customerId, _fields(body), now)
        return respond(request, render_one(tx, updated), 200, tx)
