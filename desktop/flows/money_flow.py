"""The state of one money action, as a plain object with tested transitions (no Qt, no I/O).

Electrum's wizard pattern: the pages of a wizard render from a :class:`MoneyFlow` and
write into it; everything that decides something lives here — is the quote still good,
which key does this confirmation use, what did the server's answer do to the action.

One flow is one action: a send, a withdrawal or a cash deposit. It holds

* the kind, and the request (source, destination, amount and its fixed side) as one of
  :mod:`desktop.flows.state`'s dataclasses;
* the quote, the request it answers and its countdown deadline (D18);
* the submit key: made once per user-initiated confirmation of a quote, reused by every
  automatic retry of it (D3), so no money moves twice;
* the step the operator is on and the outcome.

Statuses are compared as the client's enums (``desktop.oms.models``), never as strings.
The key generator defaults to the one in ``desktop.oms`` (tests pass a counting one);
the clock is the session's monotonic clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from desktop.flows.inbound import BANK_RAILS, SavedAddress, check_deposit_amount
from desktop.flows.state import (
    ConfirmState,
    FieldChange,
    FundState,
    SendState,
    WithdrawState,
    diff_quotes,
)
from desktop.flows.timing import Clock, Deadline
from desktop.oms import errors, new_idempotency_key
from desktop.oms.models import CashInStatus, TransactionStatus

__all__ = ["FlowError", "Kind", "MoneyFlow", "Outcome", "Step"]

Request = SendState | WithdrawState | FundState


class Kind(StrEnum):
    SEND = "send"
    WITHDRAW = "withdraw"
    FUND = "fund"


class Step(StrEnum):
    """Where the operator is. Send/withdraw: source → details → review (the quote) →
    status. Fund: source (wallet and amount) → details (the store) → review (the code)
    → status."""

    SOURCE = "source"
    DETAILS = "details"
    REVIEW = "review"
    STATUS = "status"


class Outcome(StrEnum):
    NONE = "none"  # nothing submitted yet
    SUBMITTING = "submitting"  # sent (or being sent) through the outbox
    IN_FLIGHT = "inFlight"  # the server took it; following it to the end
    COMPLETED = "completed"
    FAILED = "failed"  # the server ran it and it failed (money returned)
    NOT_SENT = "notSent"  # refused, or could not be confirmed: nothing moved


class FlowError(Exception):
    """A transition asked for in a state that does not allow it (a page bug, not a user error)."""


_TXN_OUTCOME = {
    TransactionStatus.COMPLETED: Outcome.COMPLETED,
    TransactionStatus.FAILED: Outcome.FAILED,
}


@dataclass
class MoneyFlow:
    kind: Kind
    new_key: Callable[[], str]  # the client's one idempotency-key generator
    clock: Clock = time.monotonic
    request: Request = field(default_factory=SendState)
    step: Step = Step.SOURCE

    # ---- the quote (send, withdraw) -------------------------------------------
    quote: Any = None
    quote_body: dict | None = None  # the request the quote answers
    deadline: Deadline | None = None
    previous_quote: Any = None  # what a new quote is compared with
    quoting_body: dict | None = None  # a quote request in flight for this body
    quote_error: BaseException | None = None
    note: str = ""  # why the operator is looking at a fresh quote
    confirm_typed: str = ""

    # ---- submission -----------------------------------------------------------
    submit_key: str | None = None
    submit_key_for: str | None = None  # the quote id (send/withdraw) or body (fund) it belongs to
    outcome: Outcome = Outcome.NONE
    error: BaseException | Any = None
    txn: Any = None
    txn_id: str | None = None

    # ---- fund: the store and the cash-in --------------------------------------
    stores: list[Any] = field(default_factory=list)
    stores_for: str = ""  # the ZIP/point text the list was found for
    cash_in: Any = None

    # ---- fund by bank transfer: the customer's virtual account and its deposits (D22)
    virtual_account: Any = None
    va_for: str = ""  # the wallet the virtual account was looked up for
    va_state: str = "unknown"  # unknown, looking, none, found, unavailable (early access)
    deposits: dict[str, Any] = field(default_factory=dict)  # id → newest transaction

    # ---- send: the customer's saved addresses (D23) ------------------------------
    saved_state: str = "unknown"  # unknown, found, unavailable (early access)

    @classmethod
    def send(
        cls, new_key: Callable[[], str] = new_idempotency_key, clock: Clock = time.monotonic
    ) -> MoneyFlow:
        return cls(Kind.SEND, new_key, clock, SendState())

    @classmethod
    def withdraw(
        cls, new_key: Callable[[], str] = new_idempotency_key, clock: Clock = time.monotonic
    ) -> MoneyFlow:
        return cls(Kind.WITHDRAW, new_key, clock, WithdrawState())

    @classmethod
    def fund(
        cls, new_key: Callable[[], str] = new_idempotency_key, clock: Clock = time.monotonic
    ) -> MoneyFlow:
        return cls(Kind.FUND, new_key, clock, FundState())

    # ---- the request ------------------------------------------------------------
    def body(self) -> dict:
        """What is POSTed for the request as it stands (ValueError while it is incomplete)."""
        if isinstance(self.request, FundState):
            return self.request.cash_in_body()
        return self.request.quote_body()

    def current_body(self) -> dict | None:
        try:
            return self.body()
        except ValueError:
            return None

    def update(self, **fields: Any) -> bool:
        """Write what the operator typed or picked into the request.

        A quote answers one request: once the request differs from it (another amount,
        side, destination…), the quote is dropped and a new one is needed. Returns whether
        anything changed.
        """
        changed = False
        for name, value in fields.items():
            if not hasattr(self.request, name):
                raise AttributeError(f"{type(self.request).__name__} has no field {name!r}")
            if getattr(self.request, name) != value:
                setattr(self.request, name, value)
                changed = True
        if changed and self.quote is not None and self.current_body() != self.quote_body:
            self._drop_quote()
        return changed

    def _drop_quote(self) -> None:
        if self.quote is not None:
            self.previous_quote = self.quote
        self.quote = None
        self.quote_body = None
        self.deadline = None
        self.submit_key = self.submit_key_for = None

    # ---- quotes -------------------------------------------------------------------
    @property
    def quoting(self) -> bool:
        return self.quoting_body is not None

    def remaining(self, now: float | None = None) -> float:
        return 0.0 if self.deadline is None else self.deadline.remaining(now)

    def quote_valid(self, now: float | None = None) -> bool:
        """A quote is usable only if it answers the current request and time is left on a
        known deadline. A quote without a deadline is not valid: its lifetime is unknown."""
        return (
            self.quote is not None
            and self.deadline is not None
            and not self.quoting
            and not self.deadline.expired(now)
            and self.quote_body == self.current_body()
        )

    def needs_quote(self, now: float | None = None) -> bool:
        """On entering the review step: fetch unless the quote is still valid for the same
        request (Back then Next with nothing changed keeps a live quote, never a dead one)."""
        return not self.quote_valid(now)

    def start_quote(self, note: str = "") -> dict:
        """A quote request starts: returns the body to POST. The old quote becomes the one a
        new quote is compared with, and can no longer be confirmed."""
        body = self.body()
        self._drop_quote()
        self.quoting_body = body
        self.quote_error = None
        self.note = note
        self.step = Step.REVIEW
        return body

    def quote_arrived(self, quote: Any, body: dict) -> bool:
        """The server's quote for ``body``. An answer to an older request is ignored
        (returns False). The deadline comes from ``expiresAt`` and the response's
        ``Date`` (D18); without ``expiresAt`` there is no deadline and no valid quote."""
        if body != self.quoting_body:
            return False
        self.quoting_body = None
        self.quote = quote
        self.quote_body = body
        received = getattr(quote, "received_monotonic", None)
        received = self.clock() if received is None else received
        expires_at = getattr(quote, "expires_at", None)
        server_date = getattr(quote, "server_date", None)
        self.deadline = (
            Deadline.from_server(expires_at, server_date, received, self.clock, 1.0)
            if expires_at is not None
            else None
        )
        self.submit_key = self.submit_key_for = None
        return True

    def quote_failed(self, exc: BaseException, body: dict) -> bool:
        if body != self.quoting_body:
            return False
        self.quoting_body = None
        self.quote_error = exc
        return True

    def changes(self) -> list[FieldChange] | None:
        """What differs from the previous quote; ``None`` when there was none."""
        if self.quote is None or self.previous_quote is None:
            return None
        return diff_quotes(self.previous_quote.raw, self.quote.raw)

    # ---- confirmation -----------------------------------------------------------
    def confirmation(self) -> ConfirmState:
        """Large amounts (≥ 10,000) need the gross amount typed."""
        gross = getattr(getattr(self.quote, "source", None), "amount_gross", None)
        return ConfirmState(amount=gross, typed=self.confirm_typed)

    def can_confirm(self, now: float | None = None) -> bool:
        return self.quote_valid(now) and self.confirmation().check().ok

    def confirm(self, now: float | None = None) -> str:
        """The operator confirms the quote: returns the submit key for it.

        The key is made once per confirmation of a quote; confirming the same quote again
        (after Back, or a retry after a network failure) reuses it, so the server runs it
        at most once (D3). A new quote gets a new key.
        """
        if self.outcome in (Outcome.IN_FLIGHT, Outcome.COMPLETED, Outcome.FAILED):
            raise FlowError("this quote was already used")
        if not self.quote_valid(now):
            raise FlowError("no valid quote to confirm")
        check = self.confirmation().check()
        if not check.ok:
            raise FlowError(check.message)
        if self.submit_key is None or self.submit_key_for != self.quote.id:
            self.submit_key = self.new_key()
            self.submit_key_for = self.quote.id
        self.step = Step.STATUS
        self.outcome = Outcome.SUBMITTING
        self.error = None
        return self.submit_key

    # ---- submission outcomes -------------------------------------------------------
    def submission_failed(self, exc: BaseException) -> None:
        """The submission did not go through. ``quote_expired`` sends the operator back to a
        fresh quote; anything else says "not sent" and keeps the key (a retry of this same
        quote reuses it)."""
        if isinstance(exc, errors.QuoteExpired):
            self._drop_quote()
            self.outcome = Outcome.NONE
            self.step = Step.REVIEW
            self.note = (
                "The quote expired before it could be sent — nothing was sent. "
                "Here is a fresh quote; check the figures and confirm again."
            )
            return
        self.outcome = Outcome.NOT_SENT
        self.error = exc

    def back_to_review(self) -> None:
        """From "not sent" back to the quote, for a fresh one (a new attempt, a new key)."""
        if self.outcome in (Outcome.SUBMITTING, Outcome.IN_FLIGHT):
            raise FlowError("the submission is still under way")
        self._drop_quote()
        self.outcome = Outcome.NONE
        self.error = None
        self.step = Step.REVIEW

    def on_transaction(self, txn: Any) -> bool:
        """A transaction seen anywhere (submission answer, tracker, refresh). Returns
        whether it is this flow's, and then moves the outcome on."""
        if self.txn_id is None:
            quote_id = getattr(self.quote, "id", None) or self.submit_key_for
            cash_in_id = getattr(self.cash_in, "id", None)
            ours = (quote_id is not None and getattr(txn, "quote_id", None) == quote_id) or (
                cash_in_id is not None and getattr(txn, "cash_in_id", None) == cash_in_id
            )
            if not ours or self.outcome == Outcome.NONE:
                return False
            self.txn_id = txn.id
        elif txn.id != self.txn_id:
            return False
        outcome = _TXN_OUTCOME.get(TransactionStatus.parse(txn.status), Outcome.IN_FLIGHT)
        if self.final and outcome is Outcome.IN_FLIGHT:
            return True  # a late, older update never undoes the end
        self.txn = txn
        self.outcome = outcome
        self.error = getattr(txn, "error", None) if outcome is Outcome.FAILED else None
        return True

    @property
    def final(self) -> bool:
        return self.outcome in (Outcome.COMPLETED, Outcome.FAILED)

    # ---- fund: store and code --------------------------------------------------------
    def search_changed(self) -> None:
        """The ZIP or the coordinates were edited: the store list and the chosen store were
        for another place, so neither can be used for a code any more."""
        self.stores = []
        self.stores_for = ""
        self._choose(None)

    def stores_found(self, stores: list[Any], searched: str, current: str) -> bool:
        """Stores near ``searched``; ignored when the search box says something else now."""
        if searched != current:
            return False
        self.stores = list(stores)
        self.stores_for = searched
        self._choose(None)
        return True

    def choose_store(self, index: int) -> None:
        self._choose(self.stores[index] if 0 <= index < len(self.stores) else None)

    def _choose(self, loc: Any) -> None:
        st = self.request
        if not isinstance(st, FundState):
            raise FlowError("only a cash deposit has a store")
        if loc is None:
            st.location_id = st.location_reference = st.location_label = ""
            return
        st.location_id = loc.id
        st.location_reference = loc.location_reference or ""
        st.location_label = f"{loc.name}, {loc.address}, {loc.city}, {loc.state}"

    @property
    def store_name(self) -> str:
        st = self.request
        return st.location_label.split(",")[0] if isinstance(st, FundState) else ""

    def can_request_code(self) -> bool:
        return isinstance(self.request, FundState) and self.request.is_ready()

    def request_code(self) -> tuple[dict, str]:
        """The operator pressed "Get code at {store}": the body and its key. The same
        request (a retry) keeps its key; a cash-in is never created twice for one click."""
        if not self.can_request_code():
            raise FlowError("choose a wallet, an amount and a store first")
        body = self.body()
        marker = repr(sorted(body.items()))
        if self.submit_key is None or self.submit_key_for != marker:
            self.submit_key = self.new_key()
            self.submit_key_for = marker
        self.step = Step.REVIEW
        self.outcome = Outcome.SUBMITTING
        self.error = None
        return body, self.submit_key

    def on_cash_in(self, ci: Any) -> bool:
        """A cash-in seen anywhere; returns whether it is this flow's."""
        if self.cash_in is not None and ci.id != self.cash_in.id:
            return False
        if self.cash_in is None and self.outcome == Outcome.NONE:
            return False
        self.cash_in = ci
        status = CashInStatus.parse(ci.status)
        if self.final:
            return True  # the transaction already said how it ended
        if status == CashInStatus.COMPLETED:
            self.outcome = Outcome.COMPLETED
        elif status == CashInStatus.FAILED:
            self.outcome = Outcome.FAILED
            self.error = getattr(ci, "error", None)
        else:
            self.outcome = Outcome.IN_FLIGHT
        return True

    def cash_received(self) -> bool:
        """The store took the cash: the code step is over (D11: processing or final)."""
        if self.cash_in is None:
            return False
        return CashInStatus.parse(self.cash_in.status) in (
            CashInStatus.PROCESSING,
            CashInStatus.COMPLETED,
            CashInStatus.FAILED,
        )

    def cash_in_refused(self, exc: BaseException) -> None:
        self.outcome = Outcome.NOT_SENT
        self.error = exc

    # ---- send: saved addresses (D23) -------------------------------------------------
    def saved_listed(self, saved: list[SavedAddress]) -> None:
        """The customer's saved addresses (a send may pick one by label)."""
        st = self.request
        if not isinstance(st, SendState):
            raise FlowError("only a send has saved addresses")
        st.saved = tuple(saved)
        self.saved_state = "found"
        if st.destination_kind == "saved" and st.saved_destination() is None:
            st.destination_saved_id = ""

    def saved_unavailable(self) -> None:
        """The server has no saved addresses (early access, 404): type an address."""
        st = self.request
        if isinstance(st, SendState):
            st.saved = ()
            if st.destination_kind == "saved":
                st.destination_kind = "address"
        self.saved_state = "unavailable"

    def offer_save(self) -> bool:
        """After a completed send to an external address that is not saved yet, the
        wizard offers to save it (only where the server has saved addresses)."""
        st = self.request
        return (
            isinstance(st, SendState)
            and self.outcome is Outcome.COMPLETED
            and self.saved_state == "found"
            and st.destination_kind == "address"
            and st.saved_destination() is None
            and bool(st.destination_check())
        )

    def saved_added(self, saved: SavedAddress) -> None:
        st = self.request
        if isinstance(st, SendState):
            st.saved = (*st.saved, saved)

    # ---- fund: bank transfer through a virtual account (D22) -------------------------
    def choose_method(self, method: str) -> None:
        """Cash at a store, or a bank transfer (no quote, no code: the customer's bank
        sends money to the customer's own account number whenever they like)."""
        st = self.request
        if not isinstance(st, FundState) or method not in ("cash", "bank"):
            raise FlowError(f"no funding method {method!r}")
        st.method = method  # type: ignore[assignment]

    @property
    def is_bank(self) -> bool:
        return isinstance(self.request, FundState) and self.request.method == "bank"

    def va_lookup_needed(self) -> bool:
        """The bank page needs the virtual account of the chosen wallet (looked up once)."""
        wallet = getattr(self.request, "wallet_id", "")
        return self.is_bank and bool(wallet) and self.va_for != wallet

    def va_looking(self) -> str:
        wallet = self.request.wallet_id  # type: ignore[union-attr]
        self.va_for = wallet
        self.va_state = "looking"
        self.virtual_account = None
        self.deposits = {}
        return wallet

    def va_listed(self, vas: list[Any], wallet_id: str) -> bool:
        """The customer's virtual accounts; the one paying into ``wallet_id`` is the one
        shown. An answer for a wallet no longer chosen is ignored (returns False)."""
        if wallet_id != self.va_for:
            return False
        mine = [v for v in vas if getattr(v, "wallet_id", None) == wallet_id]
        mine = [v for v in mine if str(getattr(v, "status", "")) != "deleted"]
        self.virtual_account = mine[0] if mine else None
        self.va_state = "found" if mine else "none"
        return True

    def va_unavailable(self, wallet_id: str) -> None:
        """The server has no virtual accounts (early access, 404)."""
        if wallet_id == self.va_for:
            self.va_state = "unavailable"
            self.virtual_account = None

    def va_changed(self, va: Any) -> bool:
        """A virtual account created, paused or resumed: it replaces the one shown if it
        pays into the chosen wallet."""
        if getattr(va, "wallet_id", None) != self.va_for:
            return False
        self.virtual_account = va
        self.va_state = "found"
        return True

    @property
    def va_active(self) -> bool:
        va = self.virtual_account
        return va is not None and bool(getattr(va, "is_active", False))

    def simulate_deposit(self, amount_text: str, rail: str) -> tuple[Decimal, str]:
        """Sandbox "Simulate incoming ACH / wire": the amount and a fresh key (each press
        is one more deposit; a retry of the same press reuses ``submit_key``)."""
        if self.virtual_account is None:
            raise FlowError("no virtual account to deposit to")
        if rail not in BANK_RAILS:
            raise FlowError(f"no bank rail {rail!r}")
        check = check_deposit_amount(amount_text)
        if not check:
            raise FlowError(check.message)
        self.submit_key = self.new_key()
        self.submit_key_for = f"deposit:{self.virtual_account.id}"
        return check.value, self.submit_key

    def on_deposit(self, txn: Any) -> bool:
        """A transaction seen anywhere: whether it is a deposit to this virtual account;
        the newest copy of each is kept (a late, older copy never undoes an end)."""
        va = self.virtual_account
        if va is None or getattr(txn, "virtual_account_id", None) != va.id:
            return False
        known = self.deposits.get(txn.id)
        if known is not None and known.is_terminal and not txn.is_terminal:
            return True
        self.deposits[txn.id] = txn
        self.txn, self.txn_id = txn, txn.id
        self.outcome = _TXN_OUTCOME.get(TransactionStatus.parse(txn.status), Outcome.IN_FLIGHT)
        self.error = getattr(txn, "error", None) if self.outcome is Outcome.FAILED else None
        return True

    @property
    def amount(self) -> Decimal | None:
        check = self.request.amount_check()
        return check.value if check else None
