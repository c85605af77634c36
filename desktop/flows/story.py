"""A transaction's story in plain words (issue 14, item 1) — no Qt, no I/O.

:func:`tell` turns one ``models.Transaction`` (plus what the desk knows: customer names,
the status changes the tracker saw, whether the network is real) into a :class:`Story`
the detail pane renders line by line. Nothing in a story is a raw Python or JSON value:
every figure goes through :mod:`desktop.display`, every status through its words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from desktop.display import (
    EMPTY,
    KIND_NAMES,
    bank_words,
    kind_key,
    kind_name,
    mask_account,
    money,
    rate,
    status_words,
    when,
)
from desktop.flows.explain import explain_error

__all__ = [
    "EXPLORERS",
    "Party",
    "Related",
    "Seen",
    "Step",
    "Story",
    "bank_words",
    "counterparty",
    "explorer_url",
    "mask_account",
    "short_address",
    "tell",
    "tell_related",
]

#: Block explorers of real networks. A sandbox hash never gets a link (it exists nowhere).
EXPLORERS = {
    "polygon": "https://polygonscan.com/tx/{}",
    "ethereum": "https://etherscan.io/tx/{}",
    "base": "https://basescan.org/tx/{}",
}

FROM_TRANSACTION = "transaction"
SEEN_BY_DESK = "seen"


@dataclass(frozen=True)
class Seen:
    """A status the desk's tracker (or a page) saw, when it saw it, on the server's clock
    where the server's Date header told it (else the desk's own)."""

    at: datetime
    status: str
    sub_status: str | None = None


@dataclass(frozen=True)
class Step:
    at: datetime | None
    text: str
    source: str  # FROM_TRANSACTION or SEEN_BY_DESK

    @property
    def source_words(self) -> str:
        return "from the transaction" if self.source == FROM_TRANSACTION else "seen by the desk"


@dataclass(frozen=True)
class Party:
    role: str  # "From" / "To"
    customer_id: str | None = None
    name: str = ""
    email: str = ""
    where: str = ""  # wallet, address, bank account or cash store, in words


@dataclass
class Story:
    kind: str
    title: str
    status: str
    status_kind: str  # success / error / info (theme colours)
    parties: list[Party] = field(default_factory=list)
    amounts: list[tuple[str, str]] = field(default_factory=list)
    fees: list[tuple[str, str]] = field(default_factory=list)
    rates: list[tuple[str, str]] = field(default_factory=list)
    timeline: list[Step] = field(default_factory=list)
    outcome: list[tuple[str, str]] = field(default_factory=list)
    tx_hash: str = ""
    explorer: str | None = None
    failure: str = ""
    refund: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, id)

    def text(self) -> str:
        """Everything as plain lines (tests, the accessible description, a copy)."""
        lines = [self.title, self.status]
        for p in self.parties:
            who = " ".join(x for x in (p.name, f"<{p.email}>" if p.email else "") if x)
            lines.append(f"{p.role}: {who} {p.where}".strip())
        for label, value in (*self.amounts, *self.fees, *self.rates, *self.outcome):
            lines.append(f"{label}: {value}")
        for s in self.timeline:
            lines.append(f"{when(s.at)} {s.text} ({s.source_words})")
        return "\n".join(lines)


def explorer_url(network: str | None, tx_hash: str | None, *, real: bool) -> str | None:
    """A block-explorer link, only for a real network and a well-formed hash."""
    if not real or not tx_hash or not network:
        return None
    pattern = EXPLORERS.get(network.lower())
    h = tx_hash.lower()
    if pattern is None or not (
        h.startswith("0x") and len(h) == 66 and all(c in "0123456789abcdef" for c in h[2:])
    ):
        return None
    return pattern.format(tx_hash)


def short_address(address: str | None) -> str:
    """``"0xabC1…f456"``: an outside address, short enough for a table cell."""
    text = str(address or "")
    return f"{text[:6]}…{text[-4:]}" if len(text) > 14 else text


Lookup = Callable[[str], str | None]


def counterparty(
    t: Any,
    viewer: str | None = None,
    *,
    names: Callable[[str], tuple[str, str] | None] | None = None,
    wallets: Lookup | None = None,
    accounts: Lookup | None = None,
    stores: Lookup | None = None,
    short: bool = True,
) -> str:
    """Who or what is on the other side of ``t``, by name, never by a bare id when the
    desk knows more (issue 14, item 2): a customer by name and email (and the wallet's
    short address), a bank by name and masked account, a cash store by name, a saved
    address by its label, an outside address short. The lookups (all optional) are the
    desk's caches: customer id → (name, email), wallet id → its address, external account
    or virtual account id → its label, cash-in id → its store. ``short=False`` writes
    addresses whole (the CSV)."""

    def brief(address: str | None) -> str:
        return short_address(address) if short else str(address or "")

    def ask(fn: Lookup | None, key: str | None) -> str:
        return (fn(key) or "") if fn is not None and key else ""

    def who(cid: str | None, wallet_id: str | None = None) -> str:
        found = names(cid) if names is not None and cid else None
        addr = brief(ask(wallets, wallet_id))
        if found and (found[0] or found[1]):
            name, email = found
            person = f"{name} <{email}>" if name and email else (name or email)
            return " · ".join(x for x in (person, addr) if x)
        return addr or wallet_id or cid or ""

    s, d = t.source, t.destination
    w = d.wallet
    key = kind_key(t, viewer)
    if getattr(t, "deposit_address_id", None) or getattr(s, "deposit_address_id", None):
        sender = getattr(s, "blockchain_address", None)  # an inbound USDC transfer (D22)
        return brief(sender) if sender else "an outside address"
    if key == "bank_deposit":
        raw = getattr(s, "raw", None) or {}
        sent_by = raw.get("sender") if isinstance(raw.get("sender"), dict) else {}
        rail = {"ach": "ACH", "wire": "Wire"}.get(str(s.network or "").lower(), "Bank transfer")
        va = getattr(t, "virtual_account_id", None) or getattr(s, "virtual_account_id", None)
        into = ask(accounts, va)
        who = sent_by.get("name") or "the customer's bank"
        text = f"{rail} from {who}"
        return f"{text} to {into}" if into else text
    if key == "fund_cash":
        store = ask(stores, getattr(t, "cash_in_id", None))
        return f"Cash at {store}" if store else "Cash at a store"
    if key == "receive" and t.sender:
        return who(t.sender, s.wallet_id)  # a Receive: the other side is the sender
    if w is not None and w.id:  # an OMS wallet: the other customer, else the wallet
        return who(t.recipient, w.id)
    acc = (w.external_account_id if w is not None else None) or d.external_account_id
    if w is not None and w.blockchain_address:
        label = ask(accounts, acc)  # a saved address: its label
        where = brief(w.blockchain_address)
        return f"{label} ({where})" if label else where
    if acc:
        return bank_words(d.bank_details) or ask(accounts, acc) or acc
    return who(t.recipient)


def _side_where(
    side: Any,
    *,
    wallets: Lookup | None = None,
    accounts: Lookup | None = None,
    store: str = "",
) -> str:
    """Where one leg's money was, in words: a wallet by its short address (the id only
    when the desk does not know the address), a bank by name and masked account, a saved
    address or bank deposit account by its label, a cash store by name."""

    def ask(fn: Lookup | None, key: str | None) -> str:
        return (fn(key) or "") if fn is not None and key else ""

    w = getattr(side, "wallet", None)
    parts = []
    wid = (getattr(w, "id", None) if w is not None else None) or getattr(side, "wallet_id", None)
    addr = (getattr(w, "blockchain_address", None) if w is not None else None) or getattr(
        side, "blockchain_address", None
    )
    bank = getattr(side, "bank_details", None) or {}
    acc = (getattr(w, "external_account_id", None) if w is not None else None) or getattr(
        side, "external_account_id", None
    )
    if wid:  # an OMS wallet
        known = addr or ask(wallets, wid)
        parts.append(f"wallet {short_address(known)}" if known else f"wallet {wid}")
    elif addr:  # an outside address: whole (it may be compared), a saved one by label
        label = ask(accounts, acc) if not bank else ""
        parts.append(f"“{label}” {addr}" if label else f"address {addr}")
    if bank:
        parts.append(bank_words(bank))
    elif acc and not addr:
        parts.append(ask(accounts, acc) or f"bank account {acc}")
    va = getattr(side, "virtual_account_id", None)
    if va:
        parts.append(f"bank deposit account {ask(accounts, va) or va}")
    if getattr(side, "deposit_address_id", None):
        parts.append(f"deposit address {side.deposit_address_id}")
    cash = getattr(side, "cash", None)
    if cash is not None and getattr(cash, "location_id", None):
        parts.append(f"cash at {store}" if store else "cash at a store")
    return " · ".join(parts)


def _fee_lines(side: Any, label: str) -> list[tuple[str, str]]:
    fees = getattr(side, "fees", None)
    asset = getattr(side, "asset", None) or ""
    out = []
    for name, attr in (
        ("OMS fee", "oms"),
        ("Network (gas) fee", "gas"),
        ("Developer fee", "developer"),
        ("Rail fee", "rail"),
        ("Total fees", "total"),
    ):
        v = getattr(fees, attr, None) if fees is not None else None
        if v is not None:
            out.append((f"{name}{label}", money(v, asset)))
    return out


def tell(
    txn: Any,
    *,
    viewer: str | None = None,
    names: Callable[[str], tuple[str, str] | None] | None = None,
    seen: Sequence[Seen] = (),
    real_network: bool = False,
    wallets: Lookup | None = None,
    accounts: Lookup | None = None,
    stores: Lookup | None = None,
) -> Story:
    """The story of ``txn`` as ``viewer`` (a customer id, or ``None``) would tell it."""
    s, d = txn.source, txn.destination
    status = str(txn.status)
    key = kind_key(txn, viewer)
    name = kind_name(txn, viewer)
    gross = money(s.amount_gross or s.amount, s.asset)
    title = f"{name} of {gross}" if gross != EMPTY else name
    status_kind = {"completed": "success", "failed": "error"}.get(status, "info")
    story = Story(key, title, status_words(status, txn.sub_status), status_kind)

    def party(role: str, cid: str | None, side: Any) -> Party:
        nm, em = "", ""
        if cid and names is not None:
            found = names(cid)
            if found:
                nm, em = found
        store = (stores(txn.cash_in_id) or "") if stores is not None and txn.cash_in_id else ""
        where = _side_where(side, wallets=wallets, accounts=accounts, store=store)
        return Party(role, cid, nm or (cid or ""), em, where)

    story.parties = [party("From", txn.sender, s), party("To", txn.recipient, d)]

    def ask_wallet(wid: str | None) -> str:
        return (wallets(wid) or "") if wallets is not None and wid else ""

    story.amounts = [
        ("Sent (gross)", money(s.amount_gross or s.amount, s.asset)),
        ("Sent (net of fees)", money(s.amount_net, s.asset)),
        ("Received (gross)", money(d.amount_gross, d.asset)),
        ("Received (net)", money(d.amount_net, d.asset)),
    ]
    story.fees = _fee_lines(s, "")
    dest_fees = _fee_lines(d, " (receiving side)")
    story.fees += [f for f in dest_fees if f[1] != money(0, d.asset)]
    if getattr(txn, "sponsor_gas_cost", None) is not None:
        story.fees.append(("Gas sponsored", money(txn.sponsor_gas_cost, s.asset)))
    if not story.fees:
        story.fees = [("Fees", "none")]
    r = txn.rates
    if r.exchange_rate is not None:
        story.rates.append(("Exchange rate", rate(r.exchange_rate)))
    if r.effective_rate is not None:
        story.rates.append(("Effective rate", rate(r.effective_rate)))
    if r.pair:
        story.rates.append(("Pair", str(r.pair).upper().replace("_", " → ")))

    # ---- timeline: the transaction's own stamps, then what the desk saw ----
    steps: list[Step] = []
    if txn.created_at is not None:
        steps.append(Step(txn.created_at, "Created — Processing", FROM_TRANSACTION))
    updated = getattr(txn, "updated_at", None)
    if updated is not None and updated not in (txn.created_at, txn.completed_at):
        steps.append(
            Step(updated, f"Last change — {status_words(status, txn.sub_status)}", FROM_TRANSACTION)
        )
    if txn.completed_at is not None:
        steps.append(Step(txn.completed_at, status_words(status, txn.sub_status), FROM_TRANSACTION))
    last = None
    for v in seen:
        state = (v.status, v.sub_status)
        if state == last:
            continue
        last = state
        steps.append(Step(v.at, status_words(v.status, v.sub_status), SEEN_BY_DESK))
    floor = datetime.min.replace(tzinfo=UTC)
    story.timeline = sorted(steps, key=lambda st: st.at or floor)

    # ---- outcome ----
    network = d.network or s.network
    if d.tx_hash or getattr(s, "tx_hash", None):
        story.tx_hash = d.tx_hash or s.tx_hash
        story.explorer = explorer_url(network, story.tx_hash, real=real_network)
    bank = d.bank_details or {}
    if status == "completed":
        story.outcome.append(("Delivered", money(d.amount_net, d.asset)))
        if bank:
            story.outcome.append(
                (
                    "Paid to bank",
                    " · ".join(
                        x
                        for x in (
                            bank.get("bankName") or "",
                            bank.get("accountHolderName") or "",
                            f"routing {bank['routingNumber']}" if bank.get("routingNumber") else "",
                            f"account {mask_account(bank.get('accountNumber'))}"
                            if bank.get("accountNumber")
                            else "",
                            (d.network or "").upper(),
                        )
                        if x
                    ),
                )
            )
    elif status == "failed":
        story.failure = explain_error(txn.error) if txn.error is not None else "No reason given."
        story.outcome.append(("Why it failed", story.failure))
        if key in ("send", "receive", "withdraw"):
            refund = money(s.amount_gross or s.amount, s.asset)
            back = short_address(ask_wallet(s.wallet_id)) or s.wallet_id
            to = f" to wallet {back}" if s.wallet_id else ""
            story.refund = f"{refund} refunded{to}"
            story.outcome.append(("Refund", story.refund))
        else:
            story.outcome.append(("Credited", "nothing — no USDC reached the wallet"))
    else:
        story.outcome.append(("Outcome", "still in progress"))
    if txn.quote_id:
        story.links.append(("Quote", txn.quote_id))
    if txn.cash_in_id:
        story.links.append(("Cash-in", txn.cash_in_id))
    return story


@dataclass
class Related:
    """A quote or cash-in, told in the detail pane of the transaction it led to (a link to
    it navigates there; no dialog). ``transaction_id`` is that transaction, if any yet."""

    kind: str  # "quote" | "cashIn"
    id: str
    title: str
    status: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    transaction_id: str | None = None
    customer_id: str | None = None

    @property
    def label(self) -> str:
        return "Quote" if self.kind == "quote" else "Cash-in"

    def text(self) -> str:
        return "\n".join([self.title, self.status, *(f"{k}: {v}" for k, v in self.rows)])


def tell_related(
    obj: Any,
    *,
    transaction_id: str | None = None,
    names: Callable[[str], tuple[str, str] | None] | None = None,
) -> Related:
    """A quote (``models.Quote``) or cash-in (``models.CashIn``) in plain words."""
    is_cash_in = hasattr(obj, "deposit_instructions")
    s, d = obj.source, obj.destination
    cid = getattr(obj, "customer_id", None)
    rows: list[tuple[str, str]] = []
    if cid:
        found = names(cid) if names is not None else None
        who = (
            " ".join(x for x in (found[0], f"<{found[1]}>" if found[1] else "") if x)
            if found
            else ""
        )
        rows.append(("Customer", who or cid))
    if is_cash_in:
        status = status_words(str(obj.status), obj.sub_status)
        gross = s.amount_gross or getattr(s, "indicated_amount", None)
        title = f"{KIND_NAMES['fund_cash']} of {money(gross, s.asset or 'usd')}"
        di = obj.deposit_instructions
        store = obj.location.get("name") or di.location_name or (obj.cash.location_id or "")
        address = obj.location.get("address") or di.location_address or ""
        if store:
            rows.append(("Store", " · ".join(x for x in (store, address) if x)))
        if di.code and str(obj.status) == "pending":
            rows.append(("Deposit code", di.code))
            rows.append(("Code expires", when(di.expires_at)))
        handed_in = s.amount is not None  # before the deposit the figures are estimates
        rows.append(
            ("Cash handed in" if handed_in else "Expected cash", money(s.amount_gross, "usd"))
        )
        rows.extend(_fee_lines(s, ""))
        credited = "Credited" if str(obj.status) == "completed" else "To be credited"
        rows.append((credited, money(d.amount_net, d.asset or "usdc")))
        if d.wallet_id or (d.wallet is not None and d.wallet.id):
            rows.append(("To", _side_where(d)))
        rows.append(("Reserved", when(obj.created_at)))
        if obj.completed_at is not None:
            rows.append(("Completed", when(obj.completed_at)))
        if obj.error is not None:
            rows.append(("Why it failed", explain_error(obj.error)))
        transaction_id = transaction_id or obj.transaction_id
    else:
        status = status_words(str(obj.status))
        title = f"Quote for {kind_name(obj)} of {money(s.amount_gross or s.amount, s.asset)}"
        for label, side in (("From", s), ("To", d)):
            where = _side_where(side)
            if where:
                rows.append((label, where))
        rows.append(("Pays", money(s.amount_gross or s.amount, s.asset)))
        rows.append(("Receives", money(d.amount_net or d.amount, d.asset)))
        rows.extend(_fee_lines(s, " (source)"))
        rows.extend(_fee_lines(d, " (destination)"))
        if obj.rates.exchange_rate is not None:
            rows.append(("Rate", rate(obj.rates.exchange_rate)))
        rows.append(("Quoted", when(obj.created_at)))
        rows.append(("Valid until", when(obj.expires_at)))
    return Related(
        kind="cashIn" if is_cash_in else "quote",
        id=obj.id,
        title=title,
        status=status,
        rows=rows,
        transaction_id=transaction_id,
        customer_id=cid,
    )
