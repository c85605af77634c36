"""The one customer-identity fixture of the tests: every field the sandbox's endorsements
need (D8), so a customer made from it has `basic`, `cryptoCustody` and `usd` ACTIVE."""

from __future__ import annotations

from typing import Any

IDENTITY: dict[str, Any] = {
    "type": "individual",
    "firstName": "Jane",
    "lastName": "Smith",
    "email": "jane@example.com",
    "phone": "+12125551234",
    "birthDate": "1990-05-15",
    "nationality": "US",
    "signedAgreement": True,
    "ipAddress": "203.0.113.7",
    "residentialAddress": {
        "line1": "123 Main St",
        "city": "New York",
        "state": "NY",
        "country": "US",
        "zipCode": "10001",
    },
    "identifyingInformation": [{"type": "ssn", "issuingCountry": "US", "number": "123456789"}],
    "endorsements": ["basic", "cryptoCustody", "usd"],
}


def identity(**overrides: Any) -> dict[str, Any]:
    """A copy of IDENTITY with `overrides`; an override of `...` drops that field."""
    body = {**IDENTITY, **overrides}
    return {k: v for k, v in body.items() if v is not ...}
