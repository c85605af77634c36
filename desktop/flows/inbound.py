"""Money that arrives by itself (D22) and the customer's saved addresses (D23): the rules
the desk's pages render from (no Qt, no I/O).

* Bank funding through a virtual account: the fees and timing of ACH and wire, the
  estimate of the USDC credited, the simulator amount, and what a deposit means in words
  (a reversal explained).
* Saved blockchain addresses: the address-poisoning guard — an address that shares the
  start and the end of a saved one but differs in the middle is named, never silently
  accepted — and the label rule.
* Early access: what the desk says when the server does not offer these resources (D12).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from desktop.display import money
from desktop.flows.validators import Check, check_address, check_amount

__all__ = [
    "BANK_RAILS",
    "BANK_REVERSED",
    "DEPOSIT_MAX",
    "DEPOSIT_MIN",
    "EARLY_ACCESS",
    "LOOKALIKE_EDGE",
    "OMS_DEPOSIT_RATE",
    "BankDepositEstimate",
    "BankRail",
    "SavedAddress",
    "check_deposit_amount",
    "check_label",
    "check_new_saved",
    "deposit_counterparty",
    "deposit_notice",
    "deposit_summary",
    "early_access_text",
    "estimate_bank_deposit",
    "exact_saved",
    "explain_deposit_refusal",
    "lookalike",
    "lookalike_warning",
]

#: OMS fee on an inbound bank deposit (D22), rounded half-up to cents.
OMS_DEPOSIT_RATE = Decimal("0.005")
#: Simulator amounts (D22).
DEPOSIT_MIN = Decimal("1.00")
DEPOSIT_MAX = Decimal("100000.00")
#: How many hex characters at each end a poisoning address copies from the real one.
LOOKALIKE_EDGE = 4


@dataclass(frozen=True)
class BankRail:
    rail: str  # the simulator's name: ach_in, wire_in
    name: str  # ACH, Wire
    fee: Decimal  # the rail's fixed fee in USD
    arrives: str  # real banks
    sandbox: str  # the sandbox clock

    def text(self) -> str:
        fixed = f" + {money(self.fee, 'usd')}" if self.fee else ", no bank fee"
        return (
            f"{self.name}: OMS fee 0.50 %{fixed}; arrives {self.arrives} (sandbox: {self.sandbox})."
        )


BANK_RAILS: dict[str, BankRail] = {
    "ach_in": BankRail(
        "ach_in", "ACH", Decimal("0.00"), "in 1–3 business days", "5 minutes after it is sent"
    ),
    "wire_in": BankRail(
        "wire_in", "Wire", Decimal("10.00"), "the same business day", "1 minute after it is sent"
    ),
}

_NETWORK_RAIL = {"ach": "ach_in", "wire": "wire_in"}


@dataclass(frozen=True)
class BankDepositEstimate:
    amount: Decimal
    fee: Decimal
    net_usdc: Decimal


def estimate_bank_deposit(amount: Decimal, rail: str) -> BankDepositEstimate:
    """Fee and USDC credited for an inbound deposit (D22: 0.50 % half-up + the rail fee,
    rate 1.0). Never negative."""
    info = BANK_RAILS[rail]
    cents = Decimal("0.01")
    fee = (amount * OMS_DEPOSIT_RATE).quantize(cents, rounding=ROUND_HALF_UP) + info.fee
    net = max(Decimal(0), amount - fee).quantize(cents)
    return BankDepositEstimate(amount.quantize(cents), fee, net)


def check_deposit_amount(text: str) -> Check:
    """A simulated bank deposit: USD with at most 2 places, 1.00–100,000.00."""
    check = check_amount(text, "usd")
    if not check:
        return check
    if not DEPOSIT_MIN <= check.value <= DEPOSIT_MAX:
        return Check(
            False,
            f"A bank deposit is between {money(DEPOSIT_MIN, 'usd')} and "
            f"{money(DEPOSIT_MAX, 'usd')}.",
        )
    return check


def _rail_of(txn: Any) -> BankRail | None:
    network = str(getattr(getattr(txn, "source", None), "network", "") or "").lower()
    return BANK_RAILS.get(_NETWORK_RAIL.get(network, ""))


BANK_REVERSED = (
    "The sending bank reversed (recalled) the deposit after it arrived, so no USDC was "
    "credited and nothing was charged. The customer should ask their bank why; a new "
    "deposit can be sent to the same account."
)


def deposit_summary(txn: Any) -> str:
    """One line for an inbound deposit (bank or USDC), in words."""
    src, dst = txn.source, txn.destination
    status = str(txn.status)
    if getattr(txn, "deposit_address_id", None) or getattr(src, "deposit_address_id", None):
        sender = getattr(src, "blockchain_address", None) or "an outside address"
        what = f"Receive of {money(src.amount_gross, 'usdc')} from {sender}"
    else:
        rail = _rail_of(txn)
        what = f"{rail.name if rail else 'Bank'} deposit of {money(src.amount_gross, 'usd')}"
    if status == "completed":
        return f"{what}: completed, {money(dst.amount_net, 'usdc')} credited."
    if status == "failed":
        code = getattr(getattr(txn, "error", None), "code", None)
        sub = getattr(txn, "sub_status", None)
        if code == "deposit_reversed" or sub == "reversed":
            return f"{what}: reversed. {BANK_REVERSED}"
        message = getattr(getattr(txn, "error", None), "message", None) or "no reason given"
        return f"{what}: failed ({message}); nothing was credited."
    sub = getattr(txn, "sub_status", None)
    step = {"fundsReceived": "funds received, converting to USDC", "broadcast": "arriving"}
    return f"{what}: {step.get(sub or '', 'in progress')}."


def deposit_counterparty(txn: Any) -> str | None:
    """Who is on the other side of a deposit (D22): the sender's address of a Receive, the
    rail and virtual account of a bank deposit; ``None`` for anything else."""
    src = getattr(txn, "source", None)
    if getattr(txn, "deposit_address_id", None) or getattr(src, "deposit_address_id", None):
        return getattr(src, "blockchain_address", None) or "an outside address"
    va = getattr(txn, "virtual_account_id", None) or getattr(src, "virtual_account_id", None)
    if va:
        rail = _rail_of(txn)
        return f"{rail.name if rail else 'Bank'} from the customer's bank to {va}"
    return None


def deposit_notice(txn: Any) -> tuple[str, str] | None:
    """The notice for a deposit that just ended: (text, banner kind); ``None`` otherwise."""
    status = str(getattr(txn, "status", ""))
    if status == "completed":
        return deposit_summary(txn), "success"
    if status == "failed":
        return deposit_summary(txn), "error"
    return None


def explain_deposit_refusal(exc: BaseException | Any) -> str:
    """Why the server refused a deposit to a virtual account or deposit address, in words."""
    code = getattr(exc, "code", None)
    message = str(exc).rstrip(".")
    if code == "invalid_state":
        return (
            "This virtual account is paused, so the bank refused the deposit and nothing "
            f"moved. Resume the account in the customer's pane to accept deposits. ({message}.)"
        )
    if code == "customer_inactive":
        return f"The customer's account is inactive; nothing moved. ({message}.)"
    if code == "invalid_amount":
        return f"The amount is not valid: {message}."
    return message or "The deposit was refused."


# --------------------------------------------------------------------------- saved addresses


@dataclass(frozen=True)
class SavedAddress:
    id: str
    label: str
    address: str
    created_at: datetime | None = None

    @classmethod
    def of(cls, account: Any) -> SavedAddress:
        """From a client ``ExternalAccount`` of type ``blockchainAddress``."""
        return cls(
            id=account.id,
            label=getattr(account, "nickname", None) or account.address or account.id,
            address=account.address or "",
            created_at=getattr(account, "created_at", None),
        )


def _hex(address: str) -> str:
    text = (address or "").strip().lower()
    return text[2:] if text.startswith("0x") else text


def exact_saved(address: str, saved: Iterable[SavedAddress]) -> SavedAddress | None:
    """The saved address that is this address (any letter case)."""
    a = _hex(address)
    return next((s for s in saved if a and _hex(s.address) == a), None)


def lookalike(address: str, saved: Iterable[SavedAddress]) -> SavedAddress | None:
    """Address poisoning: a saved address with the same first and last
    :data:`LOOKALIKE_EDGE` hex characters that is not this address. ``None`` when the
    address is one of the saved ones, or resembles none."""
    saved = list(saved)
    a = _hex(address)
    if len(a) != 40 or exact_saved(address, saved) is not None:
        return None
    n = LOOKALIKE_EDGE
    for s in saved:
        b = _hex(s.address)
        if len(b) == 40 and a[:n] == b[:n] and a[-n:] == b[-n:]:
            return s
    return None


def lookalike_warning(address: str, saved: SavedAddress) -> str:
    return (
        f"Careful: this address looks like the saved address “{saved.label}” "
        f"({saved.address}) but differs in the middle characters. Scammers send tiny "
        "transfers from look-alike addresses so that one gets copied from the history "
        "(address poisoning). Pick the saved address instead, or check every character "
        "with the customer before sending."
    )


def check_label(text: str) -> Check:
    label = (text or "").strip()
    if not label:
        return Check(False, "Give the address a label (e.g. “Cold wallet”).")
    if len(label) > 64:
        return Check(False, "A label has at most 64 characters.")
    return Check(True, "", label)


def check_new_saved(address: str, label: str, saved: Iterable[SavedAddress]) -> Check:
    """What "Save this address" would POST: a valid address not saved yet, and a label."""
    addr = check_address(address)
    if not addr:
        return addr
    known = exact_saved(addr.value, saved)
    if known is not None:
        return Check(False, f"Already saved as “{known.label}”.")
    lab = check_label(label)
    if not lab:
        return lab
    return Check(True, "", (addr.value, lab.value))


# --------------------------------------------------------------------------- early access

EARLY_ACCESS = {
    "virtualAccounts": "Bank funding through a virtual account",
    "depositAddresses": "Receiving USDC at a deposit address",
    "savedAddresses": "Saved addresses",
}


def early_access_text(feature: str) -> str:
    """What the desk says when the server answers 404 for an early-access resource."""
    name = EARLY_ACCESS.get(feature, feature)
    return (
        f"{name} is an early-access OMS feature that this server does not offer. Ask OMS to "
        "enable it for this account; everything else works as usual."
    )
