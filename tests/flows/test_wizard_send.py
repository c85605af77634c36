"""Send USDC wizard end to end against a real sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.display import remaining
from desktop.ui import theme
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
    # D18, pinned both ways: a 30 s quote counts down from 0:30, or from 0:29 when the
    # server's Date has whole seconds only (its real "now" may be up to 1 s later).
    quote = wiz.flow.quote
    lifetime = (quote.expires_at - quote.server_date).total_seconds()
    assert lifetime == 30
    expected = lifetime - (1 if quote.server_date.microsecond == 0 else 0)
    assert wiz.flow.remaining() == pytest.approx(expected)  # the UI clock stands still
    assert q.countdown.text() == f"Quote expires in {remaining(expected)}"
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


def test_quote_expires_before_confirm_and_new_quote_shows_changes(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("1000.00")
    wiz = open_send(env, qtbot, customer, wallet)
    fill_destination(wiz, qtbot, amount="100")
    q = wiz.quote_page
    first = q.quote
    env.clock.advance(20.5)  # UI clock only: ~9 s left → red
    q.countdown.refresh()
    assert q.countdown.is_urgent() and theme.colors().error[1] in q.countdown.styleSheet()
    assert q.isComplete()
    with qtbot.waitSignal(q.completeChanged, timeout=2000):
        env.clock.advance(10)
        q.countdown.refresh()
    assert not q.isComplete() and not q.validatePage()
    assert q.new_quote_button.isVisible() and "expired" in q.banner.text()
    # The customer now wants to receive exactly 100: the new quote differs, side by side.
    wiz.back()
    wiz.destination_page.receive_exactly.setChecked(True)
    wiz.next()
    qtbot.waitUntil(lambda: q.quote is not None and q.quote.id != first.id and q.isComplete())
    assert wiz.currentPage() is q
    assert "What changed" in q.changes.text()  # receive-exactly 100 costs more than 100
    assert "100.11" in q.changes.text()
    q.request_new_quote()  # and once more via the button path: figures the same
    qtbot.waitUntil(lambda: q.fetch_count == 3 and q.isComplete(), timeout=10000)
    assert "the same as before" in q.changes.text()


def test_back_then_next_keeps_a_live_quote_and_replaces_an_expired_one(money_env, qtbot):
    """Issue 19: Back then Next with the same request must not reuse an expired quote."""
    env = money_env
    customer, wallet = env.customer_with_wallet("1000.00")
    wiz = open_send(env, qtbot, customer, wallet)
    fill_destination(wiz, qtbot, amount="100")
    q = wiz.quote_page
    first = wiz.flow.quote
    wiz.back()
    wiz.next()  # same request, time left: the same quote, no new request
    assert wiz.flow.quote is first and q.fetch_count == 1 and q.isComplete()
    env.clock.advance(31)  # the UI clock passes the deadline
    wiz.back()
    wiz.next()  # same request, expired: a fresh quote, never the dead one
    assert wiz.flow.quote is None and not q.isComplete()
    qtbot.waitUntil(lambda: q.fetch_count == 2 and q.isComplete(), timeout=10000)
    assert wiz.flow.quote.id != first.id and wiz.flow.quote_valid()


def test_quote_change_diff_shown_after_new_quote(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("1000.00")
    wiz = open_send(env, qtbot, customer, wallet)
    fill_destination(wiz, qtbot, amount="100")
    q = wiz.quote_page
    env.clock.advance(31)
    q.countdown.refresh()
    assert not q.isComplete()
    wiz.destination_page.amount.set_text("200")  # body changes under the same page
    q.request_new_quote()
    qtbot.waitUntil(lambda: q.fetch_count == 2 and q.isComplete(), timeout=10000)
    text = q.changes.text()
    assert "What changed" in text and "100" in text and "200" in text


def test_quote_expired_at_server_returns_to_fresh_quote(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("1000.00")
    wiz = open_send(env, qtbot, customer, wallet)
    fill_destination(wiz, qtbot)
    q = wiz.quote_page
    first = q.quote
    env.advance(31)  # the server's clock passes expiresAt; the UI still shows time left
    assert q.isComplete()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.currentPage() is q and q.quote is not first, timeout=10000)
    qtbot.waitUntil(q.isComplete, timeout=10000)
    assert "nothing was sent" in q.banner.text()
    assert env.transactions() == []
    assert env.balance(wallet.id) == Decimal("1000")
    wiz.next()  # confirm the fresh quote: exactly one transaction
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    assert len(env.transactions()) == 1


def test_insufficient_funds_explained(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("50.00")
    wiz = open_send(env, qtbot, customer, wallet)
    wiz.next()
    page = wiz.destination_page
    page.address.set_text(ADDR)
    page.amount.set_text("60")
    assert not page.isComplete()
    assert "More than the available balance (50.00 USDC)" in page.amount.message.text()
    # "They receive exactly" 50: fees go on top; the server answers insufficient_funds.
    page.receive_exactly.setChecked(True)
    page.amount.set_text("50")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    wiz.next()
    q = wiz.quote_page
    qtbot.waitUntil(lambda: wiz.flow.quote_error is not None, timeout=10000)
    assert "does not hold enough USDC" in q.banner.text()
    assert not q.isComplete() and q.new_quote_button.text().replace("&", "") == "Try again"


def test_invalid_address_blocks_next(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("10.00")
    wiz = open_send(env, qtbot, customer, wallet)
    wiz.next()
    page = wiz.destination_page
    page.amount.set_text("1")
    bad = ADDR[:-1] + ("D" if ADDR[-1] == "d" else "d")  # one case flipped
    page.address.set_text(bad)
    assert not page.isComplete()
    assert "checksum" in page.address.message.text()
    page.address.set_text("0x1234")
    assert "40 characters" in page.address.message.text() and not page.isComplete()
    page.address.set_text(" " + ADDR + " \n")
    assert page.address.text() == ADDR and page.isComplete()


def test_dead_address_fails_and_refunds(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    wiz = open_send(env, qtbot, customer, wallet)
    fill_destination(wiz, qtbot, address="0x" + "1" * 36 + "dead", amount="10")
    wiz.next()
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    env.advance(3)
    qtbot.waitUntil(lambda: str(st.txn.status) == "failed", timeout=10000)
    assert "rejected the transfer" in st.error_label.text()
    assert "10.00 USDC refunded" in st.refund_label.text()
    assert [s for _, s in st.timeline.rows] == ["done", "done", "failed", "todo"]
    assert env.balance(wallet.id) == Decimal("100")


def test_send_to_other_oms_wallet_with_typed_confirmation(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("20000.00")
    other, other_wallet = env.customer_with_wallet(None)
    wiz = open_send(env, qtbot, customer, wallet)
    wiz.next()
    page = wiz.destination_page
    page.to_wallet.setChecked(True)
    page.dest_picker.load(other.id)
    qtbot.waitUntil(lambda: page.dest_picker.wallet_id() == other_wallet.id, timeout=10000)
    page.amount.fill_max()
    assert page.amount.text() == "20000.00"
    page.amount.set_text("12500")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    wiz.next()
    q = wiz.quote_page
    qtbot.waitUntil(lambda: q.quote is not None, timeout=10000)
    assert q.confirm_box.isVisible() and not q.isComplete()
    q.confirm_edit.setText("1,250.00")
    assert not q.isComplete()  # a slipped digit does not confirm
    q.confirm_edit.setText("12,500.00")
    assert q.isComplete()
    wiz.next()
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    env.advance(6)
    qtbot.waitUntil(lambda: str(st.txn.status) == "completed", timeout=10000)
    assert env.balance(other_wallet.id) == st.txn.destination.amount_net


def test_closing_while_quoting_cancels_cleanly(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    wiz = open_send(env, qtbot, customer, wallet)
    wiz.next()
    wiz.destination_page.address.set_text(ADDR)
    wiz.destination_page.amount.set_text("5")
    wiz.next()
    assert wiz.flow.quoting
    wiz.reject()  # Escape while the quote is on its way
    qtbot.waitUntil(wiz.scope.is_idle, timeout=5000)
    assert wiz.flow.quote is None  # the late answer was dropped, no error raised
    assert env.transactions() == []
