"""A fixed, realistic set of GreenDot cash-in stores for the sandbox (D11).

Ids (`loc_…`) and `locationReference`s are derived from the GreenDot store number, so
they are the same in every sandbox, on every start. Distances are computed from the
query point with the haversine formula and reported in miles as a string with one
decimal ("0.4").
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PROVIDER = "greendot"
EARTH_RADIUS_MILES = 3958.8
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


@dataclass(frozen=True)
class CashLocation:
    store_number: int
    name: str
    address: str
    city: str
    state: str
    zip_code: str
    latitude: float
    longitude: float
    country: str = "US"

    @property
    def id(self) -> str:
        return location_id(self.store_number)

    @property
    def location_reference(self) -> str:
        raw = f"GREENDOT-{self.store_number}:lat={self.latitude},lng={self.longitude}"
        return base64.b64encode(raw.encode()).decode()

    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.city}, {self.state} {self.zip_code}"

    def to_json(self, distance_miles: float | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "cashLocation",
            "locationReference": self.location_reference,
            "provider": PROVIDER,
            "name": self.name,
            "address": self.address,
            "city": self.city,
            "state": self.state,
            "zipCode": self.zip_code,
            "country": self.country,
            "coordinates": {"latitude": self.latitude, "longitude": self.longitude},
            "distance": None if distance_miles is None else format_distance(distance_miles),
        }


def location_id(store_number: int) -> str:
    """Stable TypeID-style id: `loc_` + 26 Crockford base32 chars (first char 0-7)."""
    digest = hashlib.sha256(f"greendot-store-{store_number}".encode()).digest()
    value = int.from_bytes(digest[:16], "big")  # 128 bits -> 26 chars, first <= 7
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "loc_" + "".join(reversed(chars))


def haversine_miles(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def format_distance(miles: float) -> str:
    """Miles with one decimal, rounded half-up on the decimal value ("0.4", "12.0")."""
    return str(Decimal(repr(miles)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# store number|name|street|city|state|zip|latitude|longitude
_TABLE = """
# New York (around 10001)
4521|CVS Pharmacy #4521|400 8th Ave|New York|NY|10001|40.750316|-73.995422
10854|Walgreens #10854|1 Penn Plaza|New York|NY|10119|40.750912|-73.992833
34021|7-Eleven #34021|261 W 23rd St|New York|NY|10011|40.744684|-73.997934
4178|Rite Aid #4178|501 6th Ave|New York|NY|10011|40.737622|-73.996103
10390|CVS Pharmacy #10390|630 Lexington Ave|New York|NY|10022|40.758863|-73.970802
21345|Dollar General #21345|1851 3rd Ave|New York|NY|10029|40.788514|-73.946012
11322|Walgreens #11322|145 4th Ave|New York|NY|10003|40.734210|-73.989940
# San Francisco
15043|Walgreens #15043|135 Powell St|San Francisco|CA|94102|37.785610|-122.407921
9651|CVS Pharmacy #9651|731 Market St|San Francisco|CA|94103|37.786811|-122.404032
36657|7-Eleven #36657|1200 Polk St|San Francisco|CA|94109|37.787512|-122.419904
2837|Walgreens #2837|1899 Mission St|San Francisco|CA|94103|37.768433|-122.419612
5431|Rite Aid #5431|2351 Mission St|San Francisco|CA|94110|37.759284|-122.418893
16823|Dollar General #16823|2675 Geary Blvd|San Francisco|CA|94118|37.782121|-122.446507
# Sacramento (the docs' example reference is GREENDOT-2434 at 38.495133,-121.505336)
2434|CVS Pharmacy #2434|7400 Greenhaven Dr|Sacramento|CA|95831|38.495133|-121.505336
5876|Walgreens #5876|6051 Freeport Blvd|Sacramento|CA|95822|38.512303|-121.494018
6008|Rite Aid #6008|1230 Florin Rd|Sacramento|CA|95831|38.495814|-121.495070
18120|Dollar General #18120|5801 Stockton Blvd|Sacramento|CA|95824|38.523713|-121.445631
32745|7-Eleven #32745|2800 Riverside Blvd|Sacramento|CA|95818|38.559204|-121.501042
3523|Walmart Supercenter #3523|8915 Gerber Rd|Sacramento|CA|95828|38.478722|-121.371108
# Chicago
4160|Walgreens #4160|151 N State St|Chicago|IL|60601|41.884523|-87.627904
8834|CVS Pharmacy #8834|205 N Michigan Ave|Chicago|IL|60601|41.886214|-87.624410
35642|7-Eleven #35642|300 W Adams St|Chicago|IL|60606|41.879419|-87.636108
5781|Walmart Supercenter #5781|4650 W North Ave|Chicago|IL|60639|41.909812|-87.743706
22331|Dollar General #22331|4035 W Madison St|Chicago|IL|60624|41.881023|-87.727711
10234|Family Dollar #10234|1010 S Pulaski Rd|Chicago|IL|60624|41.868519|-87.725133
12904|Walgreens #12904|3000 N Clark St|Chicago|IL|60657|41.936311|-87.644412
# Austin
7233|CVS Pharmacy #7233|500 Congress Ave|Austin|TX|78701|30.267962|-97.742961
6911|Walgreens #6911|2501 S Congress Ave|Austin|TX|78704|30.240618|-97.752012
41203|7-Eleven #41203|1600 Guadalupe St|Austin|TX|78701|30.280011|-97.742022
1179|Walmart Supercenter #1179|710 E Ben White Blvd|Austin|TX|78704|30.218813|-97.762034
14512|Dollar General #14512|5701 E Riverside Dr|Austin|TX|78741|30.227024|-97.715031
8807|Family Dollar #8807|1107 E 7th St|Austin|TX|78702|30.264822|-97.730203
# Miami
3220|Walgreens #3220|200 E Flagler St|Miami|FL|33131|25.774312|-80.189402
4308|CVS Pharmacy #4308|1549 SW 8th St|Miami|FL|33135|25.765511|-80.219014
38101|7-Eleven #38101|1000 Brickell Ave|Miami|FL|33131|25.762503|-80.192031
3384|Walmart Supercenter #3384|3200 NW 79th St|Miami|FL|33147|25.847019|-80.246022
19123|Dollar General #19123|2700 NW 7th Ave|Miami|FL|33127|25.804011|-80.207018
5522|Family Dollar #5522|6301 NW 2nd Ave|Miami|FL|33150|25.832107|-80.197514
# Los Angeles
9210|CVS Pharmacy #9210|210 W 7th St|Los Angeles|CA|90014|34.045013|-118.253015
5999|Walgreens #5999|5201 Hollywood Blvd|Los Angeles|CA|90027|34.101722|-118.302011
"""


def _parse(table: str) -> tuple[CashLocation, ...]:
    out = []
    for line in table.strip().splitlines():
        if line.startswith("#"):
            continue
        n, name, addr, city, state, zip_code, lat, lng = (f.strip() for f in line.split("|"))
        out.append(CashLocation(int(n), name, addr, city, state, zip_code, float(lat), float(lng)))
    return tuple(out)


LOCATIONS: tuple[CashLocation, ...] = _parse(_TABLE)

_BY_ID: dict[str, CashLocation] = {loc.id: loc for loc in LOCATIONS}


def get(location_id_: str) -> CashLocation | None:
    return _BY_ID.get(location_id_)


def nearest(latitude: float, longitude: float) -> list[tuple[CashLocation, float]]:
    """All stores with their distance in miles from the point, nearest first (ties by id)."""
    rows = [
        (loc, haversine_miles(latitude, longitude, loc.latitude, loc.longitude))
        for loc in LOCATIONS
    ]
    rows.sort(key=lambda r: (r[1], r[0].id))
    return rows


def decode_reference(reference: str) -> str | None:
    """The decoded `GREENDOT-<n>:lat=..,lng=..` text, or None if it is not valid base64."""
    try:
        return base64.b64decode(reference, validate=True).decode()
    except Exception:
        return None
