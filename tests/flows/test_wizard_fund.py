"""Fund wallet (cash-in) wizard end to end against a real sandbox."""

from __future__ import annotations

from decimal import Decimal

from desktop.ui.wizards.fund import FundWizard


def open_fund(env, qtbot, customer, wallet, amount="100.00"):
    wiz = FundWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    page = wiz.amount_page
    page.amount.set_text(amount)
    qtbot.waitUntil(page.isComplete, timeout=10000)
    return wiz


def pick_store(wiz, qtbot, zip_code="10001"):
    wiz.next()
    sp = wiz.store_page
    sp.zip_edit.setText(zip_code)
    sp.find()
    qtbot.waitUntil(sp.isComplete, timeout=10000)
    return sp


def test_fund_with_cash_end_to_end(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    wiz = open_fund(env, qtbot, customer, wallet, "100.00")
    ap = wiz.amount_page
    assert "98.00 USDC" in ap.estimate.text() and "2.00" in ap.estimate.text()
    assert "1.5 % + $0.50" in ap.fees.text()
    sp = pick_store(wiz, qtbot)
    assert sp.list.count() > 0 and "New York" in sp.message.text()
    wiz.next()
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
    wiz.next()
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
    wiz.next()
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
