"""The main window and money that arrives by itself (D22): a deposit nobody at the desk
started appears in the customer pane and on the Transactions tab; the wallet card's
Receive opens the deposit-address page; the pane lists the bank funding accounts."""

from __future__ import annotations

import uuid

from desktop.ui.wizards.receive import ReceiveDialog
from tests.support.identity import identity
from tests.support.qt import run


def test_a_deposit_nobody_at_the_desk_started_appears_in_the_pane_and_the_tab(qtbot, window):
    api = window.api
    tag = uuid.uuid4().hex[:8]
    c = run(qtbot, api.create_customer(identity(lastName=f"Inbound{tag}")))
    w = run(qtbot, api.create_wallet(c.id))
    va = run(qtbot, api.create_virtual_account(c.id, w.id))
    window.select_customer(c)
    qtbot.waitUntil(lambda: window.detail.customer is not None and not window.detail.loading)
    accounts = window.detail.accounts
    qtbot.waitUntil(lambda: va.id in accounts.pause_buttons, timeout=10000)
    assert accounts.pause_buttons[va.id].text() == "Pause"
    assert accounts.saved_state == "found" and accounts.saved == []

    # The customer's bank sends money: the desk only learns it through the feed.
    txn = run(qtbot, api.sandbox_simulate_bank_deposit(va.id, "40.00", "wire_in"))
    window.session.feed.poke(c.id)
    qtbot.waitUntil(lambda: txn.id in window.detail.tx_model.ids(), timeout=10000)
    tab = window.transactions_view.model
    qtbot.waitUntil(lambda: tab.row_of(txn.id) >= 0, timeout=10000)

    card = window.detail.cards[w.id]
    card.receive_button.click()
    dlg = window.last_wizard
    assert isinstance(dlg, ReceiveDialog) and dlg.wallet_id == w.id
    qtbot.waitUntil(lambda: dlg.state == "none", timeout=10000)
    dlg.reject()
