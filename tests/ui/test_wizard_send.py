"""Send USDC wizard end to end against a real sandbox."""

from __future__ import annotations

from decimal import Decimal

from wizard_fixtures import *  # noqa: F403

from desktop.ui.wizards.send import SendWizard

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def open_send(env, qtbot, customer, wallet):
    wiz = SendWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(lambda: wiz.source_page.isComplete(), timeout=10000)
    return wiz


def fill_destination(wiz, qtbot, address=ADDR, amount="100"):
    wiz.next()
    page = wiz.destination_page
    page.address.set_text(address)
    page.amount.set_text(amount)
    qtbot.waitUntil(page.isComplete, timeout=2000)
    wiz.next()
    qtbot.waitUntil(lambda: wiz.quote_page.isComplete(), timeout=10000)


def test_send_to_address_end_to_end(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("1000.00")
    wiz = open_send(env, qtbot, customer, wallet)
    fill_destination(wiz, qtbot, address="  " + ADDR.lower() + "\n")
    q = wiz.quote_page
    assert q.fields["src_gross"].text() == "100.00 USDC"
    assert q.fields["fee_oms"].text() == "0.10 USDC"
    assert q.fields["dst_net"].text() == "99.89 USDC"
    assert "Quote expires in 0:30" in q.countdown.text()
    wiz.next()
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    env.advance(6)
    qtbot.waitUntil(lambda: str(st.txn.status) == "completed", timeout=10000)
    assert st.txn.destination.tx_hash.startswith("0x")
    assert st.hash_label.value() == st.txn.destination.tx_hash
    assert "Completed" in st.headline.text()
    assert env.balance(wallet.id) == Decimal("900")
    assert len(env.transactions()) == 1
