"""Issue 14 in the main window: the customer pane tells a transaction's story with the
same widget as the Transactions tab; double-click opens exactly one thing; shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from desktop.ui.widgets.toast import Toast
from desktop.ui.widgets.txn_story import StoryPane
from tests.support.qt import run


def _customer_with_transactions(qtbot, window):
    txns = run(qtbot, window.api.list_transactions(limit=1, status="completed"))
    t = txns.data[0]
    c = run(qtbot, window.api.get_customer(t.sender))
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
