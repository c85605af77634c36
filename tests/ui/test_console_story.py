"""Issue 14 in the main window: the customer pane tells a transaction's story with the
same widget as the Transactions tab; double-click opens exactly one thing; shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from desktop.ui.widgets.toast import Toast
from desktop.ui.widgets.txn_story import StoryPane
from tests.support.qt import run
from tests.support.walk import find_demo_customer


def _customer_with_transactions(qtbot, window):
    c = find_demo_customer(qtbot, window)
    window.select_customer(c)
    d = window.detail
    qtbot.waitUntil(lambda: not d.loading and d.tx_model.rowCount() > 0, timeout=10000)
    return c, d


def test_customer_pane_story_and_double_click(qtbot, window):
    c, d = _customer_with_transactions(qtbot, window)
    assert isinstance(d.story, StoryPane) and isinstance(window.transactions_view.detail, StoryPane)
    assert not d.story.isVisibleTo(d)
    d.tx_view.selectRow(0)
    t = d.tx_model.transaction(0)
    assert d.story.isVisibleTo(d) and d.story.txn.id == t.id
    assert c.display_name in d.story.parties.text()
    assert d.tx_model.index(0, 1).data() in (
        "Send",
        "Receive",
        "Withdraw to bank",
        "Fund with cash",
        "Bank deposit",
    )
    assert "·" not in d.tx_model.index(0, 2).data()  # words, not "completed · settled"
    dialogs_before = len(
        [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    )
    ix = d.tx_model.index(0, 0)
    d.tx_view.doubleClicked.emit(ix)
    view = window.transactions_view
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: view.detail.txn is not None and view.detail.txn.id == t.id)
    dialogs_after = len(
        [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    )
    assert dialogs_after == dialogs_before  # exactly one thing opened: the tab


def test_copied_toast_near_the_value(qtbot, window):
    _c, d = _customer_with_transactions(qtbot, window)
    d.customer_id.copy()
    toast = window.findChild(Toast, "toast")
    assert toast is not None and toast.isVisible() and toast.text() == "Copied"
    assert QApplication.clipboard().text() == d.customer.id
    qtbot.waitUntil(lambda: not toast.isVisible(), timeout=3000)  # gone by itself


def test_money_shortcuts_in_menus_and_sheet(qtbot, window):
    keys = {
        a.objectName(): a.shortcut().toString()
        for a in (window.fund_action, window.send_action, window.withdraw_action)
    }
    assert keys == {"fund": "Ctrl+Shift+F", "send": "Ctrl+Shift+S", "withdraw": "Ctrl+Shift+B"}
    sheet = window.show_shortcuts()
    table = sheet.findChild(object, "shortcutsTable")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Send"] == "Ctrl+Shift+S" and rows["Withdraw to bank"] == "Ctrl+Shift+B"
    assert rows["Back"] == "Alt+Left" and rows["Forward"] == "Alt+Right"
    sheet.close()
    _c, _d = _customer_with_transactions(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: getattr(window, "last_wizard", None) is not None, timeout=5000)
    assert type(window.last_wizard).__name__ == "SendWizard"
    window.last_wizard.reject()


def _visible_dialogs() -> int:
    return len(
        [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    )


def test_cash_in_and_quote_links_navigate_with_back_and_forward(qtbot, window):
    """Issue 14 item 4: a cash-in or quote link switches to the Transactions tab, selects
    the transaction it led to and tells it above that story; Back/Forward replay it."""
    page = run(qtbot, window.api.list_transactions(type="fiatToCrypto", limit=50))
    t = next(x for x in page.data if x.cash_in_id)  # the demo's Fund with cash
    view = window.transactions_view
    dialogs = _visible_dialogs()
    window.go_to(t.id)
    qtbot.waitUntil(lambda: view.detail.txn is not None and view.detail.txn.id == t.id)
    assert f"href='{t.cash_in_id}'" in view.detail.links.text()
    view.detail.links.linkActivated.emit(t.cash_in_id)  # the agent clicks "Cash-in ci_…"
    qtbot.waitUntil(lambda: view.detail.rel is not None and view.detail.rel.id == t.cash_in_id)
    rel = view.detail.related
    assert window.tabs.currentWidget() is view and rel.isVisible()
    assert "Fund with cash of 100.00 USD" in rel.text() and "Store" in rel.text()
    assert view.detail.txn.id == t.id and not view.detail.title.text().startswith("No ")
    qtbot.waitUntil(lambda: view.table.currentIndex().isValid(), timeout=10000)
    assert view.proxy.mapToSource(view.table.currentIndex()).row() == view.model.row_of(t.id)
    assert rel.accessibleName() == f"Cash-in {t.cash_in_id}"
    # Back: the transaction alone; Forward: the cash-in again.
    window.back_action.trigger()
    assert view.detail.rel is None and not rel.isVisible() and view.detail.txn.id == t.id
    window.forward_action.trigger()
    qtbot.waitUntil(lambda: view.detail.rel is not None and view.detail.rel.id == t.cash_in_id)
    assert view.detail.txn.id == t.id
    # Another row: the cash-in no longer applies.
    other = next(r for r in range(view.proxy.rowCount()) if r != view.table.currentIndex().row())
    view.table.selectRow(other)
    assert view.detail.rel is None and not rel.isVisible()

    # A quote nobody accepted has no transaction: it is told alone, no row selected.
    jane = next(x for x in page.data if x.cash_in_id).recipient
    c = run(qtbot, window.api.get_customer(jane))
    wallet = c.wallets[0]
    q = run(
        qtbot,
        window.api.create_quote(
            {
                "customerId": c.id,
                "source": {
                    "walletId": wallet.id,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "1.00",
                },
                "destination": {
                    "wallet": {"blockchainAddress": "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"},
                    "asset": "usdc",
                    "network": "polygon",
                },
            }
        ),
    )
    window.go_to(q.id)
    qtbot.waitUntil(lambda: view.detail.rel is not None and view.detail.rel.id == q.id)
    assert view.detail.txn is None and view.detail.title.text() == "No transaction yet"
    assert not view.table.currentIndex().isValid()
    assert "Quote for Send of 1.00 USDC" in view.detail.related.text()
    assert "Jane Smith" in view.detail.related.text()
    window.back_action.trigger()  # back to the cash-in and its transaction
    qtbot.waitUntil(lambda: view.detail.rel is not None and view.detail.rel.id == t.cash_in_id)
    assert _visible_dialogs() == dialogs and getattr(window, "last_resource_dialog", None) is None
