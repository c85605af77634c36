"""Pure validators and request-body builders for the customer forms (no Qt).

Field keys are the contract's dotted JSON paths without list indices, so a server
error's ``param`` (``residentialAddress.zipCode``, ``identifyingInformation.0.number``)
maps straight onto the widget that shows it: see ``field_for_param``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

# ISO 3166-1 alpha-2 (officially assigned codes).
_COUNTRY_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW "
)
ISO_COUNTRIES = frozenset(_COUNTRY_CODES.split())

ID_TYPES = ("ssn", "itin", "driversLicense", "passport")
ENDORSEMENTS = ("basic", "cryptoCustody", "usd")

NAME_FIELDS = ("firstName", "middleName", "lastName")
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "country", "zipCode")
ADDRESS_REQUIRED = ("line1", "city", "country", "zipCode")
DOC_FIELDS = ("type", "issuingCountry", "number")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SSN = re.compile(r"^\d{3}-?\d{2}-?\d{4}$")
_IP = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")

Values = Mapping[str, object]


def _s(values: Values, key: str) -> str:
    v = values.get(key)
    return v.strip() if isinstance(v, str) else ""


def validate_email(v: str) -> str | None:
    if v and not _EMAIL.match(v):
        return "Enter an address like name@example.com."
    if len(v) > 254:
        return "Too long for an email address."
    return None


def validate_phone(v: str) -> str | None:
    if v and not _E164.match(v):
        return "Use E.164 format: + country code and number, e.g. +12125551234."
    return None


def validate_country(v: str) -> str | None:
    if v and v.upper() not in ISO_COUNTRIES:
        return "Use a two-letter ISO country code, e.g. US, GB, DE."
    if v and v != v.upper():
        return "Use capital letters, e.g. US."
    return None


def validate_birth_date(v: str, *, today: date | None = None) -> str | None:
    if not v:
        return None
    if not _DATE.match(v):
        return "Use YYYY-MM-DD."
    try:
        d = date.fromisoformat(v)
    except ValueError:
        return "That date does not exist."
    today = today or date.today()
    if d >= today:
        return "The date of birth must be in the past."
    if d.year < 1900:
        return "Enter a year after 1900."
    age = today.year - d.year - ((today.month, today.day) < (d.month, d.day))
    if age < 18:
        return "The customer must be at least 18 years old."
    return None


def validate_ip(v: str) -> str | None:
    if not v:
        return None
    m = _IP.match(v)
    if m and all(0 <= int(g) <= 255 for g in m.groups()):
        return None
    if ":" in v and re.fullmatch(r"[0-9A-Fa-f:.]+", v):
        return None
    return "Enter an IPv4 or IPv6 address."


def validate_id_number(doc_type: str, number: str) -> str | None:
    if not number:
        return None
    if doc_type in ("ssn", "itin") and not _SSN.match(number):
        return "Use 9 digits, e.g. 123-45-6789."
    if len(number) > 64:
        return "Too long."
    return None


REQUIRED_ON_CREATE = ("firstName", "lastName")


def validate(
    values: Values, *, today: date | None = None, creating: bool = False
) -> dict[str, str]:
    """All field errors of a customer form, keyed by dotted field path.

    ``creating``: a new customer needs a first and last name (checked before any request).
    """
    errs: dict[str, str] = {}

    def put(key: str, msg: str | None) -> None:
        if msg and key not in errs:
            errs[key] = msg

    if creating:
        for k in REQUIRED_ON_CREATE:
            if not _s(values, k):
                put(k, "Required.")

    for k in NAME_FIELDS:
        if len(_s(values, k)) > 100:
            put(k, "Keep names under 100 characters.")
    put("email", validate_email(_s(values, "email")))
    put("phone", validate_phone(_s(values, "phone")))
    put("nationality", validate_country(_s(values, "nationality")))
    put("birthDate", validate_birth_date(_s(values, "birthDate"), today=today))
    put("ipAddress", validate_ip(_s(values, "ipAddress")))
    if len(_s(values, "externalId")) > 255:
        put("externalId", "Keep the external id under 255 characters.")

    addr = {f: _s(values, f"residentialAddress.{f}") for f in ADDRESS_FIELDS}
    if any(addr.values()):
        for f in ADDRESS_REQUIRED:
            if not addr[f]:
                put(f"residentialAddress.{f}", "Required for an address.")
        put("residentialAddress.country", validate_country(addr["country"]))

    doc = {f: _s(values, f"identifyingInformation.{f}") for f in DOC_FIELDS}
    if doc["type"] or doc["number"] or doc["issuingCountry"]:  # a type alone is not dropped
        if doc["type"] not in ID_TYPES:
            put("identifyingInformation.type", "Choose a document type.")
        if not doc["number"]:
            put("identifyingInformation.number", "Enter the document number.")
        if not doc["issuingCountry"]:
            put("identifyingInformation.issuingCountry", "Enter the issuing country.")
        put("identifyingInformation.issuingCountry", validate_country(doc["issuingCountry"]))
        put("identifyingInformation.number", validate_id_number(doc["type"], doc["number"]))
    return errs


def _identity_body(values: Values) -> dict:
    body: dict = {}
    for k in (
        *NAME_FIELDS,
        "email",
        "phone",
        "nationality",
        "birthDate",
        "ipAddress",
        "externalId",
    ):
        v = _s(values, k)
        if v:
            body[k] = v.upper() if k == "nationality" else v
    addr = {f: _s(values, f"residentialAddress.{f}") for f in ADDRESS_FIELDS}
    if any(addr.values()):
        body["residentialAddress"] = {
            f: (v.upper() if f == "country" else v) for f, v in addr.items() if v
        }
    doc = {f: _s(values, f"identifyingInformation.{f}") for f in DOC_FIELDS}
    if doc["number"]:
        number = doc["number"].replace("-", "") if doc["type"] in ("ssn", "itin") else doc["number"]
        body["identifyingInformation"] = [
            {"type": doc["type"], "issuingCountry": doc["issuingCountry"].upper(), "number": number}
        ]
    return body


def build_create_body(values: Values) -> dict:
    """POST /customers body: type + every filled field + requested endorsements."""
    body = {"type": "individual", **_identity_body(values)}
    if values.get("signedAgreement"):
        body["signedAgreement"] = True
    ends = [e for e in ENDORSEMENTS if values.get(f"endorsements.{e}")]
    if ends:
        body["endorsements"] = ends
    return body


def build_patch_body(original: Mapping[str, object], values: Values) -> dict:
    """PATCH /customers/{id} body under the rules of contract §3.1.

    ``original`` is the customer's JSON (``Customer.raw``). Only changed fields are
    sent; write-only fields (birthDate, ipAddress, residentialAddress,
    identifyingInformation) only when filled in; signedAgreement only false→true;
    endorsements only newly requested ones (PATCH adds, never removes);
    identifyingInformation appends (an entry of an existing type replaces it).
    """
    new = _identity_body(values)
    body: dict = {}
    for k in (*NAME_FIELDS, "email", "phone", "nationality", "externalId"):
        old = original.get(k) or ""
        cur = new.get(k, "")
        if cur != old:
            if not cur:
                continue  # clearing a field is not part of the contract's PATCH
            body[k] = cur
    for k in ("birthDate", "ipAddress", "residentialAddress", "identifyingInformation"):
        if k in new:
            body[k] = new[k]
    if values.get("signedAgreement") and not original.get("signedAgreement"):
        body["signedAgreement"] = True
    already = set()
    for e in original.get("endorsements") or []:
        if isinstance(e, Mapping) and e.get("status") not in (None, "INACTIVE"):
            already.add(e.get("name"))
    ends = [e for e in ENDORSEMENTS if values.get(f"endorsements.{e}") and e not in already]
    if ends:
        body["endorsements"] = ends
    return body


def field_for_param(param: str | None, known) -> str | None:
    """Map a server error ``param`` to a form field key (None = show at the top)."""
    if not param:
        return None
    p = re.sub(r"\[\d+\]|\.\d+(?=\.|$)", "", param)
    if p in known:
        return p
    # A parent object (``residentialAddress``) → its first field on the form.
    for k in known:  # in form order when ``known`` is ordered
        if k.startswith(p + "."):
            return k
    # A deeper path than the form has → its closest ancestor.
    while "." in p:
        p = p.rsplit(".", 1)[0]
        if p in known:
            return p
    return None
