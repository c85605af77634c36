"""A small built-in table of US ZIP code centroids for the demo store finder (no I/O).

Coordinates are approximate (a few hundred metres); enough to find the nearest stores.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["ZIP_CENTROIDS", "lookup_zip"]

#: zip → (latitude, longitude, "City, ST")
ZIP_CENTROIDS: dict[str, tuple[Decimal, Decimal, str]] = {
    zip_code: (Decimal(lat), Decimal(lon), place)
    for zip_code, lat, lon, place in [
        ("02108", "42.3576", "-71.0637", "Boston, MA"),
        ("10001", "40.7506", "-73.9972", "New York, NY"),
        ("19103", "39.9525", "-75.1736", "Philadelphia, PA"),
        ("20001", "38.9101", "-77.0147", "Washington, DC"),
        ("28202", "35.2284", "-80.8434", "Charlotte, NC"),
        ("30303", "33.7525", "-84.3915", "Atlanta, GA"),
        ("32801", "28.5419", "-81.3790", "Orlando, FL"),
        ("33101", "25.7743", "-80.1937", "Miami, FL"),
        ("37203", "36.1503", "-86.7896", "Nashville, TN"),
        ("48226", "42.3314", "-83.0458", "Detroit, MI"),
        ("55401", "44.9847", "-93.2700", "Minneapolis, MN"),
        ("60601", "41.8858", "-87.6181", "Chicago, IL"),
        ("63101", "38.6315", "-90.1924", "St. Louis, MO"),
        ("64106", "39.1049", "-94.5710", "Kansas City, MO"),
        ("70112", "29.9565", "-90.0768", "New Orleans, LA"),
        ("73301", "30.2672", "-97.7431", "Austin, TX"),
        ("75201", "32.7876", "-96.7994", "Dallas, TX"),
        ("77002", "29.7569", "-95.3625", "Houston, TX"),
        ("80202", "39.7527", "-104.9992", "Denver, CO"),
        ("84101", "40.7563", "-111.9001", "Salt Lake City, UT"),
        ("85004", "33.4512", "-112.0683", "Phoenix, AZ"),
        ("89101", "36.1727", "-115.1380", "Las Vegas, NV"),
        ("90012", "34.0614", "-118.2385", "Los Angeles, CA"),
        ("92101", "32.7196", "-117.1628", "San Diego, CA"),
        ("94103", "37.7726", "-122.4099", "San Francisco, CA"),
        ("95831", "38.4951", "-121.5053", "Sacramento, CA"),
        ("97204", "45.5183", "-122.6755", "Portland, OR"),
        ("98101", "47.6114", "-122.3305", "Seattle, WA"),
        ("96813", "21.3100", "-157.8580", "Honolulu, HI"),
        ("99501", "61.2160", "-149.8760", "Anchorage, AK"),
    ]
}


def lookup_zip(text: str) -> tuple[Decimal, Decimal, str] | None:
    """Centroid of a 5-digit ZIP (a ZIP+4 is cut to 5); ``None`` when not in the table."""
    raw = "".join((text or "").split()).split("-")[0]
    if len(raw) != 5 or not raw.isdigit():
        return None
    return ZIP_CENTROIDS.get(raw)
