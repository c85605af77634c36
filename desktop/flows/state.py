"""Money-action requests as plain dataclasses, with the request bodies they produce (no Qt, no I/O).

The Qt pages only copy widget contents into these objects and render what they say;
everything that decides something (is this page complete? what body do we POST? what
changed between two quotes? what will the customer get?) lives here and is unit tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from desktop.flows.inbound import SavedAddress, exact_saved, lookalike
from desktop.flows.validators import (
    Check,
    check_address,
    check_amount,
    check_cash_in_amount,
    check_typed_confirmation,
    needs_typed_confirmation,
    quantize,
)
from desktop.oms.models import TransactionStatus, TransactionType

__all__ = [
    "DEFAULT_CASH_IN_FEES",
    "QUOTE_FIELDS",
    "CashInEstimate",
    "FieldChange",
    "FundState",
    "SendState",
    "WithdrawState",
    "diff_quotes",
    "estimate_cash_in",
    "get_path",
]

FixedSide = Literal["source", "destination"]

#: The sandbox's cash-in fee schedule (D13), shown before the server sends its own.
DEFAULT_CASH_IN_FEES: tuple[dict[str, str], ...] = (
    {"type": "percentage", "rate": "0.015"},
    {"type": "fixed", "amount": "0.50"},
)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except Exception:
        return None


def get_path(data: Mapping[str, Any] | None, path: str) -> Any:
    """``get_path(q, "source.feesDeducted.oms")``; ``None`` where any step is missing."""
    cur: Any = data
    for part in path.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


# --------------------------------------------------------------------------- send


@dataclass
class SendState:
    """Send USDC: from one of the customer's wallets to another OMS wallet or an address."""

    customer_id: str = ""
    source_wallet_id: str = ""
    source_balance: Decimal | None = None
    destination_kind: Literal["wallet", "address", "saved"] = "address"
    destination_wallet_id: str = ""
    destination_address_text: str = ""
    destination_saved_id: str = ""  # a saved address (D23), picked by label
    saved: tuple[SavedAddress, ...] = ()  # the customer's saved addresses
    lookalike_confirmed: bool = False  # the operator checked a look-alike address
    amount_text: str = ""
    fixed_side: FixedSide = "source"
    sponsor_gas: bool = False
    asset: str = "usdc"
    network: str = "polygon"

    def amount_check(self) -> Check:
        # "I send exactly" cannot exceed the balance; "they receive exactly" is checked by
        # the server (fees are added on top), which answers insufficient_funds.
        maximum = self.source_balance if self.fixed_side == "source" else None
        return check_amount(self.amount_text, self.asset, maximum=maximum)

    def saved_destination(self) -> SavedAddress | None:
        """The saved address this send goes to: picked, or typed exactly (D23: the send
        then names the saved address itself)."""
        if self.destination_kind == "saved":
            return next((s for s in self.saved if s.id == self.destination_saved_id), None)
        if self.destination_kind == "address":
            return exact_saved(self.destination_address_text, self.saved)
        return None

    def poisoning(self) -> SavedAddress | None:
        """A saved address the typed one only resembles (address-poisoning guard)."""
        if self.destination_kind != "address":
            return None
        return lookalike(self.destination_address_text, self.saved)

    def destination_check(self) -> Check:
        if self.destination_kind == "saved":
            picked = self.saved_destination()
            if picked is None:
                return Check(False, "Pick a saved address.")
            return Check(True, "", picked.address)
        if self.destination_kind == "wallet":
            if not self.destination_wallet_id:
                return Check(False, "Pick the customer and wallet that receive the USDC.")
            if self.destination_wallet_id == self.source_wallet_id:
                return Check(False, "Source and destination are the same wallet.")
            return Check(True, "", self.destination_wallet_id)
        return check_address(self.destination_address_text)

    def source_check(self) -> Check:
        if not self.customer_id or not self.source_wallet_id:
            return Check(False, "Choose the wallet to send from.")
        return Check(True, "", self.source_wallet_id)

    def errors(self) -> list[str]:
        similar = self.poisoning()
        checks = [self.source_check(), self.destination_check(), self.amount_check()]
        if similar is not None and not self.lookalike_confirmed:
            checks.append(Check(False, f"Confirm this is not the saved address “{similar.label}”."))
        return [c.message for c in checks if not c]

    def is_ready(self) -> bool:
        return not self.errors()

    def quote_body(self) -> dict[str, Any]:
        if not self.is_ready():
            raise ValueError("; ".join(self.errors()))
        amount = format(self.amount_check().value, "f")
        dest = self.destination_check().value
        saved = self.saved_destination()
        if self.destination_kind == "wallet":
            wallet: dict[str, Any] = {"id": dest}
        elif saved is not None:
            wallet = {"externalAccount": saved.id}  # D23: name the saved address itself
        else:
            wallet = {"blockchainAddress": dest}
        source: dict[str, Any] = {
            "walletId": self.source_wallet_id,
            "asset": self.asset,
            "network": self.network,
        }
        destination: dict[str, Any] = {
            "wallet": wallet,
            "asset": self.asset,
            "network": self.network,
        }
        (source if self.fixed_side == "source" else destination)["amount"] = amount
        body = {"customerId": self.customer_id, "source": source, "destination": destination}
        if self.sponsor_gas:
            body["sponsorGas"] = True
        return body


# --------------------------------------------------------------------------- withdraw

RAIL_INFO: dict[str, str] = {
    "ach": "ACH: fee 0.50 % + $0.25, arrives in 1–3 business days (sandbox: 5 minutes).",
    "wire": "Wire: fee 0.50 % + $15.00, arrives the same business day (sandbox: 1 minute).",
}


@dataclass
class WithdrawState:
    """Withdraw to bank (cryptoToFiat): USDC from a wallet to a registered bank account."""

    customer_id: str = ""
    source_wallet_id: str = ""
    source_balance: Decimal | None = None
    external_account_id: str = ""
    network: Literal["ach", "wire"] = "ach"
    amount_text: str = ""
    fixed_side: FixedSide = "source"

    def amount_check(self) -> Check:
        # cryptoToFiat amounts have 2 places on both sides (D13).
        maximum = self.source_balance if self.fixed_side == "source" else None
        return check_amount(self.amount_text, "usd", maximum=maximum)

    def source_check(self) -> Check:
        if not self.customer_id or not self.source_wallet_id:
            return Check(False, "Choose the wallet to withdraw from.")
        return Check(True, "", self.source_wallet_id)

    def account_check(self) -> Check:
        acc = self.external_account_id.strip()
        if not acc:
            return Check(False, "Choose or enter the bank account.")
        return Check(True, "", acc)

    def errors(self) -> list[str]:
        checks = [
            self.source_check(),
            self.account_check(),
            self.amount_check(),
            Check(self.network in ("ach", "wire"), "Choose ACH or wire."),
        ]
        return [c.message for c in checks if not c]

    def is_ready(self) -> bool:
        return not self.errors()

    def quote_body(self) -> dict[str, Any]:
        if not self.is_ready():
            raise ValueError("; ".join(self.errors()))
        amount = format(self.amount_check().value, "f")
        source: dict[str, Any] = {
            "walletId": self.source_wallet_id,
            "asset": "usdc",
            "network": "polygon",
        }
        destination: dict[str, Any] = {
            "wallet": {"externalAccount": self.external_account_id.strip()},
            "asset": "usd",
            "network": self.network,
        }
        (source if self.fixed_side == "source" else destination)["amount"] = amount
        return {"customerId": self.customer_id, "source": source, "destination": destination}


# --------------------------------------------------------------------------- fund (cash-in)


@dataclass(frozen=True)
class CashInEstimate:
    amount: Decimal
    fee: Decimal
    net_usdc: Decimal


def estimate_cash_in(
    amount: Decimal,
    entries: Sequence[Mapping[str, Any]] = DEFAULT_CASH_IN_FEES,
    exchange_rate: Decimal = Decimal("1.0"),
) -> CashInEstimate:
    """Fee and USDC credited for a cash deposit, from an ``omsFeeSchedule`` (D11/D13).

    Percentages round half-up to cents; the final figure depends on the amount actually
    handed over at the counter, so the UI calls it an estimate.
    """
    fee = Decimal(0)
    for entry in entries:
        kind = entry.get("type")
        if kind == "percentage":
            fee += quantize(amount * Decimal(str(entry.get("rate", "0"))), "usd")
        elif kind == "fixed":
            fee += Decimal(str(entry.get("amount", "0")))
    fee = quantize(fee, "usd")
    net = quantize(max(Decimal(0), amount - fee) * exchange_rate, "usdc")
    return CashInEstimate(amount=quantize(amount, "usd"), fee=fee, net_usdc=net)


@dataclass
class FundState:
    """Fund a wallet with cash: wallet, expected amount, store, then the deposit code."""

    customer_id: str = ""
    wallet_id: str = ""
    amount_text: str = "100.00"
    zip_code: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    location_id: str = ""
    location_reference: str = ""
    location_label: str = ""
    limit_message: str = ""  # from check_cash_in_limits over the customer's history
    method: Literal["cash", "bank"] = "cash"  # cash at a store, or a bank transfer (D22)

    def amount_check(self) -> Check:
        return check_cash_in_amount(self.amount_text)

    def errors(self) -> list[str]:
        checks = [
            Check(bool(self.wallet_id), "Choose the wallet to fund."),
            self.amount_check(),
            Check(not self.limit_message, self.limit_message),
            Check(bool(self.location_id and self.location_reference), "Choose a store."),
        ]
        return [c.message for c in checks if not c]

    def is_ready(self) -> bool:
        return not self.errors()

    def cash_in_body(self) -> dict[str, Any]:
        if not self.is_ready():
            raise ValueError("; ".join(self.errors()))
        return {
            "customerId": self.customer_id,
            "source": {
                "asset": "usd",
                "indicatedAmount": format(quantize(self.amount_check().value, "usd"), "f"),
            },
            "destination": {
                "wallet": {"id": self.wallet_id},
                "asset": "usdc",
                "network": "polygon",
            },
            "cash": {"locationId": self.location_id, "locationReference": self.location_reference},
        }


# --------------------------------------------------------------------------- quotes

#: What the quote page shows, and what a new quote is compared on: (label, path).
QUOTE_FIELDS: tuple[tuple[str, str], ...] = (
    ("Customer pays (gross)", "source.amountGross"),
    ("After source fees (net)", "source.amountNet"),
    ("OMS fee", "source.feesDeducted.oms"),
    ("Network gas", "source.feesDeducted.gas"),
    ("Developer fee", "source.feesDeducted.developer"),
    ("Bank rail fee", "source.feesDeducted.rail"),
    ("Total fees", "source.feesDeducted.total"),
    ("Destination gross", "destination.amountGross"),
    ("Recipient gets (net)", "destination.amountNet"),
    ("Exchange rate", "rates.exchangeRate"),
    ("Effective rate", "rates.effectiveRate"),
)


@dataclass(frozen=True)
class FieldChange:
    label: str
    path: str
    old: Decimal | None
    new: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old


def diff_quotes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    """Fields whose value differs between two quotes' JSON (compared as Decimals,
    so ``"1.0"`` and ``"1.00"`` are the same figure)."""
    changes = []
    for label, path in QUOTE_FIELDS:
        a, b = _dec(get_path(old, path)), _dec(get_path(new, path))
        if a != b:
            changes.append(FieldChange(label, path, a, b))
    return changes


@dataclass
class ConfirmState:
    """Confirmation on the quote page: large amounts need the amount typed (≥ 10,000)."""

    amount: Decimal | None = None
    typed: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return needs_typed_confirmation(self.amount)

    def check(self) -> Check:
        if not self.required or self.amount is None:
            return Check(True)
        return check_typed_confirmation(self.typed, self.amount)


# --------------------------------------------------------------------------- timeline

#: Steps shown on the status page per transaction type (sub-statuses of D10).
TIMELINE_STEPS: dict[TransactionType, tuple[tuple[str, str], ...]] = {
    TransactionType.CRYPTO_TO_CRYPTO: (
        ("submitted", "Submitted"),
        ("fundsPulled", "Funds taken from the wallet"),
        ("broadcast", "Broadcast to the network"),
        ("settled", "Settled on chain"),
    ),
    TransactionType.CRYPTO_TO_FIAT: (
        ("submitted", "Submitted"),
        ("fundsPulled", "Funds taken from the wallet"),
        ("bankSubmitted", "Sent to the bank"),
        ("settled", "Arrived at the bank"),
    ),
    TransactionType.FIAT_TO_CRYPTO: (
        ("submitted", "Deposit code issued"),
        ("fundsReceived", "Cash received at the store"),
        ("settled", "USDC credited to the wallet"),
    ),
}
#: Where each failure sub-status (D10) stops the timeline: the step that did not happen.
FAILED_AT = {"rejected": "broadcast", "returned": "settled", "reversed": "settled"}

StepState = Literal["done", "current", "todo", "failed"]


def timeline_rows(
    kind: TransactionType | str, status: TransactionStatus | str, sub_status: str | None
) -> list[tuple[str, StepState]]:
    """(label, state) for each step, from the type, status and current sub-status.

    ``completed`` marks every step done; ``failed`` marks the first step not yet reached
    as failed (a rejected send fails where it would have been broadcast/settled). Type and
    status are compared as the client's enums (an unknown value parses to ``UNKNOWN``).
    """
    kind = TransactionType.parse(kind)
    status = TransactionStatus.parse(status)
    failed = status is TransactionStatus.FAILED
    steps = TIMELINE_STEPS.get(kind, TIMELINE_STEPS[TransactionType.CRYPTO_TO_CRYPTO])
    keys = [k for k, _ in steps]
    if status is TransactionStatus.COMPLETED:
        return [(label, "done") for _, label in steps]
    if failed and sub_status in FAILED_AT and FAILED_AT[sub_status] in keys:
        reached = keys.index(FAILED_AT[sub_status]) - 1
    else:
        reached = keys.index(sub_status) if sub_status in keys else 0
    rows: list[tuple[str, StepState]] = []
    for i, (_, label) in enumerate(steps):
        if i <= reached:
            rows.append((label, "done"))
        elif i == reached + 1:
            rows.append((label, "failed" if failed else "current"))
        else:
            rows.append((label, "todo"))
    return rows
