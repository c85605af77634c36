"""Issue 14 (support console depth): small places where a raw value or an id still showed.

* the Fund wizard's code page names the cash-in's status in plain words (the one
  formatter, :func:`desktop.display.status_words`), never ``status pending``;
* a saved address's label reaches the hub's name cache when the send wizard saves it,
  not only when a customer's pane happens to load the customer's saved addresses.
"""

from __future__ import annotations

from desktop.display import status_words
from desktop.flows.validators import to_checksum_address
from desktop.ui.transactions import row_values
from desktop.ui.wizards.fund import FundWizard
from desktop.ui.wizards.send import SendWizard
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


OUTSIDE = to_checksum_address("0x" + "ab12" + "0" * 32 + "cd34")


def _send(env, qtbot, customer, wallet, *, saved: bool = False):
    wiz = SendWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wiz.next()
    page = wiz.destination_page
    qtbot.waitUntil(lambda: wiz.flow.saved_state != "unknown", timeout=10000)
    if saved:
        page.to_saved.setChecked(True)
    else:
        page.address.set_text(OUTSIDE)
    page.amount.set_text("5")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    wiz.next()
    qtbot.waitUntil(wiz.quote_page.isComplete, timeout=10000)
    wiz.next()
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    env.advance(6)
    qtbot.waitUntil(lambda: str(st.txn.status) == "completed", timeout=10000)
    return st


def test_saved_address_label_reaches_the_name_cache_at_once(money_env, qtbot):  # noqa: F811
    """No customer pane is open: the label the send wizard saved is what the Transactions
    tab's Counterparty cell reads for the next send to that address."""
    env = money_env
    hub = env.ctx.hub
    customer, wallet = env.customer_with_wallet("1000.00")
    box = _send(env, qtbot, customer, wallet).save_box
    assert box.isVisible()
    box.label_edit.setText("Cold wallet")
    box.save_button.click()
    qtbot.waitUntil(lambda: "Saved as “Cold wallet”" in box.result.text(), timeout=10000)
    (saved_id,) = [k for k, v in hub.account_labels.items() if v == "Cold wallet"]
    assert saved_id.startswith("cpBcAddr_")
    st = _send(env, qtbot, customer, wallet, saved=True)
    assert st.txn.destination.wallet.external_account_id == saved_id
    cell = row_values(hub.transactions[st.txn.id], hub, customer.id)[5]
    assert cell == f"Cold wallet ({OUTSIDE[:6]}…{OUTSIDE[-4:]})", cell


def test_endorsements_in_words_the_worst_first():
    """The customers list's summary and tooltip: a support agent reads the problem first
    and in words ("revoked", not the wire's REVOKED_ISSUES)."""
    from desktop.oms import models
    from desktop.ui.customers import endorsement_summary, endorsement_tooltip

    def customer(*statuses):
        return models.parse_customer(
            {
                "id": "cst_1",
                "object": "customer",
                "endorsements": [{"name": f"e{i}", "status": st} for i, st in enumerate(statuses)],
            }
        )

    mixed = customer("ACTIVE", "ACTIVE", "PENDING", "REVOKED_ISSUES")
    assert endorsement_summary(mixed) == "1 revoked, 1 pending, 2 active"
    assert endorsement_tooltip(mixed).splitlines() == [
        "e0: active",
        "e1: active",
        "e2: pending",
        "e3: revoked",
    ]
    assert endorsement_summary(customer("ACTIVE", "ACTIVE")) == "✓ 2 active"
    assert endorsement_summary(customer("INACTIVE")) == "none requested"
    assert endorsement_summary(customer("REJECTED", "ISSUES")) == "1 rejected, 1 with issues"
