"""One walk over everything a desk user can open: each tab (each Developers pane), every
dialog and every wizard page. The screen-reader test and the mnemonic test check the same
windows, so a window added here is checked by both."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtWidgets import QWidget, QWizard

from tests.support.qt import MemoryKeyring, run

#: The demo's star (desktop/sandbox/demo.py): wallets, a balance, every kind of transaction.
DEMO_EMAIL = "jane.smith@example.com"


def find_demo_customer(qtbot, window):
    """Jane Smith, found by her email: the earliest with it (tests add customers and
    transactions to the shared demo sandbox, so "the newest sender" may be anyone)."""
    page = run(qtbot, window.api.list_customers(email=DEMO_EMAIL, limit=100))
    return min(page.data, key=lambda x: x.created_at)


def demo_customer(qtbot, window):
    """Jane Smith selected, with her pane loaded and its story showing."""
    c = find_demo_customer(qtbot, window)
    window.select_customer(c)
    d = window.detail
    qtbot.waitUntil(lambda: not d.loading and bool(d.cards), timeout=10000)
    d.tx_view.selectRow(0)
    return c


def each_tab(qtbot, window) -> Iterator[tuple[str, QWidget]]:
    """Shows each main tab in turn (each Developers pane separately) and yields it."""
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        tab = window.tabs.widget(i)
        where = f"tab {window.tabs.tabText(i)}"
        if tab is not window.developers_view:
            yield where, tab
            continue
        # its panes are built when it is first shown
        qtbot.waitUntil(lambda t=tab: t.built and t.endpoints.isVisible(), timeout=5000)
        for j in range(tab.tabs.count()):
            tab.tabs.setCurrentIndex(j)
            qtbot.waitUntil(lambda p=tab.tabs.widget(j): p.isVisible(), timeout=5000)
            yield f"{where} › {tab.tabs.tabText(j)}", tab


def dialogs(window, c, tmp_path) -> dict[str, Callable[[], QWidget]]:
    """Every dialog and secondary window, by name, each opened by calling its value."""
    from desktop.config import ProfileStore
    from desktop.secrets import SecretStore
    from desktop.ui.settings_dialog import SettingsDialog

    async def tester(_p, _k):
        return "ok"

    return {
        "shortcuts": window.show_shortcuts,
        "new customer": window.new_customer,
        "edit customer": lambda: window.edit_customer(c),
        "new wallet": lambda: window.new_wallet(c),
        "resource": lambda: window.show_resource("Customer", c),
        "receive": lambda: window.open_receive(c, window.detail.wallets[0]),
        "settings": lambda: SettingsDialog(
            ProfileStore(tmp_path / "profiles.json"),
            SecretStore(backend=MemoryKeyring()),
            tester,
            parent=window,
        ),
        "developers: new endpoint": window.developers_view.endpoints.new_endpoint,
        "confirm production": lambda: window.confirm_production("Live", lambda: None),
        "customer transactions": lambda: window.open_customer_transactions(c.id),
    }


def each_dialog(window, c, tmp_path) -> Iterator[tuple[str, QWidget]]:
    """Opens and shows each dialog in turn, yields it, and closes it."""
    for name, open_dialog in dialogs(window, c, tmp_path).items():
        dlg = open_dialog()
        dlg.show()
        try:
            yield name, dlg
        finally:
            dlg.close()


def each_wizard_page(qtbot, window, c) -> Iterator[tuple[str, QWizard, int]]:
    """Every page of the Send, Withdraw and Fund wizards for ``c``'s first wallet."""
    from desktop.ui.wizards.fund import FundWizard
    from desktop.ui.wizards.send import SendWizard
    from desktop.ui.wizards.withdraw import WithdrawWizard

    w = window.detail.wallets[0]
    for cls in (SendWizard, WithdrawWizard, FundWizard):
        wiz = cls(window.session, customer_id=c.id, wallet_id=w.id, parent=window)
        qtbot.addWidget(wiz)
        wiz.show()
        try:
            for pid in wiz.pageIds():
                yield f"{cls.__name__} {wiz.page(pid).title()!r}", wiz, pid
        finally:
            wiz.reject()
