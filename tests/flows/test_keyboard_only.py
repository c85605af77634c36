"""Issue 14, item 5: the money flows driven with key events only, from the customer list
to the completed status page (pytest-qt, real main window, real sandbox)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from desktop.ui.main_window import MainWindow

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
ALT, CTRL_SHIFT = (
    Qt.KeyboardModifier.AltModifier,
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
)


@pytest.fixture
def desk(money_env, qtbot, tmp_path):
    w = MainWindow(QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat))
    w.set_session(money_env.ctx)
    w.resize(1280, 800)
    w.show()
    yield w

    async def down():
        await w.drain(2.0)

    w.close()
    money_env.run(down())
    w.deleteLater()


def focused():
    return QApplication.focusWidget()


def key(qtbot, k, mod=Qt.KeyboardModifier.NoModifier):
    target = focused() or QApplication.activeWindow()
    qtbot.keyClick(target, k, mod)


def type_text(qtbot, text):
    qtbot.keyClicks(focused(), text)


def pick_customer_by_keys(desk, qtbot, customer):
    """Start in the customer list: Home selects the newest customer (the test's own)."""
    desk.activateWindow()
    qtbot.waitUntil(desk.isActiveWindow)
    qtbot.waitUntil(lambda: desk.model.row_of(customer.id) == 0, timeout=10000)
    desk.table.setFocus()  # the starting point: focus in the customer list
    key(qtbot, Qt.Key.Key_End)
    key(qtbot, Qt.Key.Key_Home)
    qtbot.waitUntil(
        lambda: desk.detail.customer is not None and desk.detail.customer.id == customer.id,
        timeout=10000,
    )
    qtbot.waitUntil(lambda: bool(desk.detail.cards) and desk.send_action.isEnabled(), timeout=10000)


def open_wizard(desk, qtbot, letter):
    key(qtbot, letter, CTRL_SHIFT)
    qtbot.waitUntil(lambda: getattr(desk, "last_wizard", None) is not None, timeout=5000)
    wiz = desk.last_wizard
    qtbot.waitUntil(lambda: wiz.isActiveWindow() and focused() is not None, timeout=5000)
    return wiz


def wait_first_field(qtbot, wiz, widget):
    qtbot.waitUntil(lambda: focused() is widget, timeout=5000)


def test_send_with_keys_only(money_env, desk, qtbot):
    env = money_env
    customer, _wallet = env.customer_with_wallet("100.00")
    desk.refresh()
    pick_customer_by_keys(desk, qtbot, customer)
    wiz = open_wizard(desk, qtbot, Qt.Key.Key_S)
    assert type(wiz).__name__ == "SendWizard"
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wait_first_field(qtbot, wiz, wiz.source_page.picker.customer_edit)
    key(qtbot, Qt.Key.Key_N, ALT)
    page = wiz.destination_page
    qtbot.waitUntil(lambda: wiz.currentPage() is page, timeout=2000)  # mnemonics animate
    qtbot.waitUntil(lambda: page.address.isAncestorOf(focused()), timeout=5000)
    type_text(qtbot, ADDR)  # a pasted or typed address goes into the focused field
    assert page.address.text() == ADDR
    key(qtbot, Qt.Key.Key_Tab)  # tab order is the reading order: the fixed side, then …
    assert focused() is page.send_exactly
    key(qtbot, Qt.Key.Key_Tab)  # … the amount
    qtbot.waitUntil(lambda: page.amount.isAncestorOf(focused()), timeout=2000)
    type_text(qtbot, "12.50")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    key(qtbot, Qt.Key.Key_N, ALT)
    q = wiz.quote_page
    qtbot.waitUntil(lambda: wiz.currentPage() is q and q.isComplete(), timeout=10000)
    key(qtbot, Qt.Key.Key_Return)  # Enter confirms a valid quote, wherever the focus is
    qtbot.waitUntil(lambda: wiz.status_page.txn is not None, timeout=10000)
    env.advance(6)
    qtbot.waitUntil(lambda: "Completed" in wiz.status_page.headline.text(), timeout=10000)
    assert wiz.currentPage() is wiz.status_page


def tab_to(qtbot, widget, limit=25):
    """Tab (keys only) until the focus is in ``widget``; the count is the reading order."""
    for n in range(limit):
        if widget is focused() or widget.isAncestorOf(focused()):
            return n
        key(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {widget!r}; focus is on {focused()!r}")


def test_withdraw_with_keys_only(money_env, desk, qtbot):
    env = money_env
    customer, _wallet = env.customer_with_wallet("100.00")
    acc = env.run(
        env.client.create_external_account(
            customer.id,
            {
                "type": "usBank",
                "network": "wire",
                "bankDetails": {
                    "bankName": "Chase",
                    "routingNumber": "021000021",
                    "accountNumber": "000123456789",
                    "accountHolderName": "Ada Lovelace",
                },
            },
        )
    )
    desk.refresh()
    pick_customer_by_keys(desk, qtbot, customer)
    wiz = open_wizard(desk, qtbot, Qt.Key.Key_B)
    assert type(wiz).__name__ == "WithdrawWizard"
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wait_first_field(qtbot, wiz, wiz.source_page.picker.customer_edit)
    key(qtbot, Qt.Key.Key_N, ALT)
    page = wiz.account_page
    qtbot.waitUntil(lambda: wiz.currentPage() is page, timeout=2000)
    # The first field that takes input (the account list is enabled once it has loaded).
    qtbot.waitUntil(lambda: focused() in (page.account_combo, page.manual_id), timeout=5000)
    qtbot.waitUntil(lambda: page.account_combo.currentData() == acc.id, timeout=10000)
    tab_to(qtbot, page.amount)
    type_text(qtbot, "40")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    key(qtbot, Qt.Key.Key_N, ALT)
    q = wiz.quote_page
    qtbot.waitUntil(lambda: wiz.currentPage() is q and q.isComplete(), timeout=10000)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wiz.status_page.txn is not None, timeout=10000)
    env.advance(301)  # completed by 60 s (wire) or 300 s (ach), D21
    qtbot.waitUntil(lambda: "Completed" in wiz.status_page.headline.text(), timeout=10000)


def test_fund_with_keys_only(money_env, desk, qtbot):
    from PySide6.QtWidgets import QWizard

    env = money_env
    customer, _wallet = env.customer_with_wallet(None)
    desk.refresh()
    pick_customer_by_keys(desk, qtbot, customer)
    wiz = open_wizard(desk, qtbot, Qt.Key.Key_F)
    assert type(wiz).__name__ == "FundWizard"
    ap = wiz.amount_page
    qtbot.waitUntil(ap.isComplete, timeout=10000)
    wait_first_field(qtbot, wiz, ap.picker.customer_edit)
    tab_to(qtbot, ap.amount)
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "100")
    qtbot.waitUntil(ap.isComplete, timeout=5000)
    key(qtbot, Qt.Key.Key_N, ALT)
    sp = wiz.store_page
    qtbot.waitUntil(lambda: wiz.currentPage() is sp, timeout=2000)
    qtbot.waitUntil(lambda: focused() is sp.zip_edit, timeout=5000)  # first field
    if not sp.zip_edit.text():
        type_text(qtbot, "10001")
        key(qtbot, Qt.Key.Key_Return)  # Enter in the ZIP box searches
    qtbot.waitUntil(lambda: sp.list.count() > 0, timeout=10000)
    tab_to(qtbot, sp.list)
    key(qtbot, Qt.Key.Key_Down)
    if sp.list.currentRow() < 0:
        key(qtbot, Qt.Key.Key_Home)
    qtbot.waitUntil(sp.isComplete, timeout=2000)
    commit = wiz.button(QWizard.WizardButton.CommitButton)
    tab_to(qtbot, commit, limit=40)
    key(qtbot, Qt.Key.Key_Space)  # "Get code at …"
    cp = wiz.code_page
    qtbot.waitUntil(lambda: cp.cash_in is not None, timeout=10000)
    qtbot.waitUntil(lambda: cp.sim_amount.isAncestorOf(focused()), timeout=5000)
    type_text(qtbot, "120.00")
    key(qtbot, Qt.Key.Key_S, ALT)  # "&Simulate cash deposit" (mnemonic)
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.status_page, timeout=10000)
    env.advance(11)
    st = wiz.status_page
    qtbot.waitUntil(lambda: "Completed" in st.headline.text(), timeout=10000)
