"""The session's change hub: every fact the desk learns about its money, in one place.

A customer, wallet, balance, transaction or cash-in learned anywhere — a page a view
loaded, a tracker poll, a wizard's result, a refresh, a go-to — is published here once.
Views subscribe and redraw what they show:

* ``changed(Changes)`` is the coalesced stream views redraw from: every object published
  within ``COALESCE_MS`` arrives in one batch (the newest version of each), so a burst of
  hundreds of updates costs a few redraws a second.
* ``transactionChanged`` / ``cashInChanged`` fire at once, for the one page that waits on
  one object (a wizard's status page).

The hub asks the session's tracker to follow what is in flight (the tracker stays the only
poller), submits money through the outbox in the session's scope (closing a wizard never
loses a submission), and turns failures nobody is looking at into ``notice`` objects the
main window shows: a refused submission, a tracked transaction that failed, the result of
a transaction resumed after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.display import money
from desktop.flows.inbound import deposit_notice
from desktop.flows.story import Seen, counterparty
from desktop.oms import errors, models

if TYPE_CHECKING:
    from desktop.ui.session import Session

log = logging.getLogger(__name__)

COALESCE_MS = 250  # at most four redraws a second from live updates

__all__ = ["COALESCE_MS", "ChangeHub", "Changes", "Notice"]


@dataclass
class Changes:
    """One coalesced batch: the newest version of each object published since the last."""

    customers: dict[str, Any] = field(default_factory=dict)
    wallets: dict[str, Any] = field(default_factory=dict)
    balances: dict[str, Any] = field(default_factory=dict)  # wallet id → Balance
    transactions: dict[str, Any] = field(default_factory=dict)
    cash_ins: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.customers or self.wallets or self.balances or self.transactions or self.cash_ins
        )


@dataclass(frozen=True)
class Notice:
    """Something the operator must learn although no page waits for it."""

    key: str  # the same key is one notice (shown once)
    text: str
    kind: str = "error"  # banner kind: error, warning, info, success
    target: str | None = None  # an id the notice links to (go-to)


def _amount(side: Any) -> str:
    amount = getattr(side, "amount_gross", None) or getattr(side, "amount", None)
    if amount is None:
        return "an amount"
    return money(amount, getattr(side, "asset", None) or "")


def _reason(exc_or_error: Any) -> str:
    message = getattr(exc_or_error, "message", None) or str(exc_or_error)
    code = getattr(exc_or_error, "code", None)
    text = f"{message} ({code})" if code and code not in message else message
    return text[:300]


class ChangeHub(QObject):
    """Publishes facts, follows work in flight, submits money, raises notices."""

    changed = Signal(object)  # Changes (coalesced)
    transactionChanged = Signal(object)  # models.Transaction (immediate)
    cashInChanged = Signal(object)  # models.CashIn (immediate)
    submissionFailed = Signal(str, object)  # idempotency key, exception
    notice = Signal(object)  # Notice
    followingChanged = Signal(int, int)  # resumed transactions, cash-ins still in flight
    #: a customer's virtual accounts, deposit addresses or saved addresses changed (D22/D23)
    accountsChanged = Signal(str)  # customer id

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.customers: dict[str, Any] = {}
        self.wallets: dict[str, Any] = {}
        self.balances: dict[str, Any] = {}
        self.transactions: dict[str, Any] = {}
        self.cash_ins: dict[str, Any] = {}
        #: the name cache: customer id → (name, email), filled by every page that lists
        #: customers and by every customer published; wallet id → (owner id, address)
        self.names: dict[str, tuple[str, str]] = {}
        self.wallet_owners: dict[str, tuple[str, str]] = {}
        #: external account / virtual account id → its label (a saved address's label)
        self.account_labels: dict[str, str] = {}
        #: transaction id → the statuses the desk saw, with the desk's time (timeline)
        self.seen: dict[str, list[Seen]] = {}
        self._asked: set[str] = set()  # customer ids already looked up for their name
        self._unknown: set[str] = set()  # ... and those the server did not name
        self._watches: dict[tuple[str, str], Any] = {}
        self._deposit_feeds: dict[str, Any] = {}  # customer id → feed handle (D22)
        self._deposit_refs: dict[str, int] = {}  # customer id → views watching
        # Work found in flight when the session started: its result gets a notice. Only what
        # the outbox re-sent was interrupted by an earlier run of this desk; the rest was
        # simply in flight on the server (a first start has no earlier run at all).
        self._resumed: set[tuple[str, str]] = set()
        self._interrupted: set[tuple[str, str]] = set()
        self.submissions: dict[str, asyncio.Task] = {}  # key → task
        #: cash-in id → (server Date, monotonic receipt) of the response that set its code (D18)
        self.code_stamps: dict[str, tuple[Any, float]] = {}
        self._batch = Changes()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self.flush)
        self.batches = 0  # diagnostics (tests, benchmarks)

    # ---- publishing -------------------------------------------------------------
    def _queue(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Emit the pending batch now (the timer does this on its own)."""
        self._timer.stop()
        batch, self._batch = self._batch, Changes()
        if batch:
            self.batches += 1
            self.changed.emit(batch)

    def _put(self, kind: str, key: str, obj: Any) -> bool:
        """Keep the newest ``obj`` under ``key`` in store ``kind``, queue it for views."""
        if obj is None or not key:
            return False
        getattr(self, kind)[key] = obj
        getattr(self._batch, kind)[key] = obj
        self._queue()
        return True

    def publish_customer(self, customer: Any) -> None:
        cid = getattr(customer, "id", "")
        if cid:
            self.learn_name(
                cid, getattr(customer, "display_name", ""), getattr(customer, "email", "") or ""
            )
        self._put("customers", cid, customer)

    def publish_wallet(self, wallet: Any) -> None:
        wid = getattr(wallet, "id", "")
        if wid and getattr(wallet, "customer_id", None):
            self.wallet_owners[wid] = (wallet.customer_id, getattr(wallet, "address", "") or "")
        self._put("wallets", wid, wallet)

    # ---- the name cache (names, not ids) -------------------------------------------
    def learn_name(self, customer_id: str, name: str, email: str = "") -> None:
        """A name seen on a page (a slim customers row too); no signal, no redraw."""
        if customer_id and (name or email):
            self.names[customer_id] = (name or "", email or "")

    def name_of(self, customer_id: str | None) -> tuple[str, str] | None:
        return self.names.get(customer_id or "")

    def label(self, customer_id: str | None, *, email: bool = True) -> str:
        """``"Ada Lovelace <ada@example.com>"``, or the id when the name is not known yet."""
        found = self.names.get(customer_id or "")
        if not found:
            return customer_id or ""
        name, mail = found
        return f"{name} <{mail}>" if email and mail else (name or mail or customer_id or "")

    def wallet_label(self, wallet_id: str | None) -> str:
        """``"Ada Lovelace · 0x5aAe…BeAed"`` for an OMS wallet the desk has seen."""
        owner = self.wallet_owners.get(wallet_id or "")
        if owner is None:
            return wallet_id or ""
        cid, addr = owner
        short = f"{addr[:6]}…{addr[-4:]}" if len(addr) > 12 else addr
        return " · ".join(x for x in (self.label(cid, email=False), short) if x)

    def learn_account(self, account_id: str, label: str) -> None:
        """A saved address's (or bank account's) label, seen in a customer's pane."""
        if account_id and label:
            self.account_labels[account_id] = label

    def saved_address_added(self, customer_id: str, account_id: str, label: str) -> None:
        """A saved address the desk just created (the send wizard's "Save address"): its
        label is known at once — a send to it reads the label in every view, with no
        customer pane having loaded it — and the customer's panes reload their lists."""
        self.learn_account(account_id, label)
        self.accountsChanged.emit(customer_id)

    def store_of(self, cash_in_id: str | None) -> str:
        """The store of a cash-in the desk has seen (``""`` when not known)."""
        ci = self.cash_ins.get(cash_in_id or "")
        if ci is None:
            return ""
        di = getattr(ci, "deposit_instructions", None)
        loc = getattr(ci, "location", None) or {}
        return loc.get("name") or getattr(di, "location_name", None) or ""

    def counterparty(self, txn: Any, viewer: str | None = None, *, short: bool = True) -> str:
        """Who is on the other side of ``txn``, by name (story.counterparty with the caches)."""
        return counterparty(
            txn,
            viewer,
            short=short,
            names=self.name_of,
            wallets=lambda wid: self.wallet_owners.get(wid, ("", ""))[1],
            accounts=self.account_labels.get,
            stores=self.store_of,
        )

    def resolve_names(self, customer_ids: Any) -> None:
        """Look up, once each, the customers a view shows by id only; each answer is
        published (the name cache learns it, views redraw through ``changed``)."""
        scope = self.session.scope
        client = self.session.client
        if scope is None or scope.closed or client is None:
            return
        wanted = [
            c
            for c in dict.fromkeys(customer_ids)
            if c and c not in self.names and c not in self._asked
        ]
        for cid in wanted[:50]:  # a page's worth; the next page asks for the rest
            self._asked.add(cid)

            async def ask(cid: str = cid) -> None:
                try:
                    self.publish_customer(await client.get_customer(cid))
                except errors.OmsError:
                    pass  # an unknown or foreign id stays an id

            scope.spawn(ask(), name=f"name {cid}", on_error=lambda _e: None)

    async def learn_names(self, customer_ids: Any) -> None:
        """Ask for the customers not yet known, concurrently, and wait for the answers: a
        batch that writes names out (the CSV) must not write an id it could have named.
        Unknown or foreign ids stay ids, and are not asked again."""
        client = self.session.client
        # not skipping ids resolve_names() has in flight: this caller must have the answer
        wanted = [
            c
            for c in dict.fromkeys(customer_ids)
            if c and c not in self.names and c not in self._unknown
        ]
        if client is None or not wanted:
            return

        async def ask(cid: str) -> None:
            self._asked.add(cid)
            try:
                self.publish_customer(await client.get_customer(cid))
            except errors.OmsError:
                self._unknown.add(cid)

        await asyncio.gather(*(ask(c) for c in wanted))

    def _saw(self, txn: Any) -> None:
        from datetime import UTC, datetime

        history = self.seen.setdefault(txn.id, [])
        state = (str(txn.status), txn.sub_status)
        if history and (history[-1].status, history[-1].sub_status) == state:
            return
        # On the server's clock (its Date header's offset), like the transaction's own
        # times: a sandbox whose clock was advanced would otherwise show the desk seeing
        # the end before it happened.
        offset = getattr(getattr(self.session, "client", None), "server_time_offset", None)
        now = datetime.now(UTC)
        history.append(Seen(now + offset if offset is not None else now, *state))

    def publish_balance(self, balance: Any) -> None:
        self._put("balances", getattr(balance, "wallet_id", ""), balance)

    def publish_transaction(self, txn: Any, *, immediate: bool = True) -> None:
        """``immediate=False`` for a page a view just loaded: other views learn it through
        the coalesced batch, and the loading view is not told what it already shows.
        A stale copy (a page read before the tracker saw the end) never undoes an end."""
        known = self.transactions.get(getattr(txn, "id", ""))
        if known is not None and known.is_terminal and not getattr(txn, "is_terminal", False):
            return
        if getattr(txn, "id", ""):
            self._saw(txn)
            missing = [c for c in (txn.sender, txn.recipient) if c and c not in self.names]
            if missing:
                self.resolve_names(missing)
        if self._put("transactions", getattr(txn, "id", ""), txn) and immediate:
            self.transactionChanged.emit(txn)
        if (
            known is not None
            and not known.is_terminal
            and getattr(txn, "is_terminal", False)
            and getattr(txn, "is_deposit", False)
        ):
            self._deposit_landed(txn)

    # ---- deposits: money the desk did not start (D22) ------------------------------
    def watch_deposits(self, customer_id: str) -> None:
        """Follow a customer's new transactions (deposits to their virtual accounts and
        deposit addresses) through the session's feed, once per customer: they are
        published here like any other fact, and an ended deposit raises a notice. Those
        still processing at the first look are followed too (a deposit in flight when
        the desk opened still gets its notice)."""
        feed = getattr(self.session, "feed", None)
        if feed is None or not customer_id:
            return
        self._deposit_refs[customer_id] = self._deposit_refs.get(customer_id, 0) + 1
        if customer_id in self._deposit_feeds:
            return

        def lost(_exc: BaseException) -> None:
            self._deposit_feeds.pop(customer_id, None)

        try:
            self._deposit_feeds[customer_id] = feed.subscribe(
                customer_id, self._deposit_seen, on_error=lost, include_existing=True
            )
        except RuntimeError:  # a closed feed (shutdown) or no running loop
            log.debug("cannot watch deposits of %s", customer_id)

    def unwatch_deposits(self, customer_id: str) -> None:
        """A view stops watching; the customer's feed stops with the last one (browsing
        many customers never leaves a poller per customer). Deposits already found keep
        being followed by the tracker until they end, so their notices still come."""
        left = self._deposit_refs.get(customer_id, 0) - 1
        if left > 0:
            self._deposit_refs[customer_id] = left
            return
        self._deposit_refs.pop(customer_id, None)
        handle = self._deposit_feeds.pop(customer_id, None)
        if handle is not None:
            handle.cancel()

    def _deposit_seen(self, txn: Any) -> None:
        known = self.transactions.get(getattr(txn, "id", ""))
        self.publish_transaction(txn)
        if not getattr(txn, "is_deposit", False):
            return
        if not txn.is_terminal:
            self.track_transaction(txn.id)  # followed beyond the feed's subscription
        elif known is None:
            # First seen already ended (a wire settles between two looks): the same notice
            # as a deposit seen in flight, once.
            self._deposit_landed(txn)

    def deposit_started(self, txn: Any, customer_id: str | None = None) -> None:
        """A deposit the desk simulated: published and followed at once (the feed need not
        find it first; it is told so it never reports it as new)."""
        feed = getattr(self.session, "feed", None)
        who = customer_id or getattr(txn, "recipient", None)
        if feed is not None and who:
            feed.note_known(who, txn.id)
        self.publish_transaction(txn)
        if not txn.is_terminal:
            self.track_transaction(txn.id)

    def _deposit_landed(self, txn: Any) -> None:
        said = deposit_notice(txn)
        if said is None:
            return
        text, kind = said
        who = self.customer_name(getattr(txn, "recipient", None) or getattr(txn, "sender", None))
        self.notice.emit(Notice(f"deposit:{txn.id}", f"{text} ({who})", kind, txn.id))

    def publish_cash_in(self, ci: Any) -> None:
        if not self._put("cash_ins", getattr(ci, "id", ""), ci):
            return
        self.cashInChanged.emit(ci)
        if getattr(ci, "transaction_id", None):
            self.track_transaction(ci.transaction_id)

    def publish(self, obj: Any) -> None:
        """Publish any model the client returned (go-to, refresh)."""
        if isinstance(obj, models.Transaction):
            self.publish_transaction(obj)
        elif isinstance(obj, models.CashIn):
            self.publish_cash_in(obj)
        elif isinstance(obj, models.Customer):
            self.publish_customer(obj)
        elif isinstance(obj, models.Wallet):
            self.publish_wallet(obj)
        elif isinstance(obj, models.Balance):
            self.publish_balance(obj)

    def customer_name(self, customer_id: str | None) -> str:
        c = self.customers.get(customer_id or "")
        if c is not None:
            return getattr(c, "display_name", "") or customer_id or "unknown customer"
        found = self.names.get(customer_id or "")
        return (found[0] or found[1]) if found else (customer_id or "unknown customer")

    # ---- tracking (the tracker is the only poller) ----------------------------------
    def _watch(self, kind: str, ident: str, publish: Callable[[Any], None]) -> None:
        tracker = self.session.tracker
        if (kind, ident) in self._watches or tracker is None or not ident:
            return

        def on_update(model: Any, *_: Any) -> None:
            if model is None or isinstance(model, BaseException):
                return
            publish(model)
            if getattr(model, "is_terminal", False):
                self._watches.pop((kind, ident), None)
                self._landed(kind, model)

        try:
            self._watches[(kind, ident)] = tracker.watch(kind, ident, on_update)
        except Exception:  # a closed tracker during shutdown
            log.exception("could not watch %s %s", kind, ident)

    def track_transaction(self, txn_id: str) -> None:
        self._watch("transaction", txn_id, self.publish_transaction)

    def track_many(self, txn_ids: list[str], spread_ms: int = 8) -> None:
        """Track many transactions, starting their pollers a few ms apart so hundreds of
        rows do not poll in lock-step (one burst of responses per cycle stalls the loop)."""
        fresh = [i for i in dict.fromkeys(txn_ids) if ("transaction", i) not in self._watches]
        for n, txn_id in enumerate(fresh):
            if n == 0:
                self.track_transaction(txn_id)
            else:
                QTimer.singleShot(n * spread_ms, self, lambda i=txn_id: self.track_transaction(i))

    def track_cash_in(self, ci_id: str) -> None:
        self._watch("cashIn", ci_id, self.publish_cash_in)

    def is_tracking(self, kind: str, ident: str) -> bool:
        return (kind, ident) in self._watches

    def following(self) -> tuple[int, int]:
        """Resumed work still in flight: (transactions, cash-ins)."""
        txns = sum(1 for k, _i in self._resumed if k == "transaction")
        return txns, len(self._resumed) - txns

    def follow_resumed(self, kind: str, ident: str, *, interrupted: bool = False) -> None:
        """Follow work found in flight at start; its result gets a notice when it lands.

        ``interrupted``: a submission of an earlier run that the outbox re-sent (only then
        does the notice say "resumed after a restart")."""
        if interrupted:
            self._interrupted.add((kind, ident))
        known = self.transactions.get(ident) if kind == "transaction" else self.cash_ins.get(ident)
        if known is not None and getattr(known, "is_terminal", False):
            return
        self._resumed.add((kind, ident))
        if kind == "transaction":
            self.track_transaction(ident)
        else:
            self.track_cash_in(ident)
        self.followingChanged.emit(*self.following())

    def _landed(self, kind: str, model: Any) -> None:
        resumed = (kind, model.id) in self._resumed
        self._resumed.discard((kind, model.id))
        when = (
            "resumed after a restart"
            if (kind, model.id) in self._interrupted
            else "found in flight at start"
        )
        self._interrupted.discard((kind, model.id))
        if kind == "transaction" and getattr(model, "is_deposit", False):
            pass  # a deposit's end is said by _deposit_landed (once, in its own words)
        elif kind == "transaction":
            status = str(model.status)
            who = self.customer_name(model.sender)
            what = f"{_amount(model.source)} for {who}"
            if status == "failed":
                reason = _reason(model.error) if model.error is not None else "no reason given"
                self.notice.emit(
                    Notice(
                        f"failed:{model.id}",
                        f"Transaction of {what} failed: {reason}.",
                        "error",
                        model.id,
                    )
                )
            elif resumed:
                self.notice.emit(
                    Notice(
                        f"done:{model.id}",
                        f"Transaction of {what} {when} is {status}.",
                        "success",
                        model.id,
                    )
                )
        elif resumed:
            self.notice.emit(
                Notice(
                    f"done:{model.id}",
                    f"Cash-in {model.id} {when} is {model.status}.",
                    "info",
                    model.id,
                )
            )
        if resumed:
            self.followingChanged.emit(*self.following())

    def stop_all(self) -> None:
        self._timer.stop()
        for handle in list(self._deposit_feeds.values()):
            handle.cancel()
        self._deposit_feeds.clear()
        self._deposit_refs.clear()
        for handle in list(self._watches.values()):
            try:
                handle.cancel()
            except Exception:
                pass
        self._watches.clear()
        self._interrupted.clear()
        if self._resumed:
            self._resumed.clear()
            self.followingChanged.emit(0, 0)

    # ---- money-moving calls (session scope) -------------------------------------
    def stamp(self, ci_id: str) -> None:
        """Remember the server time of the response just received for this cash-in."""
        client = self.session.client
        self.code_stamps[ci_id] = (getattr(client, "last_server_date", None), self.session.clock())

    def submit_transaction(self, quote_id: str, key: str) -> asyncio.Task:
        """POST /transactions through the outbox in the session's scope.

        The same key is never submitted twice concurrently: a second call returns the
        running task. The result is published and tracked whether or not anyone still
        waits for it (the wizard may have been closed); a refusal becomes a notice.
        """
        running = self.submissions.get(key)
        if running is not None and not running.done():
            return running
        s = self.session

        async def run() -> Any:
            txn = await s.outbox.submit_transaction(s.client, quote_id, key=key)
            self.publish_transaction(txn)
            self.track_transaction(txn.id)
            return txn

        def on_error(exc: BaseException) -> None:
            self.submissionFailed.emit(key, exc)
            self._submission_notice(key, exc, quote_id=quote_id)

        task = s.scope.spawn(run(), name=f"submit {quote_id}", on_error=on_error)
        self.submissions[key] = task
        return task

    def submit_cash_in(self, body: dict, key: str | None = None) -> asyncio.Task:
        s = self.session

        async def run() -> Any:
            ci = await s.outbox.submit_cash_in(s.client, body, key=key)
            self.stamp(ci.id)
            self.publish_cash_in(ci)
            self.track_cash_in(ci.id)
            return ci

        def on_error(exc: BaseException) -> None:
            self.submissionFailed.emit(key or "", exc)
            who = self.customer_name(body.get("customerId"))
            self._emit_refusal(key or "", f"Cash-in for {who}", exc, body.get("customerId"))

        task = s.scope.spawn(run(), name="cash-in", on_error=on_error)
        if key:
            self.submissions[key] = task
        return task

    def _submission_notice(self, key: str, exc: BaseException, *, quote_id: str) -> None:
        """Name the customer and amount: from the quote (known, or fetched once)."""
        s = self.session

        async def describe() -> None:
            quote = None
            try:
                quote = await s.client.get_quote(quote_id)
            except (TimeoutError, errors.OmsError):
                pass
            if quote is not None:
                what = (
                    f"Send of {_amount(quote.source)} for {self.customer_name(quote.customer_id)}"
                )
                target = quote.customer_id
            else:
                what, target = f"Submission of quote {quote_id}", quote_id
            self._emit_refusal(key, what, exc, target)

        if s.scope.closed:
            self._emit_refusal(key, f"Submission of quote {quote_id}", exc, quote_id)
        else:
            s.scope.spawn(
                describe(),
                name="describe refusal",
                on_error=lambda _e: self._emit_refusal(
                    key, f"Submission of quote {quote_id}", exc, quote_id
                ),
            )

    def _emit_refusal(self, key: str, what: str, exc: BaseException, target: str | None) -> None:
        self.notice.emit(
            Notice(f"refused:{key}", f"{what} was not accepted: {_reason(exc)}", "error", target)
        )
        outbox = self.session.outbox
        entry = outbox.get(key) if outbox is not None and key else None
        if entry is not None and str(entry.state) == "failed":
            outbox.acknowledge(key)  # shown now: it must not come back on the next start
