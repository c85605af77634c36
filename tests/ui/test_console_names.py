"""Issue 14, item 2 (names, not ids): the Transactions tab's counterparty, the CSV and the
transaction story name every kind of counterparty — a bank by name and masked account, a
cash store, a bank deposit's sender, an outside address short, a saved address by its
label — never a bare ``cpUsBank_``/``va_``/``loc_`` id."""

from __future__ import annotations

import csv

from PySide6.QtWidgets import QLabel

from desktop.flows.explain import describe_destination
from desktop.oms import models
from desktop.ui.transactions import COLUMNS, TransactionsView, csv_row
from desktop.ui.wallets import WalletCard
from tests.support.qt import run
from tests.support.walk import find_demo_customer

COUNTERPARTY = COLUMNS.index("Counterparty")
RAW_IDS = ("cpUsBank_", "cpBcAddr_", "va_", "loc_", "ci_", "wlt_", "cst_")


def _jane_rows(qtbot, window):
    """Jane's own transactions, in a Transactions view filtered to her: on the shared demo
    sandbox other tests' transactions push hers off the main tab's first page."""
    jane = find_demo_customer(qtbot, window)
    view = TransactionsView(window.session, customer_id=jane.id)
    qtbot.addWidget(view)  # closed after the test, which cancels its scope
    view.resize(1200, 700)
    view.show()
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.model.loading, timeout=10000)

    def cells() -> list[str]:
        return [
            view.model.index(r, COUNTERPARTY).data() or "" for r in range(view.model.rowCount())
        ]

    # A counterparty the desk has not met yet (another test's customer) is asked for when the
    # page loads and its cell redrawn with the name (hub.resolve_names): every cell is named
    # once those answers are in, none stays a bare id.
    qtbot.waitUntil(lambda: not any(p in c for c in cells() for p in RAW_IDS), timeout=10000)
    rows = {}
    for r in range(view.model.rowCount()):
        t = view.model.transaction(r)
        cell = view.model.index(r, COUNTERPARTY).data()
        rows.setdefault((str(t.type), t.source.network, str(t.status)), (t, cell))
    return view, rows


def test_counterparty_names_every_kind(qtbot, window):
    _view, rows = _jane_rows(qtbot, window)
    hub = window.session.hub
    withdraw, cell = rows[("cryptoToFiat", "polygon", "completed")]
    bank = withdraw.destination.bank_details
    assert cell == f"{bank['bankName']} ••••{bank['accountNumber'][-4:]}"  # "Chase ••••4415"
    assert csv_row(withdraw, hub)[-6] == cell  # the CSV says the same
    deposit, cell = rows[("fiatToCrypto", "ach", "completed")]
    assert cell.startswith("ACH from ") and deposit.source.virtual_account_id not in cell
    _cash, cell = rows[("fiatToCrypto", "cash", "completed")]
    assert cell.startswith("Cash at ")
    failed, cell = rows[("cryptoToCrypto", "polygon", "failed")]
    addr = failed.destination.wallet.blockchain_address
    assert cell == f"{addr[:6]}…{addr[-4:]}"  # an outside address, short
    for _t, cell in rows.values():
        assert not any(p in cell for p in RAW_IDS), cell


def test_saved_address_and_store_by_name(qtbot, window):
    _view, rows = _jane_rows(qtbot, window)
    hub = window.session.hub
    failed, _cell = rows[("cryptoToCrypto", "polygon", "failed")]
    raw = dict(failed.raw)
    raw["destination"] = {
        **raw["destination"],
        "wallet": {
            "id": None,
            "blockchainAddress": failed.destination.wallet.blockchain_address,
            "externalAccountId": "cpBcAddr_01saved",
        },
        "externalAccountId": "cpBcAddr_01saved",
    }
    saved = models.parse_transaction(raw)
    hub.learn_account("cpBcAddr_01saved", "Mum's cold wallet")
    assert hub.counterparty(saved).startswith("Mum's cold wallet (0x0000…")
    cash, _cell = rows[("fiatToCrypto", "cash", "completed")]
    ci = run(qtbot, window.api.get_cash_in(cash.cash_in_id))
    hub.publish_cash_in(ci)
    store = ci.location.get("name") or ci.deposit_instructions.location_name
    assert store and hub.counterparty(cash) == f"Cash at {store}"


def test_csv_names_the_bank(qtbot, window, tmp_path):
    view, rows = _jane_rows(qtbot, window)
    path = tmp_path / "t.csv"
    done = []
    view.export_csv(str(path), on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=15000)
    with path.open(newline="", encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    withdraw, _cell = rows[("cryptoToFiat", "polygon", "completed")]
    row = next(r for r in lines if r["id"] == withdraw.id)
    assert row["counterparty"].endswith(
        f"••••{withdraw.destination.bank_details['accountNumber'][-4:]}"
    )
    assert not any(p in r["counterparty"] for r in lines for p in RAW_IDS)


def test_failed_send_says_why_once(qtbot, window):
    view, rows = _jane_rows(qtbot, window)
    failed, _cell = rows[("cryptoToCrypto", "polygon", "failed")]
    assert view.select(failed.id)
    pane = view.detail
    qtbot.waitUntil(lambda: pane.txn is not None and pane.txn.id == failed.id)
    why = dict(pane.story.outcome)["Why it failed"]
    text = pane.outcome.text()
    assert why in text and "refunded" in text
    # one sentence, once: the server's message restating it is not repeated in brackets
    assert why.lower().count("rejected the transfer") == 1, why
    assert text.lower().count("rejected the transfer") == 1


def test_story_names_wallets_and_banks(qtbot, window):
    view, rows = _jane_rows(qtbot, window)
    failed, _cell = rows[("cryptoToCrypto", "polygon", "failed")]
    window.select_customer(run(qtbot, window.api.get_customer(failed.sender)))
    d = window.detail
    qtbot.waitUntil(lambda: not d.loading and bool(d.cards), timeout=10000)  # wallets known
    for key in (
        ("cryptoToCrypto", "polygon", "failed"),
        ("cryptoToFiat", "polygon", "completed"),
        ("fiatToCrypto", "cash", "completed"),
    ):
        t, _cell = rows[key]
        assert view.select(t.id)
        qtbot.waitUntil(lambda t=t: view.detail.txn is not None and view.detail.txn.id == t.id)
        text = view.detail.story.text()
        assert not any(p in text for p in ("wlt_", "cpUsBank_", "loc_")), text
        if t is failed:
            assert "refunded to wallet 0x" in dict(view.detail.story.outcome)["Refund"]


def test_funding_accounts_name_their_wallet(qtbot, window):
    """The customer pane's bank funding account says which wallet by its short address."""
    _view, rows = _jane_rows(qtbot, window)
    deposit, _cell = rows[("fiatToCrypto", "ach", "completed")]
    window.tabs.setCurrentWidget(window.customers_page)
    window.select_customer(run(qtbot, window.api.get_customer(deposit.recipient)))
    acc = window.detail.accounts
    qtbot.waitUntil(lambda: acc.va_state == "found" and bool(window.detail.cards), timeout=10000)

    def named() -> bool:  # whichever arrived first, the wallet is named once both are in
        texts = [w.text() for w in acc.findChildren(QLabel) if w.isVisibleTo(acc)]
        texts = [t for t in texts if "into wallet" in t]
        return bool(texts) and all("wlt_" not in t and "into wallet 0x" in t for t in texts)

    qtbot.waitUntil(named, timeout=5000)


def test_wallet_estimate_in_cents(qtbot):
    """usd reads with 2 places: the wallet card's "≈ … USD" estimate is in cents."""
    card = WalletCard(models.parse_wallet({"id": "wlt_1", "asset": "usdc", "chain": "polygon"}))
    qtbot.addWidget(card)
    card.set_balance(
        models.parse_balance(
            {
                "walletId": "wlt_1",
                "asset": "usdc",
                "balance": "596.115",
                "estimatedBalance": "596.115",
                "estimatedBalanceCurrencyCode": "usd",
            }
        )
    )
    assert card.balance.text() == "596.115 USDC"  # the wallet's own figure, exact
    assert card.estimate.text() == "≈ 596.12 USD"


def test_withdraw_quote_names_the_bank():
    """The withdraw wizard's quote and status pages say "To: Bank account Sandbox Bank
    ••••6789", not the cpUsBank_ id."""
    d = models.parse_side(
        {
            "wallet": {"externalAccountId": "cpUsBank_01x"},
            "externalAccountId": "cpUsBank_01x",
            "bankDetails": {"bankName": "Sandbox Bank", "accountNumber": "******6789"},
        }
    )
    assert describe_destination(d) == "Bank account Sandbox Bank ••••6789"
    bare = models.parse_side({"externalAccountId": "cpUsBank_01x"})
    assert describe_destination(bare) == "Bank account cpUsBank_01x"  # nothing better known


def test_a_customers_transactions_window_is_titled_by_name(qtbot, window):
    jane = find_demo_customer(qtbot, window)
    window.session.hub.publish_customer(jane)
    dlg = window.open_customer_transactions(jane.id)
    try:
        assert dlg.windowTitle() == "Transactions of Jane Smith <jane.smith@example.com>"
    finally:
        dlg.close()


def test_csv_names_customers_the_desk_had_not_met(qtbot, window, tmp_path):
    """A customer no page has shown yet is asked for before the CSV row is written: the
    export never writes an id it could have named."""
    import uuid

    from tests.support.client import funded_customer

    api = window.api
    tag = uuid.uuid4().hex[:8]
    alice, a_wallet = run(qtbot, funded_customer(api, "50.00", email=f"alice.{tag}@example.com"))
    bea, b_wallet = run(
        qtbot,
        funded_customer(
            api, "", firstName="Bea", lastName=f"Csv{tag}", email=f"bea.{tag}@example.com"
        ),
    )
    body = {
        "customerId": alice.id,
        "source": {
            "walletId": a_wallet.id,
            "asset": "usdc",
            "network": "polygon",
            "amount": "5.00",
        },
        "destination": {"wallet": {"id": b_wallet.id}, "asset": "usdc", "network": "polygon"},
    }
    sent = run(qtbot, api.create_transaction(run(qtbot, api.create_quote(body)).id))
    hub = window.session.hub
    assert hub.name_of(bea.id) is None  # the desk has not met Bea
    view = TransactionsView(window.session, customer_id=alice.id)
    qtbot.addWidget(view)
    path, done = tmp_path / "alice.csv", []
    view.export_csv(str(path), on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=15000)
    with path.open(newline="", encoding="utf-8") as f:
        (row,) = [r for r in csv.DictReader(f) if r["id"] == sent.id]
    assert row["recipientName"] == f"Bea Csv{tag}"
    assert row["counterparty"].startswith(f"Bea Csv{tag} <bea.{tag}@example.com>")
    assert not any(p in row["counterparty"] for p in RAW_IDS), row["counterparty"]
