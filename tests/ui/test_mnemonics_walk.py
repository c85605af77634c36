"""Issue 14, item 5: every button has a mnemonic, and no two buttons of one page share
one. Walks the main window (each tab), every dialog (Settings, Developers' endpoint and
delete confirmation included) and every wizard page with the buttons the wizard shows on it.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QPushButton,
    QRadioButton,
    QToolButton,
    QWidget,
    QWizard,
)

from desktop.ui.widgets.mnemonics import mnemonic_of
from desktop.ui.wizards.fund import FundWizard
from desktop.ui.wizards.send import SendWizard
from desktop.ui.wizards.withdraw import WithdrawWizard
from tests.support.qt import run

KINDS = (QPushButton, QToolButton, QCheckBox, QRadioButton)
W = QWizard.WizardButton


def _texts(root: QWidget) -> list[str]:
    """Texts of the text buttons a user sees under ``root`` (icon-only buttons have none)."""
    out = []
    for b in root.findChildren(QAbstractButton):
        if isinstance(b, KINDS) and b.text() and b.isVisibleTo(root):
            out.append(b.text())
    return out


def problems(texts: list[str]) -> list[str]:
    """Texts without a mnemonic, and mnemonics used twice."""
    missing = [t for t in texts if not mnemonic_of(t)]
    twice = Counter(mnemonic_of(t) for t in texts if mnemonic_of(t))
    dup = [
        f"&{k} used by {[t for t in texts if mnemonic_of(t) == k]}"
        for k, n in twice.items()
        if n > 1
    ]
    return missing + dup


def page_texts(wiz: QWizard, pid: int) -> list[str]:
    """The page's own buttons and the wizard buttons shown with it."""
    page = wiz.page(pid)
    wiz._page_shown(pid)  # what showing the page does
    texts = _texts(page)
    ids = wiz.pageIds()
    last = page.isFinalPage() or page.nextId() == -1
    if pid != ids[0] and not last:  # NoBackButtonOnLastPage
        texts.append(page.buttonText(W.BackButton))
    if page.isCommitPage():
        texts.append(page.buttonText(W.CommitButton))
    elif last:
        texts.append(page.buttonText(W.FinishButton))
    else:
        texts.append(page.buttonText(W.NextButton))
    if not last:  # NoCancelButtonOnLastPage
        texts.append(page.buttonText(W.CancelButton))
    return texts


def _customer(qtbot, window):
    # Jane Smith, the demo's star (by her transactions: other tests add newer customers)
    txns = run(qtbot, window.api.list_transactions(limit=1, status="completed"))
    c = run(qtbot, window.api.get_customer(txns.data[0].sender))
    window.select_customer(c)
    d = window.detail
    qtbot.waitUntil(lambda: not d.loading and bool(d.cards), timeout=10000)
    return c


def test_every_button_of_every_window_dialog_and_page_has_its_own_mnemonic(qtbot, window, tmp_path):
    from desktop.config import ProfileStore
    from desktop.secrets import SecretStore
    from desktop.ui.settings_dialog import SettingsDialog
    from tests.support.qt import MemoryKeyring

    c = _customer(qtbot, window)
    window.detail.tx_view.selectRow(0)  # the story pane, its Raw JSON toggle included
    view = window.transactions_view
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10000)
    view.table.selectRow(0)
    found: dict[str, list[str]] = {}
    # one window: a tab, the toolbar and the menu bar's titles share the Alt keys
    shared = _texts(window.toolbar) + [a.text() for a in window.menuBar().actions()]
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        tab = window.tabs.widget(i)
        inner = None
        if tab is window.developers_view:  # its panes are built when it is first shown
            qtbot.waitUntil(lambda t=tab: t.built and t.endpoints.isVisible(), timeout=5000)
            inner = tab.tabs
        for j in range(inner.count() if inner is not None else 1):
            where = f"tab {window.tabs.tabText(i)}"
            if inner is not None:
                inner.setCurrentIndex(j)
                qtbot.waitUntil(lambda p=inner.widget(j): p.isVisible(), timeout=5000)
                where += f" › {inner.tabText(j)}"
            found[where] = problems(_texts(tab) + shared)

    async def tester(_p, _k):
        return "ok"

    dialogs = {
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
    for name, open_dialog in dialogs.items():
        dlg = open_dialog()
        dlg.show()
        try:
            found[name] = problems(_texts(dlg))
        finally:
            dlg.close()
    w = window.detail.wallets[0]
    for cls in (SendWizard, WithdrawWizard, FundWizard):
        wiz = cls(window.session, customer_id=c.id, wallet_id=w.id, parent=window)
        qtbot.addWidget(wiz)
        wiz.show()
        try:
            for pid in wiz.pageIds():
                found[f"{cls.__name__} {wiz.page(pid).title()!r}"] = problems(page_texts(wiz, pid))
        finally:
            wiz.reject()
    bad = {k: v for k, v in found.items() if v}
    assert not bad, "\n".join(f"{k}: {v}" for k, v in bad.items())
