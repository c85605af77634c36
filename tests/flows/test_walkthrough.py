"""The support agent's walk-through (issue 12): work that crosses views tells one story.

Each test runs the real main window on a Session against a sandbox of its own, and checks
what the operator sees, without pressing F5.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings

from desktop.oms import errors
from desktop.oms.outbox import EntryState
from desktop.ui.main_window import MainWindow
from desktop.ui.wizards.send import SendWizard
from desktop.ui.wizards.withdraw import WithdrawWizard

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def open_desk(env, qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)
    w.set_session(env.ctx)
    w.show()
    return w


def close_desk(env, w: MainWindow) -> None:
    async def down():
        await w.drain(2.0)

    w.close()
    env.run(down())
    w.deleteLater()


@pytest.fixture
def desk(money_env, qtbot, tmp_path):
    w = open_desk(money_env, qtbot, tmp_path)
    yield w
    close_desk(money_env, w)


def show_customer(w: MainWindow, qtbot, customer) -> None:
    w.select_customer(customer)
    qtbot.waitUntil(lambda: w.detail.customer is not None and not w.detail.loading, timeout=10000)
    qtbot.waitUntil(lambda: bool(w.detail.cards), timeout=10000)


def quote_send(env, customer, wallet, amount="10.00"):
    return env.run(
        env.client.create_quote(
            {
                "customerId": customer.id,
                "source": {
                    "walletId": wallet.id,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": amount,
                },
                "destination": {
                    "wallet": {"blockchainAddress": ADDR},
                    "asset": "usdc",
                    "network": "polygon",
                },
            }
        )
    )


def drive_send_to_quote(wiz, qtbot, amount="10"):
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wiz.next()
    wiz.destination_page.address.set_text(ADDR)
    wiz.destination_page.amount.set_text(amount)
    qtbot.waitUntil(wiz.destination_page.isComplete, timeout=2000)
    wiz.next()
    qtbot.waitUntil(wiz.quote_page.isComplete, timeout=10000)


def status_cell(w: MainWindow, row: int = 0) -> str:
    m = w.detail.tx_model
    return m.index(row, 2).data()


def test_withdrawal_completing_updates_the_customer_pane_without_refresh(
    money_env, desk, qtbot, monkeypatch
):
    env = money_env
    customer, wallet = env.customer_with_wallet("500.00")
    show_customer(desk, qtbot, customer)
    reloads = []
    monkeypatch.setattr(desk.detail, "reload", lambda: reloads.append(1))  # no F5 from here
    wiz = desk.open_withdraw_wizard(customer, wallet)
    assert isinstance(wiz, WithdrawWizard)
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wiz.next()
    page = wiz.account_page
    page.wire.setChecked(True)
    box = page.register_box
    box.holder.setText("Ada Lovelace")
    box.routing.setText("021000021")
    box.account.setText("000123456789")
    box.register_button.click()
    qtbot.waitUntil(lambda: page.account_combo.count() == 1, timeout=10000)
    page.amount.set_text("100.00")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    wiz.next()
    qtbot.waitUntil(wiz.quote_page.isComplete, timeout=10000)
    wiz.next()
    qtbot.waitUntil(lambda: wiz.status_page.txn is not None, timeout=10000)
    tid = wiz.status_page.txn.id
    wiz.reject()  # the operator closes the wizard; the pane keeps the story
    m = desk.detail.tx_model
    qtbot.waitUntil(lambda: m.rowCount() == 1 and m.transaction(0).id == tid, timeout=5000)
    env.advance(6)
    qtbot.waitUntil(lambda: "submitted to the bank" in status_cell(desk), timeout=10000)
    env.advance(60)
    qtbot.waitUntil(lambda: status_cell(desk).startswith("Completed"), timeout=10000)
    card = desk.detail.cards[wallet.id]
    qtbot.waitUntil(lambda: card.balance.text().startswith("400.00"), timeout=10000)
    assert reloads == []
    assert env.balance(wallet.id) == Decimal("400")


def test_send_made_in_a_wizard_appears_in_recent_transactions_at_once(
    money_env, desk, qtbot, monkeypatch
):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    show_customer(desk, qtbot, customer)
    m = desk.detail.tx_model
    assert m.rowCount() == 0
    reloads = []
    monkeypatch.setattr(desk.detail, "reload", lambda: reloads.append(1))
    wiz = desk.open_send_wizard(customer, wallet)
    assert isinstance(wiz, SendWizard)
    drive_send_to_quote(wiz, qtbot)
    wiz.next()
    qtbot.waitUntil(lambda: wiz.status_page.txn is not None, timeout=10000)
    # Within one coalescing period of the answer: no poll, no refresh.
    qtbot.waitUntil(lambda: m.rowCount() == 1, timeout=1000)
    assert m.transaction(0).id == wiz.status_page.txn.id
    assert "Processing" in status_cell(desk)
    wiz.reject()
    env.advance(6)
    qtbot.waitUntil(lambda: status_cell(desk).startswith("Completed"), timeout=10000)
    assert reloads == []


def test_failed_send_after_its_wizard_was_closed_raises_a_notice(money_env, desk, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    show_customer(desk, qtbot, customer)
    wiz = desk.open_send_wizard(customer, wallet)
    drive_send_to_quote(wiz, qtbot, amount="10")
    env.advance(31)  # the server's quote lapses; the wizard's clock does not know yet
    wiz.next()  # confirm: the POST is on its way …
    wiz.reject()  # … and the wizard is closed before the refusal comes back

    def notices() -> list[str]:
        return [k for k in desk.banners.keys() if k.startswith("notice:refused:")]  # noqa: SIM118

    qtbot.waitUntil(lambda: bool(notices()), timeout=10000)
    banner = desk.banners.get(notices()[0])
    assert banner.kind == "error"
    assert "Ada Lovelace" in banner.text and "10.00 USDC" in banner.text
    assert "expired" in banner.text.lower()
    assert "Open" in banner.buttons  # links to what it is about
    assert env.transactions() == []
    # Shown: the outbox entry is acknowledged and will not come back on the next start.
    assert [e.state for e in env.ctx.outbox.entries()] == [EntryState.ACKNOWLEDGED]


def test_tracked_transaction_that_fails_raises_a_notice(money_env, desk, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    failing = env.run(
        env.client.create_quote(
            {
                "customerId": customer.id,
                "source": {
                    "walletId": wallet.id,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "1.50",
                },
                "destination": {
                    "wallet": {"blockchainAddress": "0x" + "2" * 36 + "dead"},
                    "asset": "usdc",
                    "network": "polygon",
                },
            }
        )
    )
    task = env.ctx.hub.submit_transaction(failing.id, "k-fails-later")
    qtbot.waitUntil(task.done, timeout=10000)
    txn = task.result()
    env.advance(6)
    key = f"notice:failed:{txn.id}"
    qtbot.waitUntil(lambda: desk.banners.has(key), timeout=10000)
    assert "1.50 USDC" in desk.banners.get(key).text
    assert "Open" in desk.banners.get(key).buttons


def test_following_banner_clears_when_the_last_one_lands(money_env, desk, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    q1 = quote_send(env, customer, wallet, "1.00")
    q2 = quote_send(env, customer, wallet, "2.00")
    t1 = env.run(env.client.create_transaction(q1.id))
    t2 = env.run(env.client.create_transaction(q2.id))
    resume = env.ctx.resume()  # what the app does when the session opens
    qtbot.waitUntil(resume.done, timeout=15000)
    assert resume.exception() is None
    qtbot.waitUntil(lambda: desk.banners.has("following"), timeout=5000)
    assert "Following 2 transactions" in desk.banners.get("following").text
    env.advance(6)
    qtbot.waitUntil(lambda: not desk.banners.has("following"), timeout=10000)
    # A resumed transaction that completes gets its result notice.
    for t in (t1, t2):
        assert desk.banners.has(f"notice:done:{t.id}")
    assert desk.banners.hidden_count() == len(desk.banners.keys()) - len(
        desk.banners.visible_keys()
    )


def test_final_outbox_entry_is_shown_once_then_never_again(
    fresh_sandbox, money_env_factory, qtbot, tmp_path
):
    sb = fresh_sandbox
    first = money_env_factory(sb, tmp_path)
    customer, wallet = first.customer_with_wallet("100.00")
    q = quote_send(first, customer, wallet)
    first.advance(31)  # lapsed: the server refuses it for good
    with pytest.raises(errors.OmsError):
        first.run(first.ctx.outbox.submit_transaction(first.client, q.id, key="k-refused"))
    assert first.ctx.outbox.get("k-refused").state is EntryState.FAILED  # app "died" here

    # Next start: the entry is shown once, in the main window.
    w = open_desk(first, qtbot, tmp_path)
    try:
        resume = first.ctx.resume()
        qtbot.waitUntil(resume.done, timeout=15000)
        assert resume.exception() is None
        qtbot.waitUntil(lambda: w.banners.has("notice:outbox:k-refused"), timeout=5000)
        assert "refused" in w.banners.get("notice:outbox:k-refused").text
        assert first.ctx.outbox.get("k-refused").state is EntryState.ACKNOWLEDGED
    finally:
        close_desk(first, w)

    # The start after that: never again.
    second = money_env_factory(sb, tmp_path)
    seen = []
    second.ctx.hub.notice.connect(seen.append)
    resume = second.ctx.resume()
    qtbot.waitUntil(resume.done, timeout=15000)
    assert resume.exception() is None
    assert not [n for n in seen if "k-refused" in n.key or "k-refused" in n.text]


def test_banner_area_policy(qtbot):
    from desktop.ui.widgets.banner import BannerArea

    area = BannerArea()
    qtbot.addWidget(area)
    area.show()
    area.set("a", "Server unreachable", "warning")
    assert area.set("b", "Server unreachable", "error") is None  # never twice
    area.set("c", "Third", "info")
    area.set("d", "Fourth", "error")
    area.set("e", "Fifth", "info")
    assert len(area.visible_keys()) == 2 and area.hidden_count() == 2
    assert area.visible_keys()[0] == "d"  # errors first
    assert "2 more" in area.more.text() and area.more.isVisible()
    area.get("d")._dismiss()
    assert area.set("d2", "Fourth", "error") is None  # dismissed stays dismissed
    assert len(area.visible_keys()) == 2 and area.hidden_count() == 1
    area.remove("a")
    area.remove("c")
    area.remove("e")
    assert area.keys() == [] and not area.more.isVisible()


def test_resume_runs_from_the_session_not_from_a_tab(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    q = quote_send(env, customer, wallet, "3.00")
    t = env.run(env.client.create_transaction(q.id))
    task = env.ctx.resume()
    assert env.ctx.resume() is None  # once per session
    qtbot.waitUntil(task.done, timeout=15000)
    assert env.ctx.hub.is_tracking("transaction", t.id)
    assert env.ctx.hub.following() == (1, 0)
