"""Immutable OMS resource types and tolerant parsers.

Rules (issue 4, contract D6): money is ``Decimal``; timestamps are aware UTC datetimes;
statuses are ``StrEnum``s whose unknown values become ``UNKNOWN``; unknown fields are
ignored and missing optional fields become ``None``/empty, so a newer server never breaks
the app. Every model keeps ``raw`` — the JSON object it came from — for "show every field"
views. ``parse_*`` never raise on odd input; a non-object becomes an empty object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, TypeVar

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


class CashInStatus(_Tolerant):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class WebhookStatus(_Tolerant):
    ACTIVE = "active"
    DISABLED = "disabled"
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


def parse_decimal(value: Any) -> Decimal | None:
    """A wire decimal (string per D6; numbers tolerated, never via float math) or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        d = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return d if d.is_finite() else None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 (with or without fractions, ``Z`` or offset) → aware UTC datetime, else None."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip():
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
    return dt.astimezone(UTC)


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
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


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
    d = _obj(value)
    items = d.get("data")
    data = tuple(item_parser(x) for x in items) if isinstance(items, list) else ()
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
    reason: str | None = None
    developer_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Requirements:
    complete: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Endorsement:
    name: str
    status: EndorsementStatus
    rejection_reasons: tuple[RejectionReason, ...] = ()
    requirements: Requirements = Requirements()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_active(self) -> bool:
        return self.status is EndorsementStatus.ACTIVE


def parse_endorsement(value: Any) -> Endorsement:
    if isinstance(value, str):  # illustrative string form seen in prose docs
        return Endorsement(name=value, status=EndorsementStatus.UNKNOWN, raw={"name": value})
    d = _obj(value)
    reasons = []
    for r in d.get("rejectionReasons") or ():
        if isinstance(r, Mapping):
            reasons.append(RejectionReason(_str(r.get("reason")), _str(r.get("developerReason"))))
        elif isinstance(r, str):
            reasons.append(RejectionReason(r, None))
    req = _obj(d.get("requirements"))
    return Endorsement(
        name=_str(d.get("name")) or _str(d.get("kind")) or "",
        status=EndorsementStatus.parse(d.get("status")),
        rejection_reasons=tuple(reasons),
        requirements=Requirements(
            complete=_strs(req.get("complete")),
            pending=_strs(req.get("pending")),
            missing=_strs(req.get("missing")),
            issues=_strs(req.get("issues")),
        ),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class Wallet:
    id: str
    customer_id: str | None = None
    address: str | None = None
    asset: str | None = None
    chain: str | None = None
    status: WalletStatus = WalletStatus.UNKNOWN
    type: str | None = None
    balance: Decimal | None = None  # only in the customer's flattened wallet view
    estimated_value_usd: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_wallet(value: Any) -> Wallet:
    d = _obj(value)
    return Wallet(
        id=_str(d.get("id")) or "",
        customer_id=_str(d.get("customerId")),
        address=_str(d.get("address")),
        asset=_str(d.get("asset")),
        chain=_str(d.get("chain")) or _str(d.get("network")),
        status=WalletStatus.parse(d.get("status")),
        type=_str(d.get("type")),
        balance=parse_decimal(d.get("balance")),
        estimated_value_usd=parse_decimal(d.get("estimatedValueUsd")),
        created_at=parse_datetime(d.get("createdAt")),
        updated_at=parse_datetime(d.get("updatedAt")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    type: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    nationality: str | None = None
    external_id: str | None = None
    status: CustomerStatus = CustomerStatus.UNKNOWN
    signed_agreement: bool = False
    signed_agreement_at: datetime | None = None
    wallets: tuple[Wallet, ...] = ()
    endorsements: tuple[Endorsement, ...] = ()
    metadata: dict = field(default_factory=dict, compare=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

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


def parse_customer(value: Any) -> Customer:
    d = _obj(value)
    wallets = d.get("wallets")
    ends = d.get("endorsements")
    return Customer(
        id=_str(d.get("id")) or "",
        type=_str(d.get("type")),
        first_name=_str(d.get("firstName")),
        middle_name=_str(d.get("middleName")),
        last_name=_str(d.get("lastName")),
        email=_str(d.get("email")),
        phone=_str(d.get("phone")),
        nationality=_str(d.get("nationality")),
        external_id=_str(d.get("externalId")),
        status=CustomerStatus.parse(d.get("status")),
        signed_agreement=bool(_bool(d.get("signedAgreement"), False)),
        signed_agreement_at=parse_datetime(d.get("signedAgreementAt")),
        wallets=tuple(parse_wallet(w) for w in wallets) if isinstance(wallets, list) else (),
        endorsements=tuple(parse_endorsement(e) for e in ends) if isinstance(ends, list) else (),
        metadata=_obj(d.get("metadata")),
        created_at=parse_datetime(d.get("createdAt")),
        updated_at=parse_datetime(d.get("updatedAt")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class Balance:
    wallet_id: str
    asset: str | None = None
    chain: str | None = None
    balance: Decimal | None = None
    estimated_balance: Decimal | None = None
    estimated_balance_currency_code: str | None = None
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_balance(value: Any) -> Balance:
    d = _obj(value)
    return Balance(
        wallet_id=_str(d.get("walletId")) or _str(d.get("id")) or "",
        asset=_str(d.get("asset")),
        chain=_str(d.get("chain")) or _str(d.get("network")),
        balance=parse_decimal(d.get("balance")),
        estimated_balance=parse_decimal(d.get("estimatedBalance")),
        estimated_balance_currency_code=_str(d.get("estimatedBalanceCurrencyCode")),
        updated_at=parse_datetime(d.get("updatedAt")),
        raw=d,
    )


# ---------------------------------------------------------------------------
# Quotes and transactions


@dataclass(frozen=True, slots=True)
class Fees:
    total: Decimal | None = None
    developer: Decimal | None = None
    oms: Decimal | None = None
    gas: Decimal | None = None
    rail: Decimal | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_fees(value: Any) -> Fees:
    d = _obj(value)
    return Fees(
        total=parse_decimal(d.get("total")),
        developer=parse_decimal(d.get("developer")),
        oms=parse_decimal(d.get("oms")),
        gas=parse_decimal(d.get("gas")),
        rail=parse_decimal(d.get("rail")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class Rates:
    exchange_rate: Decimal | None = None
    effective_rate: Decimal | None = None
    pair: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_rates(value: Any) -> Rates:
    d = _obj(value)
    return Rates(
        exchange_rate=parse_decimal(d.get("exchangeRate")),
        effective_rate=parse_decimal(d.get("effectiveRate")),
        pair=_str(d.get("pair")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class WalletRef:
    """``destination.wallet``: exactly one of the three is normally set."""

    id: str | None = None
    blockchain_address: str | None = None
    external_account_id: str | None = None


def parse_wallet_ref(value: Any) -> WalletRef:
    d = _obj(value)
    return WalletRef(
        id=_str(d.get("id")) or _str(d.get("wallet")),
        blockchain_address=_str(d.get("blockchainAddress")),
        external_account_id=_str(d.get("externalAccountId")) or _str(d.get("externalAccount")),
    )


@dataclass(frozen=True, slots=True)
class CashRef:
    location_id: str | None = None
    location_reference: str | None = None


def parse_cash_ref(value: Any) -> CashRef:
    d = _obj(value)
    return CashRef(
        location_id=_str(d.get("locationId")) or _str(d.get("cashLocationId")),
        location_reference=_str(d.get("locationReference")) or _str(d.get("cashLocationReference")),
    )


@dataclass(frozen=True, slots=True)
class QuoteSide:
    """One leg (source or destination) of a quote, transaction or cash-in."""

    amount_gross: Decimal | None = None
    amount_net: Decimal | None = None
    fees: Fees = Fees()
    wallet_id: str | None = None
    asset: str | None = None
    network: str | None = None
    rail: str | None = None
    wallet: WalletRef | None = None
    tx_hash: str | None = None
    external_account_id: str | None = None
    bank_details: dict = field(default_factory=dict, compare=False)
    cash: CashRef | None = None
    amount: Decimal | None = None
    indicated_amount: Decimal | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


TransactionSide = QuoteSide


def parse_side(value: Any) -> QuoteSide:
    d = _obj(value)
    wallet = d.get("wallet")
    cash = d.get("cash")
    return QuoteSide(
        amount_gross=parse_decimal(d.get("amountGross")),
        amount_net=parse_decimal(d.get("amountNet")),
        fees=parse_fees(d.get("feesDeducted")),
        wallet_id=_str(d.get("walletId")),
        asset=_str(d.get("asset")),
        network=_str(d.get("network")),
        rail=_str(d.get("rail")),
        wallet=parse_wallet_ref(wallet) if isinstance(wallet, Mapping) else None,
        tx_hash=_str(d.get("txHash")),
        external_account_id=_str(d.get("externalAccountId")),
        bank_details=_obj(d.get("bankDetails")),
        cash=parse_cash_ref(cash) if isinstance(cash, Mapping) else None,
        amount=parse_decimal(d.get("amount")),
        indicated_amount=parse_decimal(d.get("indicatedAmount")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class Quote:
    id: str
    type: TransactionType = TransactionType.UNKNOWN
    status: QuoteStatus = QuoteStatus.UNKNOWN
    customer_id: str | None = None
    source: QuoteSide = QuoteSide()
    destination: QuoteSide = QuoteSide()
    rates: Rates = Rates()
    fixed_amount_side: str | None = None
    sponsor_gas: bool | None = None
    sponsor_gas_cost: Decimal | None = None
    metadata: dict = field(default_factory=dict, compare=False)
    expires_at: datetime | None = None
    created_at: datetime | None = None
    # Set by the client from the response that brought the quote (D18):
    received_monotonic: float | None = field(default=None, compare=False)
    server_date: datetime | None = field(default=None, compare=False)
    raw: dict = field(default_factory=dict, repr=False, compare=False)

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


def parse_quote(value: Any, *, received_monotonic=None, server_date=None) -> Quote:
    d = _obj(value)
    return Quote(
        id=_str(d.get("id")) or "",
        type=TransactionType.parse(d.get("type")),
        status=QuoteStatus.parse(d.get("status")),
        customer_id=_str(d.get("customerId")),
        source=parse_side(d.get("source")),
        destination=parse_side(d.get("destination")),
        rates=parse_rates(d.get("rates")),
        fixed_amount_side=_str(d.get("fixedAmountSide")),
        sponsor_gas=_bool(d.get("sponsorGas")),
        sponsor_gas_cost=parse_decimal(d.get("sponsorGasCost")),
        metadata=_obj(d.get("metadata")),
        expires_at=parse_datetime(d.get("expiresAt")),
        created_at=parse_datetime(d.get("createdAt")),
        received_monotonic=received_monotonic,
        server_date=server_date,
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class AsyncError:
    """``error`` inside a failed transaction / cash-in (D10)."""

    code: str | None = None
    message: str | None = None

    def __str__(self) -> str:
        return self.message or self.code or "failed"


def _parse_async_error(value: Any) -> AsyncError | None:
    if isinstance(value, Mapping):
        return AsyncError(_str(value.get("code")), _str(value.get("message")))
    if isinstance(value, str) and value:
        return AsyncError(None, value)
    return None


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    type: TransactionType = TransactionType.UNKNOWN
    status: TransactionStatus = TransactionStatus.UNKNOWN
    sub_status: str | None = None
    quote_id: str | None = None
    sender: str | None = None
    recipient: str | None = None
    role: str | None = None
    fixed_amount_side: str | None = None
    source: QuoteSide = QuoteSide()
    destination: QuoteSide = QuoteSide()
    rates: Rates = Rates()
    sponsor_gas_cost: Decimal | None = None
    cash_in_id: str | None = None
    error: AsyncError | None = None
    metadata: dict = field(default_factory=dict, compare=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_TRANSACTION

    @property
    def tx_hash(self) -> str | None:
        return self.destination.tx_hash or self.source.tx_hash


def parse_transaction(value: Any) -> Transaction:
    d = _obj(value)

    def ident(v: Any) -> str | None:
        if isinstance(v, Mapping):  # tolerate an object form
            return _str(v.get("id"))
        return _str(v)

    return Transaction(
        id=_str(d.get("id")) or "",
        type=TransactionType.parse(d.get("type")),
        status=TransactionStatus.parse(d.get("status")),
        sub_status=_str(d.get("subStatus")),
        quote_id=_str(d.get("quoteId")),
        sender=ident(d.get("sender")),
        recipient=ident(d.get("recipient")),
        role=_str(d.get("role")),
        fixed_amount_side=_str(d.get("fixedAmountSide")),
        source=parse_side(d.get("source")),
        destination=parse_side(d.get("destination")),
        rates=parse_rates(d.get("rates")),
        sponsor_gas_cost=parse_decimal(d.get("sponsorGasCost")),
        cash_in_id=_str(d.get("cashInId")),
        error=_parse_async_error(d.get("error")),
        metadata=_obj(d.get("metadata")),
        created_at=parse_datetime(d.get("createdAt")),
        updated_at=parse_datetime(d.get("updatedAt")),
        completed_at=parse_datetime(d.get("completedAt")),
        raw=d,
    )


# ---------------------------------------------------------------------------
# Cash-ins and cash locations


@dataclass(frozen=True, slots=True)
class DepositInstructions:
    code: str | None = None
    expires_at: datetime | None = None
    location_name: str | None = None
    location_address: str | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_deposit_instructions(value: Any) -> DepositInstructions:
    d = _obj(value)
    return DepositInstructions(
        code=_str(d.get("code")),
        expires_at=parse_datetime(d.get("expiresAt")),
        location_name=_str(d.get("locationName")),
        location_address=_str(d.get("locationAddress")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class FeeScheduleEntry:
    type: str | None = None
    rate: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    fee_currency: str | None = None
    entries: tuple[FeeScheduleEntry, ...] = ()
    raw: dict = field(default_factory=dict, repr=False, compare=False)

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


def parse_fee_schedule(value: Any) -> FeeSchedule:
    d = _obj(value)
    entries = []
    for e in d.get("entries") or ():
        if isinstance(e, Mapping):
            entries.append(
                FeeScheduleEntry(
                    _str(e.get("type")),
                    parse_decimal(e.get("rate")),
                    parse_decimal(e.get("amount")),
                )
            )
    return FeeSchedule(fee_currency=_str(d.get("feeCurrency")), entries=tuple(entries), raw=d)


@dataclass(frozen=True, slots=True)
class CashIn:
    id: str
    type: TransactionType = TransactionType.UNKNOWN
    status: CashInStatus = CashInStatus.UNKNOWN
    sub_status: str | None = None
    customer_id: str | None = None
    source: QuoteSide = QuoteSide()
    destination: QuoteSide = QuoteSide()
    cash: CashRef = CashRef()
    location: dict = field(default_factory=dict, compare=False)
    deposit_instructions: DepositInstructions = DepositInstructions()
    fee_schedule: FeeSchedule = FeeSchedule()
    rates: Rates = Rates()
    transaction_id: str | None = None
    error: AsyncError | None = None
    metadata: dict = field(default_factory=dict, compare=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_CASH_IN

    @property
    def code(self) -> str | None:
        return self.deposit_instructions.code

    @property
    def expires_at(self) -> datetime | None:
        return self.deposit_instructions.expires_at


def parse_cash_in(value: Any) -> CashIn:
    d = _obj(value)
    txn = d.get("transactionId")
    if txn is None and isinstance(d.get("transaction"), str):
        txn = d.get("transaction")
    return CashIn(
        id=_str(d.get("id")) or "",
        type=TransactionType.parse(d.get("type")),
        status=CashInStatus.parse(d.get("status")),
        sub_status=_str(d.get("subStatus")),
        customer_id=_str(d.get("customerId")),
        source=parse_side(d.get("source")),
        destination=parse_side(d.get("destination")),
        cash=parse_cash_ref(d.get("cash")),
        location=_obj(d.get("location")),
        deposit_instructions=parse_deposit_instructions(d.get("depositInstructions")),
        fee_schedule=parse_fee_schedule(d.get("omsFeeSchedule")),
        rates=parse_rates(d.get("rates")),
        transaction_id=_str(txn),
        error=_parse_async_error(d.get("error")),
        metadata=_obj(d.get("metadata")),
        created_at=parse_datetime(d.get("createdAt")),
        updated_at=parse_datetime(d.get("updatedAt")),
        completed_at=parse_datetime(d.get("completedAt")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class CashLocation:
    id: str
    location_reference: str | None = None
    provider: str | None = None
    name: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    distance: Decimal | None = None  # miles
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def full_address(self) -> str:
        tail = " ".join(p for p in (self.state, self.zip_code) if p)
        return ", ".join(p for p in (self.address, self.city, tail) if p)


def parse_cash_location(value: Any) -> CashLocation:
    d = _obj(value)
    coords = _obj(d.get("coordinates"))
    return CashLocation(
        id=_str(d.get("id")) or "",
        location_reference=_str(d.get("locationReference")),
        provider=_str(d.get("provider")),
        name=_str(d.get("name")),
        address=_str(d.get("address")),
        city=_str(d.get("city")),
        state=_str(d.get("state")),
        zip_code=_str(d.get("zipCode")),
        country=_str(d.get("country")),
        latitude=parse_decimal(coords.get("latitude")),
        longitude=parse_decimal(coords.get("longitude")),
        distance=parse_decimal(d.get("distance")),
        raw=d,
    )


# ---------------------------------------------------------------------------
# External accounts, webhooks, events


@dataclass(frozen=True, slots=True)
class BankDetails:
    bank_name: str | None = None
    routing_number: str | None = None
    account_number: str | None = None  # always masked by the server ("******4242")
    account_holder_name: str | None = None


@dataclass(frozen=True, slots=True)
class ExternalAccount:
    id: str
    customer_id: str | None = None
    type: str | None = None
    network: str | None = None
    status: str | None = None
    bank_details: BankDetails = BankDetails()
    created_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        b = self.bank_details
        tail = (b.account_number or "")[-4:]
        return " ".join(p for p in (b.bank_name, f"…{tail}" if tail else None, self.network) if p)


def parse_external_account(value: Any) -> ExternalAccount:
    d = _obj(value)
    b = _obj(d.get("bankDetails"))
    return ExternalAccount(
        id=_str(d.get("id")) or "",
        customer_id=_str(d.get("customerId")),
        type=_str(d.get("type")),
        network=_str(d.get("network")),
        status=_str(d.get("status")),
        bank_details=BankDetails(
            bank_name=_str(b.get("bankName")),
            routing_number=_str(b.get("routingNumber")),
            account_number=_str(b.get("accountNumber")),
            account_holder_name=_str(b.get("accountHolderName")),
        ),
        created_at=parse_datetime(d.get("createdAt")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str
    url: str | None = None
    events: tuple[str, ...] = ()
    enabled: bool = True
    status: WebhookStatus = WebhookStatus.UNKNOWN
    compliance_only: bool = False
    secret: str | None = field(default=None, repr=False)  # only in the create response
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_webhook(value: Any) -> WebhookEndpoint:
    d = _obj(value)
    return WebhookEndpoint(
        id=_str(d.get("id")) or "",
        url=_str(d.get("url")),
        events=_strs(d.get("events")),
        enabled=bool(_bool(d.get("enabled"), True)),
        status=WebhookStatus.parse(d.get("status")),
        compliance_only=bool(_bool(d.get("complianceOnly"), False)),
        secret=_str(d.get("secret")),
        created_at=parse_datetime(d.get("createdAt")),
        updated_at=parse_datetime(d.get("updatedAt")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class Deposit:
    """``wallet.depositDetected`` event data (D14)."""

    wallet_id: str | None = None
    customer_id: str | None = None
    asset: str | None = None
    network: str | None = None
    amount: Decimal | None = None
    tx_hash: str | None = None
    created_at: datetime | None = None
    raw: dict = field(default_factory=dict, repr=False, compare=False)


def parse_deposit(value: Any) -> Deposit:
    d = _obj(value)
    return Deposit(
        wallet_id=_str(d.get("walletId")),
        customer_id=_str(d.get("customerId")),
        asset=_str(d.get("asset")),
        network=_str(d.get("network")),
        amount=parse_decimal(d.get("amount")),
        tx_hash=_str(d.get("txHash")),
        created_at=parse_datetime(d.get("createdAt")),
        raw=d,
    )


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
}

_PREFIXES = {
    "cst_": parse_customer,
    "wlt_": parse_wallet,
    "qt_": parse_quote,
    "txn_": parse_transaction,
    "ci_": parse_cash_in,
    "loc_": parse_cash_location,
    "cpUsBank_": parse_external_account,
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
    id: str
    type: str = ""
    created_at: datetime | None = None
    data: dict = field(default_factory=dict, compare=False)
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def resource(self) -> Any:
        """The event's data as a model (Transaction, CashIn, Customer, Deposit, …) or a dict."""
        return parse_resource(self.data)

    @property
    def family(self) -> str:
        return self.type.split(".", 1)[0] if self.type else ""


def parse_event(value: Any) -> Event:
    d = _obj(value)
    return Event(
        id=_str(d.get("id")) or "",
        type=_str(d.get("type")) or "",
        created_at=parse_datetime(d.get("createdAt")),
        data=_obj(d.get("data")),
        raw=d,
    )


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str = field(repr=False)
    expires_in: int | None = None
    expires_at: datetime | None = None
    token_type: str | None = None


def parse_token(value: Any) -> Token:
    d = _obj(value)
    return Token(
        access_token=_str(d.get("accessToken")) or "",
        expires_in=_int(d.get("expiresIn")),
        expires_at=parse_datetime(d.get("expiresAt")),
        token_type=_str(d.get("tokenType")),
    )
