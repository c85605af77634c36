"""Where a US ZIP code is, offline, from the kept ``zipcodes`` data package (no I/O beyond
reading the package's own data file, no Qt).

Every ZIP code the US Postal Service lists (about 42,000) is known: the centroid is
enough to find the nearest stores. A ZIP+4 (``95814-1234``) is cut to its 5 digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import zipcodes

__all__ = ["Place", "customer_zip", "lookup_zip", "normalise_zip"]

#: (latitude, longitude, "City, ST")
Place = tuple[Decimal, Decimal, str]


def normalise_zip(text: str) -> str | None:
    """The 5 digits of a typed ZIP code, or ``None`` when it is not one."""
    raw = "".join((text or "").split()).split("-")[0]
    if len(raw) != 5 or not raw.isdigit() or not raw.isascii():
        return None
    return raw


def lookup_zip(text: str) -> Place | None:
    """Centroid of a US ZIP code; ``None`` when it is not a ZIP code the USPS lists."""
    code = normalise_zip(text)
    if code is None:
        return None
    try:
        found = zipcodes.matching(code)
    except (ValueError, TypeError):  # the package refuses what is not a ZIP code
        return None
    for entry in found:
        try:
            lat, lon = Decimal(str(entry["lat"])), Decimal(str(entry["long"]))
        except (KeyError, InvalidOperation):
            continue
        return lat, lon, f"{entry.get('city', '').title()}, {entry.get('state', '')}"
    return None


def customer_zip(raw: Mapping[str, Any] | None) -> str:
    """The ZIP code of a customer's residential address (``raw`` is the customer's JSON)."""
    address = (raw or {}).get("residentialAddress")
    if not isinstance(address, Mapping):
        return ""
    code = address.get("zipCode") or address.get("postalCode") or ""
    return normalise_zip(code) or "" if isinstance(code, str) else ""
