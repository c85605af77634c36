"""Fund wallet (cash-in) wizard end to end against a real sandbox."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.ui.wizards.fund import FundWizard
from tests.support.identity import IDENTITY


def open_fund(env, qtbot, customer, wallet, amount="100.00"):
    wiz = FundWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    page = wiz.amount_page
    page.amount.set_text(amount)
    qtbot.waitUntil(page.isComplete, timeout=10000)
    return wiz


def pick_store(wiz, qtbot, zip_code="10001", row=0):
    """Search a ZIP, pick a store from the list, and press "Get code at {store}"."""
    wiz.next()
    sp = wiz.store_page
    sp.zip_edit.setText(zip_code)
    sp._search_edited()
    sp.find()
    qtbot.waitUntil(lambda: sp.list.count() > 0, timeout=10000)
    assert not sp.isComplete()  # no store is chosen for the operator
    sp.list.setCurrentRow(row)
    assert sp.isComplete()
    return sp


def get_code(wiz):
    button = wiz.button(wiz.WizardButton.CommitButton)
    assert button.text().replace("&", "").startswith("Get code at ")
    button.click()


def test_fund_with_cash_end_to_end(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    wiz = open_fund(env, qtbot, customer, wallet, "100.00")
    ap = wiz.amount_page
    assert "98.00 USDC" in ap.estimate.text() and "2.00" in ap.estimate.text()
    assert "1.5 % + $0.50" in ap.fees.text()
    sp = pick_store(wiz, qtbot)
    assert sp.list.count() > 0 and "New York" in sp.message.text()
    get_code(wiz)
    cp = wiz.code_page
    qtbot.waitUntil(lambda: cp.cash_in is not None, timeout=10000)
    assert cp.code.value() and cp.code.value() == cp.cash_in.deposit_instructions.code
    back = wiz.button(wiz.WizardButton.BackButton)
    assert not (back.isVisible() and back.isEnabled())  # no second cash-in by going back
    assert "Code valid for 59:5" in cp.countdown.text() or "1:00:00" in cp.countdown.text()
    assert not cp.isComplete()
    cp.sim_amount.set_text("120.00")
    cp.simulate()
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.status_page, timeout=10000)
    st = wiz.status_page
    env.advance(11)
    qtbot.waitUntil(lambda: st.txn is not None and str(st.txn.status) == "completed", timeout=10000)
    assert "117.70 USDC" in st.credit_label.text()  # 120 − (1.80 + 0.50)
    assert "Completed" in st.headline.text()
    assert env.balance(wallet.id) == Decimal("117.70")
    assert [s for _, s in st.timeline.rows] == ["done", "done", "done"]


def test_cash_in_limits_checked_before_any_request(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    wiz = open_fund(env, qtbot, customer, wallet, "100.00")
    ap = wiz.amount_page
    ap.amount.set_text("19.99")
    assert not ap.isComplete() and "between $20.00 and $500.00" in ap.amount.message.text()
    ap.amount.set_text("500.01")
    assert not ap.isComplete()
    ap.amount.set_text("400")
    assert ap.isComplete() and ap.history == []  # no earlier deposits

    # Three real cash-ins today (created by the API): the page counts them from the server.
    async def three():
        for _ in range(3):
            loc = (await env.client.list_cash_locations("40.75", "-73.99", limit=1)).data[0]
            await env.client.create_cash_in(
                {
                    "customerId": customer.id,
                    "source": {"asset": "usd", "indicatedAmount": "20.00"},
                    "destination": {
                        "wallet": {"id": wallet.id},
                        "asset": "usdc",
                        "network": "polygon",
                    },
                    "cash": {"locationId": loc.id, "locationReference": loc.location_reference},
                }
            )

    env.run(three())
    ap.history_loaded_for = None
    ap._load_history()
    qtbot.waitUntil(lambda: len(ap.history) == 3, timeout=10000)
    ap.amount.set_text("20")
    assert not ap.isComplete() and "3 cash deposits per 24 hours" in ap.limit_msg.text()
    assert "$60.00 in 3 deposit(s)" in ap.usage.text()


def test_code_expiry_and_refresh(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    wiz = open_fund(env, qtbot, customer, wallet)
    pick_store(wiz, qtbot, "94103")
    get_code(wiz)
    cp = wiz.code_page
    qtbot.waitUntil(lambda: cp.cash_in is not None, timeout=10000)
    old = cp.code.value()
    env.clock.advance(3601)  # the UI clock: the countdown reaches zero
    with qtbot.waitSignal(cp.countdown.expired, timeout=2000):
        cp.countdown.refresh()
    assert cp.refresh_button.isVisible() and "lapsed" in cp.banner.text()
    env.advance(3601)  # and the server agrees (the cash-in becomes expired)
    cp.refresh_code()
    qtbot.waitUntil(lambda: cp.code.value() != old, timeout=10000)
    assert cp.countdown.remaining() > 3500 and not cp.refresh_button.isVisible()


def test_reversed_deposit_fails(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    wiz = open_fund(env, qtbot, customer, wallet)
    pick_store(wiz, qtbot)
    get_code(wiz)
    cp = wiz.code_page
    qtbot.waitUntil(lambda: cp.cash_in is not None, timeout=10000)
    cp.sim_amount.set_text("10")
    cp.simulate()
    qtbot.waitUntil(lambda: "Declined 05" in cp.sim_result.text(), timeout=10000)
    cp.sim_amount.set_text("66.66")
    cp.simulate()
    qtbot.waitUntil(lambda: wiz.currentPage() is wiz.status_page, timeout=10000)
    env.advance(11)
    st = wiz.status_page
    qtbot.waitUntil(lambda: "Failed" in st.headline.text(), timeout=10000)
    assert "reversed the cash deposit" in st.problem.text()
    assert env.balance(wallet.id) == Decimal("0")


def customer_at(env, zip_code, city, state):
    """A customer living at ``zip_code``, with an empty wallet."""
    identity = dict(IDENTITY)
    identity["residentialAddress"] = dict(
        IDENTITY["residentialAddress"], zipCode=zip_code, city=city, state=state
    )

    async def make():
        c = await env.client.create_customer(identity)
        return c, await env.client.create_wallet(c.id)

    return env.run(make())


def cash_ins(env, customer):
    async def all_():
        return [ci async for ci in env.client.iter_cash_ins(customer_id=customer.id)]

    return env.run(all_())


@pytest.mark.parametrize(
    "zip_code,city,state", [("10002", "New York", "NY"), ("95814", "Sacramento", "CA")]
)
def test_store_search_starts_at_the_customers_zip(money_env, qtbot, zip_code, city, state):
    env = money_env
    customer, wallet = customer_at(env, zip_code, city, state)
    # The contract makes residentialAddress write-only (never returned): the desk uses it
    # where a server does return it. Here the customer read is given the address back.
    real_get = env.client.get_customer

    async def get_customer(customer_id):
        found = await real_get(customer_id)
        address = {"zipCode": zip_code, "city": city, "state": state, "country": "US"}
        return replace(found, raw={**found.raw, "residentialAddress": address})

    env.client.get_customer = get_customer
    wiz = open_fund(env, qtbot, customer, wallet)
    wiz.next()
    sp = wiz.store_page
    assert sp.zip_edit.text() == zip_code  # pre-filled from the customer's address
    qtbot.waitUntil(lambda: sp.list.count() > 0, timeout=10000)
    assert f"{city}, {state}" in sp.message.text()
    assert not sp.isComplete()  # searching picks no store


def test_enter_in_the_zip_box_only_searches(money_env, qtbot):
    """Issue 13 point 13: Enter never issues a code, and never at a store chosen before
    the ZIP changed; only "Get code at {store}" does."""
    env = money_env
    customer, wallet = customer_at(env, "10002", "New York", "NY")
    wiz = open_fund(env, qtbot, customer, wallet)
    wiz.next()
    sp = wiz.store_page
    commit = wiz.button(wiz.WizardButton.CommitButton)
    assert not commit.isEnabled() and commit.text().replace("&", "") == "Choose a store"
    sp.zip_edit.setFocus()
    QTest.keyClicks(sp.zip_edit, "10002")
    QTest.keyClick(sp.zip_edit, Qt.Key.Key_Return)  # searches, nothing else
    qtbot.waitUntil(lambda: sp.list.count() > 0, timeout=10000)
    assert "New York, NY" in sp.message.text() and wiz.currentPage() is sp
    sp.list.setCurrentRow(0)  # a New York store
    new_york = sp.flow.store_name
    assert commit.isEnabled() and commit.text().replace("&", "") == f"Get code at {new_york}"

    # The operator types Sacramento's ZIP over it and presses Enter.
    sp.zip_edit.setFocus()
    sp.zip_edit.selectAll()
    QTest.keyClicks(sp.zip_edit, "95814")
    assert sp.list.count() == 0 and not sp.isComplete()  # the New York store is forgotten
    assert not commit.isEnabled() and commit.text().replace("&", "") == "Choose a store"
    QTest.keyClick(sp.zip_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sp.list.count() > 0, timeout=10000)
    assert "Sacramento, CA" in sp.message.text()
    assert wiz.currentPage() is sp and not sp.isComplete()

    # With a store picked, Enter in the ZIP box, Enter in the list: still no code.
    sp.list.setCurrentRow(0)
    assert sp.isComplete()
    QTest.keyClick(sp.list, Qt.Key.Key_Return)
    QTest.keyClick(sp.zip_edit, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: sp.list.count() > 0 and "Sacramento" in sp.message.text())
    assert wiz.currentPage() is sp and cash_ins(env, customer) == []

    # Only the explicit button issues the code, at the store it names.
    sp.list.setCurrentRow(1)
    sacramento = sp.flow.store_name
    assert commit.text().replace("&", "") == f"Get code at {sacramento}"
    commit.click()
    cp = wiz.code_page
    qtbot.waitUntil(lambda: cp.cash_in is not None, timeout=10000)
    made = cash_ins(env, customer)
    assert len(made) == 1 and made[0].deposit_instructions.location_name == sacramento
