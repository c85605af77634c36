"""Issue 14, item 6: what a screen reader gets. Every focusable widget of every window,
dialog and wizard page has an accessible name (Qt's own: the accessible name, the text, or
the form label that is its buddy), and changing values describe themselves."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QWidget

from desktop.ui.wizards.fund import FundWizard
from desktop.ui.wizards.send import SendWizard
from desktop.ui.wizards.withdraw import WithdrawWizard
from tests.support.qt import run


def spoken_name(w: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(w)
    return (iface.text(QAccessible.Text.Name) if iface is not None else "").strip()


def unnamed(root: QWidget) -> list[str]:
    """Focusable widgets a screen reader would announce without a name."""
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        # Any focus at all (a selectable label takes a click): AT-SPI calls it focusable.
        if w.focusPolicy() == Qt.FocusPolicy.NoFocus or not w.isVisibleTo(root):
            continue
        if isinstance(w.parentWidget(), QAbstractScrollArea) and w is w.parentWidget().viewport():
            continue
        if isinstance(w.parentWidget(), QAbstractSpinBox):
            continue  # a spin box's own editor: the spin box is what a reader announces
        if not spoken_name(w):
            out.append(
                f"{type(w).__name__} {w.objectName()!r} in {type(w.parentWidget()).__name__}"
            )
    return out


def _customer(qtbot, window):
    txns = run(qtbot, window.api.list_transactions(limit=1, status="completed"))
    c = run(qtbot, window.api.get_customer(txns.data[0].sender))
    window.select_customer(c)
    d = window.detail
    qtbot.waitUntil(lambda: not d.loading and bool(d.cards), timeout=10000)
    d.tx_view.selectRow(0)
    return c


def test_main_window_and_dialogs_are_named(qtbot, window):
    c = _customer(qtbot, window)
    assert unnamed(window) == []
    window.tabs.setCurrentWidget(window.transactions_view)
    assert unnamed(window) == []
    for open_dialog in (
        window.show_shortcuts,
        lambda: window.new_customer(),
        lambda: window.edit_customer(c),
        lambda: window.new_wallet(c),
        lambda: window.show_resource("Customer", c),
    ):
        dlg = open_dialog()
        try:
            assert unnamed(dlg) == [], type(dlg).__name__
        finally:
            dlg.close()


def test_every_wizard_page_is_named(qtbot, window):
    c = _customer(qtbot, window)
    w = window.detail.wallets[0]
    for cls in (SendWizard, WithdrawWizard, FundWizard):
        wiz = cls(window.session, customer_id=c.id, wallet_id=w.id, parent=window)
        qtbot.addWidget(wiz)
        wiz.show()
        try:
            for pid in wiz.pageIds():
                page = wiz.page(pid)
                assert unnamed(page) == [], f"{cls.__name__} page {page.title()!r}"
        finally:
            wiz.reject()


def test_changing_values_describe_themselves(qtbot, window):
    _customer(qtbot, window)
    story = window.detail.story
    assert story.status.accessibleDescription() == story.story.status


def without_mnemonic(root: QWidget) -> list[str]:
    from PySide6.QtWidgets import QPushButton

    from desktop.ui.widgets.mnemonics import mnemonic_of

    return [
        b.text()
        for b in root.findChildren(QPushButton)
        if b.isVisibleTo(root) and b.text() and not mnemonic_of(b.text())
    ]


def test_every_button_has_a_mnemonic(qtbot, window):
    c = _customer(qtbot, window)
    assert without_mnemonic(window) == []
    for dlg in (window.new_customer(), window.new_wallet(c), window.show_shortcuts()):
        try:
            assert without_mnemonic(dlg) == [], type(dlg).__name__
        finally:
            dlg.close()
    w = window.detail.wallets[0]
    for cls in (SendWizard, WithdrawWizard, FundWizard):
        wiz = cls(window.session, customer_id=c.id, wallet_id=w.id, parent=window)
        qtbot.addWidget(wiz)
        wiz.show()
        try:
            for pid in wiz.pageIds():
                wiz._page_shown(pid)  # what showing the page does
                assert without_mnemonic(wiz.page(pid)) == [], cls.__name__
        finally:
            wiz.reject()


def test_accounts_arriving_after_the_wallets_get_mnemonics(qtbot, window):
    """The bank funding accounts load on their own: when they arrive after the wallet
    cards (and the pane's mnemonic pass), their Pause buttons still get a mnemonic."""
    c = _customer(qtbot, window)
    acc = window.detail.accounts
    qtbot.waitUntil(lambda: acc.va_state == "found" and bool(acc.pause_buttons), timeout=10000)
    acc._vas_loaded(c.id, list(acc.virtual_accounts))  # the late arrival, drawn again
    assert without_mnemonic(window) == []
    assert all("&" in b.text() for b in acc.pause_buttons.values())


def test_settings_developers_and_other_windows_are_named(qtbot, window, tmp_path):
    """The windows the first walk missed: Settings, every Developers pane, the Receive and
    endpoint dialogs, the production confirmation and a customer's transactions window."""
    from desktop.config import ProfileStore
    from desktop.secrets import SecretStore
    from desktop.ui.settings_dialog import SettingsDialog
    from tests.support.qt import MemoryKeyring

    c = _customer(qtbot, window)
    dev = window.developers_view
    window.tabs.setCurrentWidget(dev)
    qtbot.waitUntil(lambda: dev.built and dev.endpoints.isVisible(), timeout=5000)
    for j in range(dev.tabs.count()):
        dev.tabs.setCurrentIndex(j)
        qtbot.waitUntil(lambda p=dev.tabs.widget(j): p.isVisible(), timeout=5000)
        assert unnamed(window) == [], dev.tabs.tabText(j)

    async def tester(_p, _k):
        return "ok"

    settings = SettingsDialog(
        ProfileStore(tmp_path / "profiles.json"),
        SecretStore(backend=MemoryKeyring()),
        tester,
        parent=window,
    )
    for open_dialog in (
        lambda: settings,
        lambda: window.open_receive(c, window.detail.wallets[0]),
        dev.endpoints.new_endpoint,
        lambda: window.confirm_production("Live", lambda: None),
        lambda: window.open_customer_transactions(c.id),
    ):
        dlg = open_dialog()
        dlg.show()
        try:
            assert unnamed(dlg) == [], type(dlg).__name__
        finally:
            dlg.close()
