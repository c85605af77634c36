"""The main window and money that arrives by itself (D22): a deposit nobody at the desk
started appears in the customer pane and on the Transactions tab; the wallet card's
Receive opens the deposit-address page; the pane lists the bank funding accounts."""

from __future__ import annotations

import pytest

from desktop.ui.wizards.receive import ReceiveDialog
from tests.support.identity import identity
from tests.support.qt import close_window, make_ctx, run


@pytest.fixture
def inbound_window(qtbot, fresh_sandbox, tmp_path):
    """A MainWindow on a sandbox of its own: the deposits made here stay out of the shared
    demo sandbox (other tests read its newest transaction)."""
    from PySide6.QtCore import QSettings

    from desktop.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)
    ctx = make_ctx(fresh_sandbox)
    w.set_session(ctx)
    w.show()
    yield w
    close_window(qtbot, w, ctx)


def test_a_deposit_nobody_at_the_desk_started_appears_in_the_pane_and_the_tab(
    qtbot, inbound_window
):
    window = inbound_window
    api = window.api
    c = run(qtbot, api.create_customer(identity(lastName="Inbound")))
    w = run(qtbot, api.create_wallet(c.id))
    va = run(qtbot, api.create_virtual_account(c.id, w.id))
    window.select_customer(c)
    # The window may have shown the new customer on its own before the account existed
    # (made outside the desk): a refresh of the pane reads it, as the operator's would.
    window.detail.reload()
    qtbot.waitUntil(lambda: window.detail.customer is not None and not window.detail.loading)
    accounts = window.detail.accounts
    qtbot.waitUntil(lambda: va.id in accounts.pause_buttons, timeout=10000)
    assert accounts.pause_buttons[va.id].text().replace("&", "") == "Pause"
    # saved addresses load on their own request: wait for it, not for the virtual accounts
    qtbot.waitUntil(lambda: accounts.saved_state == "found", timeout=10000)
    assert accounts.saved == []

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
