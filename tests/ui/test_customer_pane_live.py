"""Issue 14: every view reads live state from the session's hub. The customer pane has no
timer of its own: a wallet's balance is read again when a transaction of that customer
changes in the hub (and on F5), never on a clock."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

from desktop.display import money
from tests.support.identity import identity
from tests.support.qt import run


def test_a_completed_transaction_updates_the_balance_without_a_timer(qtbot, window):
    api = window.api
    tag = uuid.uuid4().hex[:8]
    c = run(qtbot, api.create_customer(identity(email=f"live.{tag}@example.com")))
    w = run(qtbot, api.create_wallet(c.id))
    run(qtbot, api.sandbox_deposit(w.id, "25.00"))
    window.select_customer(c)
    d = window.detail
    qtbot.waitUntil(lambda: w.id in d.cards, timeout=10000)
    card = d.cards[w.id]
    qtbot.waitUntil(lambda: card.balance.text() == "25.00 USDC", timeout=10000)
    # No poller of its own in the pane.
    assert not [t for t in d.findChildren(QTimer) if t.isActive() and t.interval() >= 1000]

    # A send made elsewhere (another desk, the API): the pane does not know of it yet.
    q = run(
        qtbot,
        api.create_quote(
            {
                "customerId": c.id,
                "source": {
                    "walletId": w.id,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "5.00",
                },
                "destination": {
                    "wallet": {"blockchainAddress": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
                    "asset": "usdc",
                    "network": "polygon",
                },
            }
        ),
    )
    t = run(qtbot, api.create_transaction(q.id))
    run(qtbot, api.sandbox_advance_clock(30))
    done = run(qtbot, api.get_transaction(t.id))
    assert str(done.status) == "completed"
    expected = run(qtbot, api.get_balance(w.id))
    assert card.balance.text() == "25.00 USDC"  # nothing polled behind the hub's back

    # The tracker (or a page) publishes the completed transaction: the pane reads the
    # balance once and shows it.
    window.session.hub.publish_transaction(done)
    qtbot.waitUntil(lambda: card.balance.text() != "25.00 USDC", timeout=10000)
    assert card.balance.text() == money(expected.balance, "usdc") == "20.00 USDC"


def test_deposit_addresses_are_listed_beside_bank_funding(qtbot, window):
    api = window.api
    tag = uuid.uuid4().hex[:8]
    c = run(qtbot, api.create_customer(identity(email=f"da.{tag}@example.com")))
    w = run(qtbot, api.create_wallet(c.id))
    da = run(qtbot, api.create_deposit_address(c.id, w.id, label="Exchange payouts"))
    window.select_customer(c)
    acc = window.detail.accounts
    qtbot.waitUntil(lambda: acc.da_state == "found", timeout=10000)
    assert [d.id for d in acc.deposit_addresses] == [da.id]
    from desktop.flows.story import short_address
    from desktop.ui.widgets.copyable import CopyableValue

    values = [v.value() for v in acc.da_box.findChildren(CopyableValue)]
    assert values == [da.deposit_instructions.address]

    def texts() -> str:
        return " ".join(lab.text() for lab in acc.da_box.findChildren(QLabel))

    assert "Exchange payouts" in texts() and "ACTIVE" in texts()
    # The wallet it pays into, by its short address once the pane's wallets are in (by its
    # id until then: which comes first depends on the order the answers arrive).
    qtbot.waitUntil(lambda: f"into wallet {short_address(w.address)}" in texts(), timeout=10000)
    assert w.id not in texts()
    # A second one made elsewhere (the Receive dialog) arrives through the hub.
    run(qtbot, api.create_deposit_address(c.id, w.id, label="Second"))
    window.session.hub.accountsChanged.emit(c.id)
    qtbot.waitUntil(lambda: len(acc.deposit_addresses) == 2, timeout=10000)


def test_a_deposit_first_seen_already_completed_gets_its_notice_once():
    from desktop.oms.models import parse_transaction
    from desktop.ui.hub import ChangeHub

    watched = []

    class _Tracker:
        def watch(self, kind, ident, cb):
            watched.append(ident)
            return type("H", (), {"cancel": lambda self: None})()

    class _Session:
        tracker = _Tracker()
        feed = None

    hub = ChangeHub(_Session())
    hub.names["cst_x"] = ("Kim Lee", "kim.lee@example.com")  # known: no lookup
    notices = []
    hub.notice.connect(notices.append)
    body = {
        "object": "transaction",
        "type": "cryptoToCrypto",
        "recipient": "cst_x",
        "depositAddressId": "da_1",
        "source": {"amountGross": "12.50", "asset": "usdc", "depositAddressId": "da_1"},
        "destination": {"amountNet": "12.50", "asset": "usdc"},
    }
    done = parse_transaction({**body, "id": "txn_done", "status": "completed"})
    hub._deposit_seen(done)
    assert [n.key for n in notices] == ["deposit:txn_done"] and notices[0].kind == "success"
    hub._deposit_seen(done)  # seen again: said once
    assert len(notices) == 1 and watched == []
    moving = parse_transaction({**body, "id": "txn_moving", "status": "processing"})
    hub._deposit_seen(moving)  # in flight: followed, its notice comes when it ends
    assert len(notices) == 1 and watched == ["txn_moving"]
