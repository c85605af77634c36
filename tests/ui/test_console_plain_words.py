"""Issue 14 (support console depth): small places where a raw value or an id still showed.

* the Fund wizard's code page names the cash-in's status in plain words (the one
  formatter, :func:`desktop.display.status_words`), never ``status pending``.
"""

from __future__ import annotations

from desktop.display import status_words
from desktop.ui.wizards.fund import FundWizard
from tests.support.money import money_env, money_loop  # noqa: F401 (fixtures)


def test_fund_code_page_status_in_plain_words(money_env, qtbot):  # noqa: F811
    customer, wallet = money_env.customer_with_wallet(None)
    wiz = FundWizard(money_env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.amount_page.amount.set_text("100.00")
    qtbot.waitUntil(wiz.amount_page.isComplete, timeout=10000)
    wiz.next()
    sp = wiz.store_page
    sp.zip_edit.setText("10001")
    sp._search_edited()
    sp.find()
    qtbot.waitUntil(lambda: sp.list.count() > 0, timeout=10000)
    sp.list.setCurrentRow(0)
    wiz.button(wiz.WizardButton.CommitButton).click()
    cp = wiz.code_page
    qtbot.waitUntil(lambda: cp.cash_in is not None, timeout=10000)
    text = cp.details.text()
    assert cp.cash_in.status == "pending"
    assert f"· {status_words('pending')} ·" in text, text  # "· Pending ·"
    assert "status pending" not in text and "CashInStatus" not in text, text
