"""Fund by bank transfer (D22) end to end against a real sandbox: the virtual account,
its instructions, ACH and wire deposits to completion, the reversal, a paused account."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtGui import QGuiApplication

from desktop.display import kind_name
from desktop.ui.transactions import row_values
from desktop.ui.wizards.fund import FundWizard


def open_bank(env, qtbot, customer, wallet):
    wiz = FundWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    ap = wiz.amount_page
    assert (
        ap.cash_method.isChecked()
        and ap.bank_method.text().replace("&", "") == "Bank transfer (ACH or wire)"
    )
    ap.bank_method.setChecked(True)
    assert not ap.cash_box.isVisible()
    qtbot.waitUntil(ap.isComplete, timeout=10000)
    wiz.next()
    assert wiz.currentPage() is wiz.bank_page
    return wiz


def with_account(env, qtbot, wiz):
    """Create the wallet's virtual account from the page (it has none yet)."""
    bp = wiz.bank_page
    qtbot.waitUntil(lambda: wiz.flow.va_state == "none", timeout=10000)
    assert bp.create_button.isVisible() and not bp.instructions.isVisible()
    assert "no bank account details yet" in bp.state.text()
    bp.create_button.click()
    qtbot.waitUntil(lambda: wiz.flow.virtual_account is not None, timeout=10000)
    return bp, wiz.flow.virtual_account


def simulate(qtbot, wiz, amount: str, wire: bool = False) -> None:
    bp = wiz.bank_page
    before = len(wiz.flow.deposits)
    (bp.sim_wire if wire else bp.sim_ach).setChecked(True)
    bp.sim_amount.set_text(amount)
    bp.sim_button.click()
    qtbot.waitUntil(lambda: len(wiz.flow.deposits) == before + 1, timeout=10000)


def status_of(wiz, amount: str) -> str:
    return next(
        str(t.status)
        for t in wiz.flow.deposits.values()
        if t.source.amount_gross == Decimal(amount)
    )


def test_fund_by_ach_and_by_wire_to_completion(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    notices = []
    env.ctx.hub.notice.connect(notices.append)
    wiz = open_bank(env, qtbot, customer, wallet)
    bp, va = with_account(env, qtbot, wiz)
    di = va.deposit_instructions
    assert bp.instructions.isVisible() and not bp.create_button.isVisible()
    for attr in ("bank_name", "routing_number", "account_number", "account_holder_name"):
        assert bp.fields[attr].value() == getattr(di, attr) and getattr(di, attr)
    assert len(bp.fields["account_number"].value()) == 12  # unmasked: the customer pays to it
    bp.copy_all()
    text = QGuiApplication.clipboard().text()
    assert f"Routing number: {di.routing_number}" in text
    assert f"Account number: {di.account_number}" in text
    assert f"Account holder: {di.account_holder_name}" in text
    assert "ACH: OMS fee 0.50 %, no bank fee; arrives in 1–3 business days" in bp.fees.text()
    assert "Wire: OMS fee 0.50 % + 10.00 USD; arrives the same business day" in bp.fees.text()
    assert bp.sim_box.isVisible()

    bp.sim_amount.set_text("100.00")
    assert bp.sim_estimate.text() == "≈ 99.50 USDC (fee 0.50 USD)"
    simulate(qtbot, wiz, "100.00")
    assert "ACH deposit of 100.00 USD: funds received" in bp.deposit_list.item(0).text()
    simulate(qtbot, wiz, "1000.00", wire=True)
    assert bp.sim_button.text().replace("&", "") == "Simulate incoming wire"

    env.advance(60)  # the wire settles after 1 minute, the ACH after 5
    qtbot.waitUntil(lambda: status_of(wiz, "1000.00") == "completed", timeout=10000)
    assert status_of(wiz, "100.00") == "processing"
    env.advance(240)
    qtbot.waitUntil(lambda: status_of(wiz, "100.00") == "completed", timeout=10000)
    assert env.balance(wallet.id) == Decimal("99.50") + Decimal("985.00")
    lines = [bp.deposit_list.item(i).text() for i in range(bp.deposit_list.count())]
    assert "ACH deposit of 100.00 USD: completed, 99.50 USDC credited." in lines
    assert "Wire deposit of 1,000.00 USD: completed, 985.00 USDC credited." in lines
    # Each completed deposit raised one notice, naming the customer.
    said = [n for n in notices if n.key.startswith("deposit:")]
    assert len(said) == 2 and all(n.kind == "success" and "Ada" in n.text for n in said)
    # The hub holds them for the customer's transactions and the Transactions tab.
    hub_deposits = [t for t in env.ctx.hub.transactions.values() if t.virtual_account_id == va.id]
    assert {kind_name(t) for t in hub_deposits} == {"Bank deposit"}
    rows = {row_values(t)[1:6:4] for t in hub_deposits}  # the Transactions tab's type, from
    assert rows == {
        ("Bank deposit", "ACH from the customer's bank"),  # no va_ id: names, not ids
        ("Bank deposit", "Wire from the customer's bank"),
    }
    assert {str(t.status) for t in hub_deposits} == {"completed"}


def test_the_reversal_is_explained(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    notices = []
    env.ctx.hub.notice.connect(notices.append)
    wiz = open_bank(env, qtbot, customer, wallet)
    bp, _va = with_account(env, qtbot, wiz)
    simulate(qtbot, wiz, "66.66", wire=True)
    env.advance(60)
    qtbot.waitUntil(lambda: status_of(wiz, "66.66") == "failed", timeout=10000)
    line = bp.deposit_list.item(0).text()
    assert line.startswith("Wire deposit of 66.66 USD: reversed.")
    assert "no USDC was credited" in line
    assert env.balance(wallet.id) == Decimal("0")
    (notice,) = [n for n in notices if n.key.startswith("deposit:")]
    assert notice.kind == "error" and "reversed" in notice.text


def test_a_deposit_the_desk_did_not_start_appears_live(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    wiz = open_bank(env, qtbot, customer, wallet)
    _bp, va = with_account(env, qtbot, wiz)
    feed = env.ctx.feed
    qtbot.waitUntil(lambda: feed.polls >= 1, timeout=10000)  # the feed knows the past
    # The customer's bank sends money: nobody at the desk started it.
    env.run(env.client.sandbox_simulate_bank_deposit(va.id, "25.00", "ach_in"))
    feed.poke(customer.id)  # a webhook hint; without it the next poll finds it
    qtbot.waitUntil(lambda: len(wiz.flow.deposits) == 1, timeout=10000)
    env.advance(300)
    qtbot.waitUntil(lambda: status_of(wiz, "25.00") == "completed", timeout=10000)
    assert env.balance(wallet.id) == Decimal("24.87")  # 25 − 0.125 rounded half-up


def test_a_paused_accounts_refusal_is_shown_in_words(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    wiz = open_bank(env, qtbot, customer, wallet)
    bp, va = with_account(env, qtbot, wiz)
    env.run(env.client.pause_virtual_account(va.id))  # paused elsewhere (customer pane)
    bp.sim_amount.set_text("50.00")
    bp.sim_button.click()
    qtbot.waitUntil(lambda: "paused" in bp.sim_result.text(), timeout=10000)
    assert "the bank refused the deposit and nothing moved" in bp.sim_result.text()
    assert "Resume" in bp.sim_result.text()
    assert wiz.flow.deposits == {}
    assert env.balance(wallet.id) == Decimal("0")


def test_the_feed_of_a_customer_stops_with_the_last_view_watching_it(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    hub = env.ctx.hub
    wiz = open_bank(env, qtbot, customer, wallet)
    _bp, va = with_account(env, qtbot, wiz)
    hub.watch_deposits(customer.id)  # a second view (the customer pane)
    feed = hub._deposit_feeds[customer.id]
    txn = env.run(env.client.sandbox_simulate_bank_deposit(va.id, "30.00", "wire_in"))
    feed.poke()
    qtbot.waitUntil(lambda: txn.id in wiz.flow.deposits, timeout=10000)
    wiz.reject()  # the wizard stops watching; the pane still does
    assert feed.running
    hub.unwatch_deposits(customer.id)
    assert not feed.running and customer.id not in hub._deposit_feeds
    # The deposit found while watched is still followed to its end (and its notice).
    notices = []
    hub.notice.connect(notices.append)
    env.advance(60)
    qtbot.waitUntil(lambda: str(hub.transactions[txn.id].status) == "completed", timeout=10000)
    assert [n.kind for n in notices if n.key == f"deposit:{txn.id}"] == ["success"]
