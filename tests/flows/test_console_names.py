"""Issue 14, item 2: names, not ids — the destination OMS wallet is found by name, email
or id with live results, and the quote page names the wallet's owner."""

from __future__ import annotations

from desktop.ui.wizards.send import SendWizard
from tests.support.identity import IDENTITY


def test_destination_wallet_by_name_email_or_id(money_env, qtbot):
    env = money_env
    sender, wallet = env.customer_with_wallet("100.00")
    friend = env.run(
        env.client.create_customer(
            {**IDENTITY, "firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com"}
        )
    )
    friend_wallet = env.run(env.client.create_wallet(friend.id))
    hub = env.ctx.hub
    hub.publish_customer(friend)  # a page listed this customer: the name cache knows it
    wiz = SendWizard(env.ctx, customer_id=sender.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wiz.next()
    page = wiz.destination_page
    page.to_wallet.setChecked(True)
    picker = page.dest_picker
    # Live results for part of the name, the email, the id.
    for typed in (friend.first_name[:3].lower(), friend.email, friend.id):
        picker.customer_edit.setText(typed)
        picker._suggest()
        qtbot.waitUntil(
            lambda: any(friend.id in s for s in picker.suggestions.stringList()), timeout=5000
        )
    # A unique name loads that customer's wallets; no cst_ id typed.
    picker.load(friend.display_name)
    qtbot.waitUntil(lambda: picker.wallet_id() == friend_wallet.id, timeout=10000)
    page.amount.set_text("5")
    qtbot.waitUntil(page.isComplete, timeout=5000)
    wiz.next()
    q = wiz.quote_page
    qtbot.waitUntil(q.isComplete, timeout=10000)
    to = q.fields["dst_to"].text()
    assert friend.display_name in to and friend_wallet.id in to
    wiz.reject()
