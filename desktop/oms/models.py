"""Immutable OMS resource types, read from the wire by one mapper.

Rules (issue 4, contract D6): money is ``Decimal``; timestamps are aware UTC datetimes;
statuses are ``StrEnum``s whose unknown values become ``UNKNOWN``; unknown fields are
ignored and missing optional fields become ``None``/empty, so a newer server never breaks
the app. Every model keeps ``raw`` — the JSON object it came from — for "show every field"
views. Parsers never raise on odd input; a non-object becomes an empty object.

How a model is read (the pattern for every new model)
-----------------------------------------------------
Each field that comes from the wire is declared with :func:`wire`: its wire name (or several,
tried in order; ``"a.b"`` reaches into a nested object), the parser for the value, and the
value used when the wire value is missing or not understood (the field's default, or
``unknown=`` for a required field such as ``id``). ``mapper(Model)`` builds the parser from
that metadata; a field called ``raw`` receives the JSON object itself. So::

    @dataclass(frozen=True, slots=True)
    class Thing:
        id: str = wire("id", unknown="")
        amount: Decimal | None = wire("amount", parse_decimal, default=None)
        raw: dict = raw_field()

    parse_thing = mapper(Thing)

Amounts (D6) are read by :func:`parse_decimal`, which accepts only D6's decimal text with a
digit cap (``desktop.rules.amount_text_ok``): a hostile ``"1E+100000000"`` becomes an unknown
(``None``) amount, never a number that costs seconds and hundreds of MB to print.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from desktop.rules import MAX_AMOUNT_DIGITS, amount_text_ok

T = TypeVar("T")

# ---------------------------------------------------------------------------
# Enums


class _Tolerant(StrEnum):
    """StrEnum that maps any unknown value to ``UNKNOWN`` instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            for member in cls:
                if member.value.lower() == value.lower():
                    return member
        return cls.UNKNOWN  # type: ignore[attr-defined]

    @classmethod
    def parse(cls, value: object):
        if value is None:
            return cls.UNKNOWN  # type: ignore[attr-defined]
        return cls(value)


class CustomerStatus(_Tolerant):
    ACTIVE = "active"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"


class EndorsementStatus(_Tolerant):
    INACTIVE = "INACTIVE"
    PENDING = "PENDING"
    ISSUES = "ISSUES"
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    REVOKED_ISSUES = "REVOKED_ISSUES"
    OFFBOARDED = "OFFBOARDED"
    UNKNOWN = "UNKNOWN"


class WalletStatus(_Tolerant):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class QuoteStatus(_Tolerant):
    OPEN = "open"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class TransactionType(_Tolerant):
    CRYPTO_TO_CRYPTO = "cryptoToCrypto"
    CRYPTO_TO_FIAT = "cryptoToFiat"
    FIAT_TO_CRYPTO = "fiatToCrypto"
    UNKNOWN = "unknown"


class TransactionStatus(_Tolerant):
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CASH_PICKUP_READY = "cashPickupReady"
    UNKNOWN = "unknown"


class TransactionSubStatus(_Tolerant):
    """D10 ``subStatus`` of a transaction (display text stays ``Transaction.sub_status``)."""

    FUNDS_PULLED = "fundsPulled"
    BROADCAST = "broadcast"
    BANK_SUBMITTED = "bankSubmitted"
    FUNDS_RECEIVED = "fundsReceived"
    SETTLED = "settled"
    REJECTED = "rejected"
    RETURNED = "returned"
    REVERSED = "reversed"
    UNKNOWN = "unknown"


class CashInStatus(_Tolerant):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class CashInSubStatus(_Tolerant):
    """D11 ``subStatus`` of a cash-in."""

    ORDER_RESERVED = "order_reserved"
    SETTLED = "settled"
    CASH_DEPOSIT_EXPIRED = "cash_deposit_expired"
    CASH_DEPOSIT_FAILED = "cash_deposit_failed"
    PROVIDER_ORDER_FAILED = "provider_order_failed"
    PROVIDER_ORDER_TEMPLATE_ERROR = "provider_order_template_error"
    UNKNOWN = "unknown"


class WebhookStatus(_Tolerant):
    ACTIVE = "active"
    DISABLED = "disabled"
    UNKNOWN = "unknown"


class VirtualAccountStatus(_Tolerant):
    """D22: a virtual account is ``active`` or ``paused`` (``deleted`` ones are gone)."""

    ACTIVE = "active"
    PAUSED = "paused"
    DELETED = "deleted"
    UNKNOWN = "unknown"


class DepositAddressStatus(_Tolerant):
    """D22: a deposit address is ``active`` (``deleted`` ones are gone)."""

    ACTIVE = "active"
    DELETED = "deleted"
    UNKNOWN = "unknown"


TERMINAL_TRANSACTION = frozenset({TransactionStatus.COMPLETED, TransactionStatus.FAILED})
# ``expired`` is terminal for tracking: only an explicit refresh (a new request) revives it.
TERMINAL_CASH_IN = frozenset({CashInStatus.COMPLETED, CashInStatus.FAILED, CashInStatus.EXPIRED})

# ---------------------------------------------------------------------------
# Primitive parsers


def _obj(value: Any) -> dict:
    return dict(value) if isinstance(value, Mapping) else {}


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return None


def _bool(value: Any, default: bool | None = None) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return default


def _small(d: Decimal) -> Decimal | None:
    """``d`` when finite and within the digit cap (both ways), else None."""
    if not d.is_finite():
        return None
    if d and not (-MAX_AMOUNT_DIGITS <= d.adjusted() < MAX_AMOUNT_DIGITS):
        return None
    return d if len(d.as_tuple().digits) <= MAX_AMOUNT_DIGITS else None


def parse_decimal(value: Any) -> Decimal | None:
    """A wire amount: D6 decimal text (``desktop.rules.amount_text_ok``) → Decimal, else None.

    Exponent forms, signs, whitespace and texts over the digit cap are not amounts: they read
    as unknown (``None``). JSON numbers from a sloppy server are tolerated (never via float
    math) within the same cap.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return Decimal(value) if amount_text_ok(value) else None
    if isinstance(value, Decimal):
        return _small(value)
    if isinstance(value, int):
        if abs(value).bit_length() > 4 * MAX_AMOUNT_DIGITS:
            return None
        return _small(Decimal(value))
    if isinstance(value, float):
        return _small(Decimal(repr(value))) if math.isfinite(value) else None
    return None


def parse_signed_decimal(value: Any) -> Decimal | None:
    """Like :func:`parse_decimal` but a leading ``-`` is allowed (coordinates)."""
    if isinstance(value, str) and value.startswith("-"):
        d = parse_decimal(value[1:])
        return -d if d is not None else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        d = parse_decimal(-value)
        return -d if d is not None else None
    return parse_decimal(value)


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 (with or without fractions, ``Z`` or offset) → aware UTC datetime, else None."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip() and len(value) <= 64:
        text = value.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except OverflowError:
        return None


def parse_date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(s for s in (_str(v) for v in value) if s is not None)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and len(value) <= 20:
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _flag(value: Any) -> bool | None:
    return _bool(value)


def _short(limit: int) -> Callable[[Any], str | None]:
    """A text parser that cuts to ``limit`` characters (with "…")."""

    def parse_short(value: Any) -> str | None:
        text = _str(value)
        if text is None or len(text) <= limit:
            return text
        return text[: limit - 1] + "…"

    return parse_short


def _ident(value: Any) -> str | None:
    """A bare id, tolerating the ``{"id": …}`` object form."""
    if isinstance(value, Mapping):
        return _str(value.get("id"))
    return _str(value)


def format_money(amount: Decimal | None, places: int = 2) -> str:
    """D6 output form: exact, trailing zeros trimmed but at least ``places`` decimals."""
    if amount is None:
        return ""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(places, '0')}"


# ---------------------------------------------------------------------------
# The mapper

_WIRE = "oms.wire"
_NOTHING: Any = dataclasses.MISSING


@dataclass(frozen=True, slots=True)
class WireSpec:
    """How one field is read: wire names tried in order, the parser, the unknown value."""

    names: tuple[tuple[str, ...], ...]
    parse: Callable[[Any], Any]
    unknown: Callable[[], Any]
    factory: bool = False  # ``unknown`` makes a fresh value each time (else a constant)

    def read(self, d: Mapping) -> Any:
        last = len(self.names) - 1
        for i, path in enumerate(self.names):
            value: Any = d
            for part in path:
                value = value.get(part) if isinstance(value, Mapping) else None
            got = self.parse(value)
            # An empty text falls through to the next name (``a or b``), except the last.
            if got is not None and (i == last or got != ""):
                return got
        return self.unknown()


def wire(
    name: str | tuple[str, ...],
    parse: Callable[[Any], Any] = _str,
    *,
    default: Any = _NOTHING,
    default_factory: Any = _NOTHING,
    unknown: Any = _NOTHING,
    **field_kw: Any,
) -> Any:
    """A dataclass field read from the wire by :func:`mapper`.

    ``name``: the wire name, or several tried in order (the first that parses to something
    other than ``None`` — or ``""`` before the last — wins); a dotted name reaches into
    nested objects.
    ``parse``: wire value → field value, ``None`` when it is missing or not understood.
    ``unknown``: the value then; by default the field's ``default`` (or ``default_factory()``).
    """
    names = (name,) if isinstance(name, str) else tuple(name)
    factory = False
    if unknown is not _NOTHING:
        value = unknown

        def make_unknown() -> Any:
            return value
    elif default_factory is not _NOTHING:
        make_unknown = default_factory
        factory = True
    elif default is not _NOTHING:

        def make_unknown() -> Any:
            return default
    else:
        raise TypeError(f"wire({name!r}) needs a default, default_factory or unknown value")
    spec = WireSpec(tuple(tuple(n.split(".")) for n in names), parse, make_unknown, factory)
    return field(
        default=default, default_factory=default_factory, metadata={_WIRE: spec}, **field_kw
    )


def raw_field() -> Any:
    """The ``raw`` field: the JSON object a model was read from (not compared, not shown)."""
    return field(default_factory=dict, repr=False, compare=False)


def mapper(cls: type[T], *, coerce: Callable[[Any], Any] | None = None) -> Callable[..., T]:
    """The parser for a model class declared with :func:`wire` fields.

    ``parser(value, **extra)`` reads a JSON object (anything else reads as ``{}``) and never
    raises; ``extra`` sets fields that do not come from the wire (e.g. a quote's receipt time).
    ``coerce`` may first turn an alternative wire form into an object.
    """
    specs = [(f.name, f.metadata[_WIRE]) for f in dataclasses.fields(cls) if _WIRE in f.metadata]
    keeps_raw = any(f.name == "raw" for f in dataclasses.fields(cls))
    # The common case (one plain wire name) is read inline: parsing is on every poll's path.
    simple = [
        (name, spec.names[0][0], spec.parse, spec.unknown if spec.factory else None,
         None if spec.factory else spec.unknown())
        for name, spec in specs
        if len(spec.names) == 1 and len(spec.names[0]) == 1
    ]  # fmt: skip
    general = [
        (name, spec) for name, spec in specs if len(spec.names) > 1 or len(spec.names[0]) > 1
    ]

    def parse(value: Any = None, **extra: Any) -> T:
        if coerce is not None:
            value = coerce(value)
        d = dict(value) if isinstance(value, Mapping) else {}
        kw: dict[str, Any] = {}
        get = d.get
        for name, key, parse_value, make, constant in simple:
            got = parse_value(get(key))
            if got is None:
                got = constant if make is None else make()
            kw[name] = got
        for name, spec in general:
            kw[name] = spec.read(d)
        if keeps_raw:
            kw["raw"] = d
        if extra:
            kw.update(extra)
        return cls(**kw)

    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
    parse.__name__ = parse.__qualname__ = f"parse_{snake}"
    parse.__doc__ = f"Read a :class:`{cls.__name__}` from its JSON object (never raises)."
    parse.model = cls  # type: ignore[attr-defined]
    return parse


def tuple_of(
    parse: Callable[[Any], Any], *, only: type | tuple[type, ...] | None = None
) -> Callable[[Any], tuple]:
    """A JSON list → tuple of parsed items (items not of type ``only`` are skipped)."""

    def parse_list(value: Any) -> tuple:
        if not isinstance(value, list):
            return ()
        return tuple(parse(x) for x in value if only is None or isinstance(x, only))

    return parse_list


def if_object(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Parse only a JSON object; anything else (absent, null, a string) reads as None."""

    def parse_object(value: Any) -> Any:
        return parse(value) if isinstance(value, Mapping) else None

    return parse_object


# ---------------------------------------------------------------------------
# Pages


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    data: tuple[T, ...] = ()
    has_more: bool = False
    next_cursor: str | None = None
    previous_cursor: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self):
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def parse_page(value: Any, item_parser) -> Page:
    """A D9 list envelope, tolerantly (the client validates envelopes before this)."""
    d = _obj(value)
    items = d.get("data")
    return page_of(d, tuple(item_parser(x) for x in items) if isinstance(items, list) else ())


def page_of(envelope: Any, data: tuple) -> Page:
    """A D9 list envelope whose items were already parsed (``data``)."""
    d = _obj(envelope)
    raw_meta = {k: v for k, v in d.items() if k != "data"}
    return Page(
        data=data,
        has_more=bool(_bool(d.get("hasMore"), False)),
        next_cursor=_str(d.get("nextCursor")) or _str(d.get("cursor")),
        previous_cursor=_str(d.get("previousCursor")),
        raw=raw_meta,
    )


# ---------------------------------------------------------------------------
# Customers


@dataclass(frozen=True, slots=True)
class RejectionReason:
    reason: str | None = wire("reason", default=None)
    developer_reason: str | None = wire("developerReason", default=None)


parse_rejection_reason = mapper(
    RejectionReason, coerce=lambda v: {"reason": v} if isinstance(v, str) else v
)


@dataclass(frozen=True, slots=True)
class Requirements:
    complete: tuple[str, ...] = wire("complete", _strs, default=())
    pending: tuple[str, ...] = wire("pending", _strs, default=())
    missing: tuple[str, ...] = wire("missing", _strs, default=())
    issues: tuple[str, ...] = wire("issues", _strs, default=())


parse_requirements = mapper(Requirements)


@dataclass(frozen=True, slots=True)
class Endorsement:
    name: str = wire(("name", "kind"), unknown="")
    status: EndorsementStatus = wire(
        "status", EndorsementStatus.parse, unknown=EndorsementStatus.UNKNOWN
    )
    rejection_reasons: tuple[RejectionReason, ...] = wire(
        "rejectionReasons", tuple_of(parse_rejection_reason, only=(Mapping, str)), default=()
    )
    requirements: Requirements = wire("requirements", parse_requirements, default=Requirements())
    raw: dict = raw_field()

    @property
    def is_active(self) -> bool:
        return self.status is EndorsementStatus.ACTIVE


# The illustrative string form seen in prose docs: "usd" means {"name": "usd"}.
parse_endorsement = mapper(Endorsement, coerce=lambda v: {"name": v} if isinstance(v, str) else v)


@dataclass(frozen=True, slots=True)
class Wallet:
    id: str = wire("id", unknown="")
    customer_id: str | None = wire("customerId", default=None)
    address: str | None = wire("address", default=None)
    asset: str | None = wire("asset", default=None)
    chain: str | None = wire(("chain", "network"), default=None)
    status: WalletStatus = wire("status", WalletStatus.parse, default=WalletStatus.UNKNOWN)
    type: str | None = wire("type", default=None)
    # only in the customer's flattened wallet view:
    balance: Decimal | None = wire("balance", parse_decimal, default=None)
    estimated_value_usd: Decimal | None = wire("estimatedValueUsd", parse_decimal, default=None)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    updated_at: datetime | None = wire("updatedAt", parse_datetime, default=None)
    raw: dict = raw_field()


parse_wallet = mapper(Wallet)


@dataclass(frozen=True, slots=True)
class Customer:
    id: str = wire("id", unknown="")
    type: str | None = wire("type", default=None)
    first_name: str | None = wire("firstName", default=None)
    middle_name: str | None = wire("middleName", default=None)
    last_name: str | None = wire("lastName", default=None)
    email: str | None = wire("email", default=None)
    phone: str | None = wire("phone", default=None)
    nationality: str | None = wire("nationality", default=None)
    external_id: str | None = wire("externalId", default=None)
    status: CustomerStatus = wire("status", CustomerStatus.parse, default=CustomerStatus.UNKNOWN)
    signed_agreement: bool = wire("signedAgreement", _flag, default=False)
    signed_agreement_at: datetime | None = wire("signedAgreementAt", parse_datetime, default=None)
    wallets: tuple[Wallet, ...] = wire("wallets", tuple_of(parse_wallet), default=())
    endorsements: tuple[Endorsement, ...] = wire(
        "endorsements", tuple_of(parse_endorsement), default=()
    )
    metadata: dict = wire("metadata", _obj, default_factory=dict, compare=False)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    updated_at: datetime | None = wire("updatedAt", parse_datetime, default=None)
    raw: dict = raw_field()

    @property
    def display_name(self) -> str:
        parts = [p for p in (self.first_name, self.middle_name, self.last_name) if p]
        return " ".join(parts) or self.email or self.id

    def endorsement(self, name: str) -> Endorsement | None:
        for e in self.endorsements:
            if e.name == name:
                return e
        return None

    def has_endorsement(self, name: str) -> bool:
        e = self.endorsement(name)
        return e is not None and e.is_active


parse_customer = mapper(Customer)


@dataclass(frozen=True, slots=True)
class Balance:
    wallet_id: str = wire(("walletId", "id"), unknown="")
    asset: str | None = wire("asset", default=None)
    chain: str | None = wire(("chain", "network"), default=None)
    balance: Decimal | None = wire("balance", parse_decimal, default=None)
    estimated_balance: Decimal | None = wire("estimatedBalance", parse_decimal, default=None)
    estimated_balance_currency_code: str | None = wire("estimatedBalanceCurrencyCode", default=None)
    updated_at: datetime | None = wire("updatedAt", parse_datetime, default=None)
    raw: dict = raw_field()


parse_balance = mapper(Balance)


# ---------------------------------------------------------------------------
# Quotes and transactions


@dataclass(frozen=True, slots=True)
class Fees:
    total: Decimal | None = wire("total", parse_decimal, default=None)
    developer: Decimal | None = wire("developer", parse_decimal, default=None)
    oms: Decimal | None = wire("oms", parse_decimal, default=None)
    gas: Decimal | None = wire("gas", parse_decimal, default=None)
    rail: Decimal | None = wire("rail", parse_decimal, default=None)
    raw: dict = raw_field()


parse_fees = mapper(Fees)


@dataclass(frozen=True, slots=True)
class Rates:
    exchange_rate: Decimal | None = wire("exchangeRate", parse_decimal, default=None)
    effective_rate: Decimal | None = wire("effectiveRate", parse_decimal, default=None)
    pair: str | None = wire("pair", default=None)
    raw: dict = raw_field()


parse_rates = mapper(Rates)


@dataclass(frozen=True, slots=True)
class WalletRef:
    """``destination.wallet``: exactly one of the three is normally set."""

    id: str | None = wire(("id", "wallet"), default=None)
    blockchain_address: str | None = wire("blockchainAddress", default=None)
    external_account_id: str | None = wire(("externalAccountId", "externalAccount"), default=None)


parse_wallet_ref = mapper(WalletRef)


@dataclass(frozen=True, slots=True)
class CashRef:
    location_id: str | None = wire(("locationId", "cashLocationId"), default=None)
    location_reference: str | None = wire(
        ("locationReference", "cashLocationReference"), default=None
    )


parse_cash_ref = mapper(CashRef)


@dataclass(frozen=True, slots=True)
class QuoteSide:
    """One leg (source or destination) of a quote, transaction or cash-in."""

    amount_gross: Decimal | None = wire("amountGross", parse_decimal, default=None)
    amount_net: Decimal | None = wire("amountNet", parse_decimal, default=None)
    fees: Fees = wire("feesDeducted", parse_fees, default=Fees())
    wallet_id: str | None = wire("walletId", default=None)
    asset: str | None = wire("asset", default=None)
    network: str | None = wire("network", default=None)
    rail: str | None = wire("rail", default=None)
    wallet: WalletRef | None = wire("wallet", if_object(parse_wallet_ref), default=None)
    tx_hash: str | None = wire("txHash", default=None)
    external_account_id: str | None = wire("externalAccountId", default=None)
    bank_details: dict = wire("bankDetails", _obj, default_factory=dict, compare=False)
    cash: CashRef | None = wire("cash", if_object(parse_cash_ref), default=None)
    amount: Decimal | None = wire("amount", parse_decimal, default=None)
    indicated_amount: Decimal | None = wire("indicatedAmount", parse_decimal, default=None)
    # Inbound legs (D22): the virtual account or deposit address a deposit came through, and
    # the sender's address of an inbound USDC transfer.
    virtual_account_id: str | None = wire("virtualAccountId", default=None)
    deposit_address_id: str | None = wire("depositAddressId", default=None)
    blockchain_address: str | None = wire("blockchainAddress", default=None)
    raw: dict = raw_field()


TransactionSide = QuoteSide
parse_side = mapper(QuoteSide)


@dataclass(frozen=True, slots=True)
class Quote:
    id: str = wire("id", unknown="")
    type: TransactionType = wire("type", TransactionType.parse, default=TransactionType.UNKNOWN)
    status: QuoteStatus = wire("status", QuoteStatus.parse, default=QuoteStatus.UNKNOWN)
    customer_id: str | None = wire("customerId", default=None)
    source: QuoteSide = wire("source", parse_side, default=QuoteSide())
    destination: QuoteSide = wire("destination", parse_side, default=QuoteSide())
    rates: Rates = wire("rates", parse_rates, default=Rates())
    fixed_amount_side: str | None = wire("fixedAmountSide", default=None)
    sponsor_gas: bool | None = wire("sponsorGas", _flag, default=None)
    sponsor_gas_cost: Decimal | None = wire("sponsorGasCost", parse_decimal, default=None)
    metadata: dict = wire("metadata", _obj, default_factory=dict, compare=False)
    expires_at: datetime | None = wire("expiresAt", parse_datetime, default=None)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    # Set by the client from the response that brought the quote (D18):
    received_monotonic: float | None = field(default=None, compare=False)
    server_date: datetime | None = field(default=None, compare=False)
    raw: dict = raw_field()

    def remaining(self, monotonic_now: float) -> timedelta | None:
        """Time left (D18): expires_at − server Date − time since receipt; no local wall clock."""
        if self.expires_at is None:
            return None
        if self.server_date is None or self.received_monotonic is None:
            return None
        left = (self.expires_at - self.server_date).total_seconds() - (
            monotonic_now - self.received_monotonic
        )
        return timedelta(seconds=max(0.0, left))

    def expires_monotonic(self) -> float | None:
        """Monotonic-clock deadline of this quote (for countdown timers)."""
        if self.expires_at is None or self.server_date is None or self.received_monotonic is None:
            return None
        return self.received_monotonic + (self.expires_at - self.server_date).total_seconds()


_parse_quote = mapper(Quote)


def parse_quote(value: Any, *, received_monotonic=None, server_date=None) -> Quote:
    return _parse_quote(value, received_monotonic=received_monotonic, server_date=server_date)


parse_quote.model = Quote  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AsyncError:
    """``error`` inside a failed transaction / cash-in (D10)."""

    # A server's words, shown in notices: cut like every server text (errors.clip).
    code: str | None = wire("code", _short(100), default=None)
    message: str | None = wire("message", _short(500), default=None)

    def __str__(self) -> str:
        return self.message or self.code or "failed"


_parse_async_error_obj = mapper(
    AsyncError, coerce=lambda v: {"message": v} if isinstance(v, str) else v
)


def _parse_async_error(value: Any) -> AsyncError | None:
    if isinstance(value, Mapping) or (isinstance(value, str) and value):
        return _parse_async_error_obj(value)
    return None


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str = wire("id", unknown="")
    type: TransactionType = wire("type", TransactionType.parse, default=TransactionType.UNKNOWN)
    status: TransactionStatus = wire(
        "status", TransactionStatus.parse, default=TransactionStatus.UNKNOWN
    )
    sub_status: str | None = wire("subStatus", default=None)
    quote_id: str | None = wire("quoteId", default=None)
    sender: str | None = wire("sender", _ident, default=None)
    recipient: str | None = wire("recipient", _ident, default=None)
    role: str | None = wire("role", default=None)
    fixed_amount_side: str | None = wire("fixedAmountSide", default=None)
    source: QuoteSide = wire("source", parse_side, default=QuoteSide())
    destination: QuoteSide = wire("destination", parse_side, default=QuoteSide())
    rates: Rates = wire("rates", parse_rates, default=Rates())
    sponsor_gas_cost: Decimal | None = wire("sponsorGasCost", parse_decimal, default=None)
    cash_in_id: str | None = wire("cashInId", default=None)
    deposit_address_id: str | None = wire(
        ("depositAddressId", "source.depositAddressId"), default=None
    )
    virtual_account_id: str | None = wire(
        ("virtualAccountId", "source.virtualAccountId"), default=None
    )
    error: AsyncError | None = wire("error", _parse_async_error, default=None)
    metadata: dict = wire("metadata", _obj, default_factory=dict, compare=False)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    updated_at: datetime | None = wire("updatedAt", parse_datetime, default=None)
    completed_at: datetime | None = wire("completedAt", parse_datetime, default=None)
    raw: dict = raw_field()

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_TRANSACTION

    @property
    def is_deposit(self) -> bool:
        """Money that arrived by itself (D22): a bank deposit to a virtual account or a USDC
        transfer to a deposit address. The desk did not start it."""
        return bool(self.virtual_account_id or self.deposit_address_id)

    @property
    def sub_status_enum(self) -> TransactionSubStatus:
        """``sub_status`` as the D10 enum (``UNKNOWN`` for a value this client does not know)."""
        return TransactionSubStatus.parse(self.sub_status)

    @property
    def tx_hash(self) -> str | None:
        return self.destination.tx_hash or self.source.tx_hash


parse_transaction = mapper(Transaction)


# ---------------------------------------------------------------------------
# Cash-ins and cash locations


@dataclass(frozen=True, slots=True)
class DepositInstructions:
    code: str | None = wire("code", default=None)
    expires_at: datetime | None = wire("expiresAt", parse_datetime, default=None)
    location_name: str | None = wire("locationName", default=None)
    location_address: str | None = wire("locationAddress", default=None)
    raw: dict = raw_field()


parse_deposit_instructions = mapper(DepositInstructions)


@dataclass(frozen=True, slots=True)
class FeeScheduleEntry:
    type: str | None = wire("type", default=None)
    rate: Decimal | None = wire("rate", parse_decimal, default=None)
    amount: Decimal | None = wire("amount", parse_decimal, default=None)


parse_fee_schedule_entry = mapper(FeeScheduleEntry)


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    fee_currency: str | None = wire("feeCurrency", default=None)
    entries: tuple[FeeScheduleEntry, ...] = wire(
        "entries", tuple_of(parse_fee_schedule_entry, only=Mapping), default=()
    )
    raw: dict = raw_field()

    def estimate(self, amount: Decimal, places: int = 2) -> Decimal:
        """Fee for ``amount`` under this schedule, rounded half-up at ``places`` (D13)."""
        from decimal import ROUND_HALF_UP

        total = Decimal(0)
        for e in self.entries:
            if e.type == "percentage" and e.rate is not None:
                total += amount * e.rate
            elif e.type == "fixed" and e.amount is not None:
                total += e.amount
        return total.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


parse_fee_schedule = mapper(FeeSchedule)


@dataclass(frozen=True, slots=True)
class CashIn:
    id: str = wire("id", unknown="")
    type: TransactionType = wire("type", TransactionType.parse, default=TransactionType.UNKNOWN)
    status: CashInStatus = wire("status", CashInStatus.parse, default=CashInStatus.UNKNOWN)
    sub_status: str | None = wire("subStatus", default=None)
    customer_id: str | None = wire("customerId", default=None)
    source: QuoteSide = wire("source", parse_side, default=QuoteSide())
    destination: QuoteSide = wire("destination", parse_side, default=QuoteSide())
    cash: CashRef = wire("cash", parse_cash_ref, default=CashRef())
    location: dict = wire("location", _obj, default_factory=dict, compare=False)
    deposit_instructions: DepositInstructions = wire(
        "depositInstructions", parse_deposit_instructions, default=DepositInstructions()
    )
    fee_schedule: FeeSchedule = wire("omsFeeSchedule", parse_fee_schedule, default=FeeSchedule())
    rates: Rates = wire("rates", parse_rates, default=Rates())
    # ``transaction`` is the older name (a bare id) of ``transactionId``.
    transaction_id: str | None = wire(("transactionId", "transaction"), default=None)
    error: AsyncError | None = wire("error", _parse_async_error, default=None)
    metadata: dict = wire("metadata", _obj, default_factory=dict, compare=False)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    updated_at: datetime | None = wire("updatedAt", parse_datetime, default=None)
    completed_at: datetime | None = wire("completedAt", parse_datetime, default=None)
    raw: dict = raw_field()

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_CASH_IN

    @property
    def sub_status_enum(self) -> CashInSubStatus:
        return CashInSubStatus.parse(self.sub_status)

    @property
    def code(self) -> str | None:
        return self.deposit_instructions.code

    @property
    def expires_at(self) -> datetime | None:
        return self.deposit_instructions.expires_at


parse_cash_in = mapper(CashIn)


@dataclass(frozen=True, slots=True)
class CashLocation:
    id: str = wire("id", unknown="")
    location_reference: str | None = wire("locationReference", default=None)
    provider: str | None = wire("provider", default=None)
    name: str | None = wire("name", default=None)
    address: str | None = wire("address", default=None)
    city: str | None = wire("city", default=None)
    state: str | None = wire("state", default=None)
    zip_code: str | None = wire("zipCode", default=None)
    country: str | None = wire("country", default=None)
    latitude: Decimal | None = wire("coordinates.latitude", parse_signed_decimal, default=None)
    longitude: Decimal | None = wire("coordinates.longitude", parse_signed_decimal, default=None)
    distance: Decimal | None = wire("distance", parse_decimal, default=None)  # miles
    raw: dict = raw_field()

    @property
    def full_address(self) -> str:
        tail = " ".join(p for p in (self.state, self.zip_code) if p)
        return ", ".join(p for p in (self.address, self.city, tail) if p)


parse_cash_location = mapper(CashLocation)


# ---------------------------------------------------------------------------
# External accounts, webhooks, events


@dataclass(frozen=True, slots=True)
class BankDetails:
    bank_name: str | None = wire("bankName", default=None)
    routing_number: str | None = wire("routingNumber", default=None)
    # always masked by the server ("******4242")
    account_number: str | None = wire("accountNumber", default=None)
    account_holder_name: str | None = wire("accountHolderName", default=None)


parse_bank_details = mapper(BankDetails)


class ExternalAccountType(_Tolerant):
    """D12 bank accounts and D23 saved blockchain addresses."""

    US_BANK = "usBank"
    BLOCKCHAIN_ADDRESS = "blockchainAddress"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ExternalAccount:
    id: str = wire("id", unknown="")
    customer_id: str | None = wire("customerId", default=None)
    type: str | None = wire("type", default=None)
    network: str | None = wire("network", default=None)
    status: str | None = wire("status", default=None)
    bank_details: BankDetails = wire("bankDetails", parse_bank_details, default=BankDetails())
    # A saved blockchain address (D23): its EIP-55 address and the operator's label for it.
    address: str | None = wire("address", default=None)
    nickname: str | None = wire("label", default=None)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    raw: dict = raw_field()

    @property
    def kind(self) -> ExternalAccountType:
        return ExternalAccountType.parse(self.type)

    @property
    def is_saved_address(self) -> bool:
        return self.kind is ExternalAccountType.BLOCKCHAIN_ADDRESS

    @property
    def label(self) -> str:
        """How the desk names it: a saved address by its label, a bank account by bank,
        last four digits and network."""
        if self.is_saved_address:
            return self.nickname or self.address or self.id
        b = self.bank_details
        tail = (b.account_number or "")[-4:]
        return " ".join(p for p in (b.bank_name, f"…{tail}" if tail else None, self.network) if p)


parse_external_account = mapper(ExternalAccount)


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str = wire("id", unknown="")
    url: str | None = wire("url", default=None)
    events: tuple[str, ...] = wire("events", _strs, default=())
    enabled: bool = wire("enabled", _flag, default=True)
    status: WebhookStatus = wire("status", WebhookStatus.parse, default=WebhookStatus.UNKNOWN)
    compliance_only: bool = wire("complianceOnly", _flag, default=False)
    # only in the create response
    secret: str | None = wire("secret", default=None, repr=False)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    updated_at: datetime | None = wire("updatedAt", parse_datetime, default=None)
    raw: dict = raw_field()


parse_webhook = mapper(WebhookEndpoint)


@dataclass(frozen=True, slots=True)
class Deposit:
    """``wallet.depositDetected`` event data (D14)."""

    wallet_id: str | None = wire("walletId", default=None)
    customer_id: str | None = wire("customerId", default=None)
    asset: str | None = wire("asset", default=None)
    network: str | None = wire("network", default=None)
    amount: Decimal | None = wire("amount", parse_decimal, default=None)
    tx_hash: str | None = wire("txHash", default=None)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    raw: dict = raw_field()


parse_deposit = mapper(Deposit)


# ---------------------------------------------------------------------------
# Virtual accounts and deposit addresses (D22, early access)


@dataclass(frozen=True, slots=True)
class BankDepositInstructions:
    """Where the customer's bank sends money: shown unmasked (it is the customer's own)."""

    bank_name: str | None = wire("bankName", default=None)
    routing_number: str | None = wire("routingNumber", default=None)
    account_number: str | None = wire("accountNumber", default=None, repr=False)
    account_holder_name: str | None = wire("accountHolderName", default=None)
    bank_memo: str | None = wire("bankMemo", default=None)

    def as_text(self) -> str:
        """ "Copy all": the instructions as lines a customer can paste into their bank."""
        rows = (
            ("Bank", self.bank_name),
            ("Routing number", self.routing_number),
            ("Account number", self.account_number),
            ("Account holder", self.account_holder_name),
            ("Memo", self.bank_memo),
        )
        return "\n".join(f"{k}: {v}" for k, v in rows if v)


parse_bank_deposit_instructions = mapper(BankDepositInstructions)


@dataclass(frozen=True, slots=True)
class VirtualAccount:
    id: str = wire("id", unknown="")
    customer_id: str | None = wire("customerId", default=None)
    status: VirtualAccountStatus = wire(
        "status", VirtualAccountStatus.parse, default=VirtualAccountStatus.UNKNOWN
    )
    source_asset: str | None = wire("source.asset", default=None)
    source_network: str | None = wire("source.network", default=None)
    wallet: WalletRef = wire("destination.wallet", parse_wallet_ref, default=WalletRef())
    destination_asset: str | None = wire("destination.asset", default=None)
    destination_network: str | None = wire("destination.network", default=None)
    deposit_instructions: BankDepositInstructions = wire(
        "depositInstructions",
        parse_bank_deposit_instructions,
        default=BankDepositInstructions(),
    )
    label: str | None = wire("label", default=None)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    raw: dict = raw_field()

    @property
    def wallet_id(self) -> str | None:
        return self.wallet.id

    @property
    def is_active(self) -> bool:
        return self.status is VirtualAccountStatus.ACTIVE


parse_virtual_account = mapper(VirtualAccount)


@dataclass(frozen=True, slots=True)
class CryptoDepositInstructions:
    address: str | None = wire("address", default=None)
    asset: str | None = wire("asset", default=None)
    network: str | None = wire("network", default=None)


parse_crypto_deposit_instructions = mapper(CryptoDepositInstructions)


@dataclass(frozen=True, slots=True)
class DepositAddress:
    id: str = wire("id", unknown="")
    customer_id: str | None = wire("customerId", default=None)
    status: DepositAddressStatus = wire(
        "status", DepositAddressStatus.parse, default=DepositAddressStatus.UNKNOWN
    )
    source_asset: str | None = wire("source.asset", default=None)
    source_network: str | None = wire("source.network", default=None)
    wallet: WalletRef = wire("destination.wallet", parse_wallet_ref, default=WalletRef())
    deposit_instructions: CryptoDepositInstructions = wire(
        "depositInstructions",
        parse_crypto_deposit_instructions,
        default=CryptoDepositInstructions(),
    )
    label: str | None = wire("label", default=None)
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    raw: dict = raw_field()

    @property
    def wallet_id(self) -> str | None:
        return self.wallet.id

    @property
    def address(self) -> str | None:
        return self.deposit_instructions.address


parse_deposit_address = mapper(DepositAddress)


_BY_OBJECT = {
    "customer": parse_customer,
    "wallet": parse_wallet,
    "balance": parse_balance,
    "quote": parse_quote,
    "transaction": parse_transaction,
    "cashIn": parse_cash_in,
    "cashLocation": parse_cash_location,
    "externalAccount": parse_external_account,
    "webhook": parse_webhook,
    "deposit": parse_deposit,
    "virtualAccount": parse_virtual_account,
    "depositAddress": parse_deposit_address,
}

_PREFIXES = {
    "cst_": parse_customer,
    "wlt_": parse_wallet,
    "qt_": parse_quote,
    "txn_": parse_transaction,
    "ci_": parse_cash_in,
    "loc_": parse_cash_location,
    "cpUsBank_": parse_external_account,
    "cpBcAddr_": parse_external_account,
    "va_": parse_virtual_account,
    "da_": parse_deposit_address,
    "whk_": parse_webhook,
}


def parse_resource(value: Any) -> Any:
    """Parse any resource by its ``object`` discriminator (then id prefix); else the dict."""
    d = _obj(value)
    parser = _BY_OBJECT.get(_str(d.get("object")) or "")
    if parser is None:
        ident = _str(d.get("id")) or ""
        parser = next((p for pre, p in _PREFIXES.items() if ident.startswith(pre)), None)
    return parser(d) if parser else d


@dataclass(frozen=True, slots=True)
class Event:
    id: str = wire("id", unknown="")
    type: str = wire("type", default="")
    created_at: datetime | None = wire("createdAt", parse_datetime, default=None)
    data: dict = wire("data", _obj, default_factory=dict, compare=False)
    raw: dict = raw_field()

    @property
    def resource(self) -> Any:
        """The event's data as a model (Transaction, CashIn, Customer, Deposit, …) or a dict."""
        return parse_resource(self.data)

    @property
    def family(self) -> str:
        return self.type.split(".", 1)[0] if self.type else ""


parse_event = mapper(Event)


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str = wire("accessToken", unknown="", repr=False)
    expires_in: int | None = wire("expiresIn", _int, default=None)
    expires_at: datetime | None = wire("expiresAt", parse_datetime, default=None)
    token_type: str | None = wire("tokenType", default=None)


parse_token = mapper(Token)
