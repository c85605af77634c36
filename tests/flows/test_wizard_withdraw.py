"""Withdraw to bank wizard end to end against a real sandbox."""

from __future__ import annotations

from decimal import Decimal

from desktop.ui.wizards.withdraw import WithdrawWizard


def open_withdraw(env, qtbot, customer, wallet):
    wiz = WithdrawWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wiz.next()
    return wiz


def register(page, qtbot, routing="021000021", account="000123456789", holder="Ada Lovelace"):
    box = page.register_box
    box.holder.setText(holder)
    box.routing.setText(routing)
    box.account.setText(account)
    assert box.register_button.isEnabled()
    n = page.account_combo.count()
    box.register_button.click()
    qtbot.waitUntil(lambda: page.account_combo.count() == n + 1, timeout=10000)


def test_invalid_routing_number_blocks_registration(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("500.00")
    wiz = open_withdraw(env, qtbot, customer, wallet)
    box = wiz.account_page.register_box
    assert box.isVisible()  # sandbox profile
    box.holder.setText("Ada Lovelace")
    box.account.setText("000123456789")
    box.routing.setText("021000022")
    assert "checksum" in box.routing_msg.text() and not box.register_button.isEnabled()
    box.routing.setText("02100002")
    assert "9 digits" in box.routing_msg.text() and not box.register_button.isEnabled()
    box.routing.setText("021000021")
    box.account.setText("12")
    assert "4 to 17 digits" in box.account_msg.text() and not box.register_button.isEnabled()


def test_withdraw_wire_end_to_end(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("500.00")
    wiz = open_withdraw(env, qtbot, customer, wallet)
    page = wiz.account_page
    page.wire.setChecked(True)
    register(page, qtbot)
    assert "Wire: fee 0.50 % + $15.00" in page.rail_info.text()
    assert "ACH" in page.rail_info.text()  # the other rail is explained too
    page.amount.set_text("100.001")
    assert not page.isComplete() and "2 decimal places" in page.amount.message.text()
    page.amount.set_text("100.00")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    wiz.next()
    q = wiz.quote_page
    qtbot.waitUntil(q.isComplete, timeout=10000)
    assert q.fields["fee_rail"].text() == "15.00 USDC"
    assert q.fields["fee_oms"].text() == "0.50 USDC"
    assert q.fields["dst_net"].text() == "84.50 USD"
    wiz.next()
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    env.advance(6)
    qtbot.waitUntil(lambda: st.txn.sub_status == "bankSubmitted", timeout=10000)
    env.advance(60)
    qtbot.waitUntil(lambda: str(st.txn.status) == "completed", timeout=10000)
    assert "******6789" in st.bank_label.text() and "WIRE" in st.bank_label.text()
    assert env.balance(wallet.id) == Decimal("400")


def test_withdraw_to_0000_account_is_returned_and_refunded(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("300.00")
    wiz = open_withdraw(env, qtbot, customer, wallet)
    page = wiz.account_page
    register(page, qtbot, account="123450000")
    page.amount.set_text("200")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    wiz.next()
    qtbot.waitUntil(wiz.quote_page.isComplete, timeout=10000)
    wiz.next()
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    env.advance(61)
    qtbot.waitUntil(lambda: str(st.txn.status) == "failed", timeout=10000)
    assert "bank returned the payment" in st.error_label.text()
    assert "200.00 USDC refunded" in st.refund_label.text()
    assert env.balance(wallet.id) == Decimal("300")


def test_non_sandbox_profile_enters_account_id(money_env, qtbot):
    env = money_env
    env.ctx.is_sandbox = False  # an OMS profile: external accounts are early access there
    customer, wallet = env.customer_with_wallet("50.00")
    wiz = open_withdraw(env, qtbot, customer, wallet)
    page = wiz.account_page
    assert not page.register_box.isVisible()
    assert "early access" in page.manual_row_label.text()
    page.manual_id.setText("cpUsBank_known")
    page.amount.set_text("10")
    assert page.isComplete()
    assert wiz.flow.body()["destination"]["wallet"] == {"externalAccount": "cpUsBank_known"}
