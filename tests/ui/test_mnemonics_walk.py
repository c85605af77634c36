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
from tests.support.walk import demo_customer, each_dialog, each_tab, each_wizard_page

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


def test_every_button_of_every_window_dialog_and_page_has_its_own_mnemonic(qtbot, window, tmp_path):
    c = demo_customer(qtbot, window)  # the story pane shows, its Raw JSON toggle included
    view = window.transactions_view
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10000)
    view.table.selectRow(0)
    found: dict[str, list[str]] = {}
    # one window: a tab, the toolbar and the menu bar's titles share the Alt keys
    shared = _texts(window.toolbar) + [a.text() for a in window.menuBar().actions()]
    for where, tab in each_tab(qtbot, window):
        found[where] = problems(_texts(tab) + shared)
    for name, dlg in each_dialog(window, c, tmp_path):
        found[name] = problems(_texts(dlg))
    for where, wiz, pid in each_wizard_page(qtbot, window, c):
        found[where] = problems(page_texts(wiz, pid))
    bad = {k: v for k, v in found.items() if v}
    assert not bad, "\n".join(f"{k}: {v}" for k, v in bad.items())


def test_accounts_arriving_after_the_wallets_get_mnemonics(qtbot, window):
    """The bank funding accounts load on their own: when they arrive after the wallet
    cards (and the pane's mnemonic pass), their Pause buttons still get a mnemonic."""
    c = demo_customer(qtbot, window)
    acc = window.detail.accounts
    qtbot.waitUntil(lambda: acc.va_state == "found" and bool(acc.pause_buttons), timeout=10000)
    acc._vas_loaded(c.id, list(acc.virtual_accounts))  # the late arrival, drawn again
    assert [t for t in _texts(window) if not mnemonic_of(t)] == []
    assert all("&" in b.text() for b in acc.pause_buttons.values())
