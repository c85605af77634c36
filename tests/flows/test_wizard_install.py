"""The main window builds the Transactions tab and opens the wizards itself (no plugin seam)."""

from __future__ import annotations

from desktop.ui.transactions import TransactionsView
from desktop.ui.wizards.fund import FundWizard
from desktop.ui.wizards.send import SendWizard
from desktop.ui.wizards.withdraw import WithdrawWizard


def test_main_window_has_transactions_tab_and_opens_wizards(window, qtbot):
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Transactions" in titles
    view = window.tabs.widget(titles.index("Transactions"))
    assert isinstance(view, TransactionsView)
    qtbot.waitUntil(lambda: not view.model.loading, timeout=10000)
    customer = window.model.row_object(0)
    opened = []
    for kind, cls in (("send", SendWizard), ("withdraw", WithdrawWizard), ("fund", FundWizard)):
        getattr(window, f"open_{kind}_wizard")(customer, None)
        wiz = window.findChildren(cls)
        assert wiz, kind
        opened.append(wiz[-1])
        assert wiz[-1].isVisible()
        picker = getattr(wiz[-1], "source_page", None) or wiz[-1].amount_page
        qtbot.waitUntil(lambda p=picker.picker: p.customer_id() == customer.id, timeout=10000)
    for wiz in opened:
        wiz.reject()


def test_customer_transactions_window_is_filtered(window, qtbot):
    customer = window.model.row_object(0)
    dlg = window.open_customer_transactions(customer.id)
    view = dlg.findChild(TransactionsView)
    assert view.customer_id == customer.id
    assert view.model.filters["customer_id"] == customer.id
    qtbot.waitUntil(lambda: not view.model.loading, timeout=10000)
    # the customer-scoped list loaded without error
    assert view.banners.text() == "" and not view.banners.keys()
    dlg.close()
