"""Receive USDC, saved addresses and the customer pane's accounts (D22, D23) end to end
against a real sandbox; and the early-access fallback against a server that answers 404
for these resources (the sandbox behind a transport that hides them)."""

from __future__ import annotations

from decimal import Decimal

import httpx

from desktop.display import kind_name
from desktop.flows.validators import to_checksum_address
from desktop.oms.client import Credentials, OmsClient
from desktop.ui.customer_accounts import CustomerAccounts
from desktop.ui.transactions import row_values
from desktop.ui.wizards.fund import FundWizard
from desktop.ui.wizards.receive import ReceiveDialog
from desktop.ui.wizards.send import SendWizard
from tests.support.money import _close, make_context

SENDER = to_checksum_address("0x" + "1234" + "5" * 32 + "6789")
OUTSIDE = to_checksum_address("0x" + "ab12" + "0" * 32 + "cd34")
LOOKALIKE = to_checksum_address("0x" + "ab12" + "f" * 32 + "cd34")


def open_send(env, qtbot, customer, wallet):
    wiz = SendWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wiz.next()
    page = wiz.destination_page
    qtbot.waitUntil(lambda: wiz.flow.saved_state != "unknown", timeout=10000)
    return wiz, page


def send_and_complete(env, qtbot, wiz):
    wiz.next()
    qtbot.waitUntil(wiz.quote_page.isComplete, timeout=10000)
    wiz.next()
    st = wiz.status_page
    qtbot.waitUntil(lambda: st.txn is not None, timeout=10000)
    env.advance(6)
    qtbot.waitUntil(lambda: str(st.txn.status) == "completed", timeout=10000)
    return st


def test_receive_usdc_at_a_deposit_address(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    notices = []
    env.ctx.hub.notice.connect(notices.append)
    dlg = ReceiveDialog(env.ctx, customer.id, wallet.id)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.warning.text().startswith("USDC on Polygon only.")
    qtbot.waitUntil(lambda: dlg.state == "none", timeout=10000)
    assert dlg.create_button.isVisible() and not dlg.address_box.isVisible()
    dlg.create_button.click()
    qtbot.waitUntil(lambda: dlg.deposit_address is not None, timeout=10000)
    address = dlg.deposit_address.address
    assert address.startswith("0x") and address == to_checksum_address(address)
    assert dlg.address.value() == address and dlg.qr.text() == address
    assert dlg.sim_box.isVisible()

    dlg.sim_amount.set_text("25.00")
    dlg.sim_from.setText(SENDER.lower())
    dlg.sim_button.click()
    qtbot.waitUntil(lambda: len(dlg.receives) == 1, timeout=10000)
    env.advance(5)
    qtbot.waitUntil(
        lambda: all(str(t.status) == "completed" for t in dlg.receives.values()), timeout=10000
    )
    line = dlg.receive_list.item(0).text()
    assert line == f"Receive of 25.00 USDC from {SENDER}: completed, 25.00 USDC credited."
    assert env.balance(wallet.id) == Decimal("25")
    (txn,) = dlg.receives.values()
    assert kind_name(env.ctx.hub.transactions[txn.id], customer.id) == "Receive"
    row = row_values(env.ctx.hub.transactions[txn.id])  # the Transactions tab's row
    assert (row[1], row[5]) == ("Receive", f"{SENDER[:6]}…{SENDER[-4:]}")  # short in a cell
    assert [n.kind for n in notices if n.key == f"deposit:{txn.id}"] == ["success"]

    # Opening Receive again shows the same address (one per wallet is enough).
    again = ReceiveDialog(env.ctx, customer.id, wallet.id)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.state == "found", timeout=10000)
    assert again.deposit_address.id == dlg.deposit_address.id


def test_save_a_new_address_after_a_send_then_send_to_it_by_label(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("1000.00")
    pane = CustomerAccounts()
    qtbot.addWidget(pane)
    pane.set_session(env.ctx)
    pane.show_customer(customer.id)
    qtbot.waitUntil(lambda: pane.saved_state == "found", timeout=10000)
    assert pane.saved == []

    wiz, page = open_send(env, qtbot, customer, wallet)
    assert not page.to_saved.isEnabled()  # nothing saved yet
    page.address.set_text(OUTSIDE)
    page.amount.set_text("5")
    qtbot.waitUntil(page.isComplete, timeout=2000)
    st = send_and_complete(env, qtbot, wiz)
    box = st.save_box
    assert box.isVisible()  # a completed send to a new address: offer to save it
    box.label_edit.setText("Cold wallet")
    box.save_button.click()
    qtbot.waitUntil(lambda: "Saved as “Cold wallet”" in box.result.text(), timeout=10000)
    # The customer pane learns it through the hub: label and date added.
    qtbot.waitUntil(lambda: [s.label for s in pane.saved] == ["Cold wallet"], timeout=10000)
    saved = pane.saved[0]
    assert saved.address == OUTSIDE and saved.created_at is not None
    assert saved.id.startswith("cpBcAddr_")

    wiz2, page2 = open_send(env, qtbot, customer, wallet)
    assert page2.to_saved.isEnabled()
    page2.to_saved.setChecked(True)
    assert page2.saved_combo.isVisible() and not page2.address.isVisible()
    assert page2.saved_combo.currentText() == f"Cold wallet  —  {OUTSIDE}"
    page2.amount.set_text("10")
    qtbot.waitUntil(page2.isComplete, timeout=2000)
    assert wiz2.flow.body()["destination"]["wallet"] == {"externalAccount": saved.id}
    st2 = send_and_complete(env, qtbot, wiz2)
    dest = st2.txn.destination.wallet
    assert (dest.external_account_id, dest.blockchain_address) == (saved.id, OUTSIDE)
    assert st2.to_label.text() == f"Cold wallet — {OUTSIDE}"
    assert not st2.save_box.isVisible()  # already saved: nothing to offer
    assert env.balance(wallet.id) == Decimal("985")  # 1000 − 5 − 10 (fees come out of each)


def test_an_address_resembling_a_saved_one_is_named_in_a_warning(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("1000.00")
    env.run(env.client.create_saved_address(customer.id, OUTSIDE, "Cold wallet"))
    wiz, page = open_send(env, qtbot, customer, wallet)
    page.amount.set_text("5")
    page.address.set_text(LOOKALIKE)
    assert page.lookalike.isVisible() and page.lookalike_ok.isVisible()
    assert "“Cold wallet”" in page.lookalike.text() and OUTSIDE in page.lookalike.text()
    assert "middle characters" in page.lookalike.text()
    assert not page.isComplete()  # not without the operator's confirmation
    page.lookalike_ok.setChecked(True)
    assert page.isComplete()
    assert wiz.flow.body()["destination"]["wallet"] == {"blockchainAddress": LOOKALIKE}
    # Another address needs its own confirmation; the saved address itself needs none.
    page.address.set_text(OUTSIDE.lower())
    assert not page.lookalike.isVisible() and not page.lookalike_ok.isChecked()
    assert page.isComplete()
    saved_id = wiz.flow.request.saved[0].id
    assert wiz.flow.body()["destination"]["wallet"] == {"externalAccount": saved_id}


def test_the_customer_pane_pauses_and_resumes_a_bank_funding_account(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet(None)
    va = env.run(env.client.create_virtual_account(customer.id, wallet.id))
    pane = CustomerAccounts()
    qtbot.addWidget(pane)
    pane.set_session(env.ctx)
    pane.show_customer(customer.id)
    qtbot.waitUntil(lambda: va.id in pane.pause_buttons, timeout=10000)
    assert pane.pause_buttons[va.id].text().replace("&", "") == "Pause"
    pane.pause_buttons[va.id].click()
    qtbot.waitUntil(
        lambda: pane.pause_buttons[va.id].text().replace("&", "") == "Resume", timeout=10000
    )
    assert str(env.run(env.client.get_virtual_account(va.id)).status) == "paused"
    pane.pause_buttons[va.id].click()
    qtbot.waitUntil(
        lambda: pane.pause_buttons[va.id].text().replace("&", "") == "Pause", timeout=10000
    )
    assert str(env.run(env.client.get_virtual_account(va.id)).status) == "active"


class EarlyAccessMissing(httpx.AsyncBaseTransport):
    """A server without the early-access resources: they answer 404; the rest is real."""

    HIDDEN = ("virtual-accounts", "deposit-addresses", "external-accounts")

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hidden = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if any(part in request.url.path for part in self.HIDDEN):
            self.hidden += 1
            return httpx.Response(
                404, json={"error": {"code": "not_found", "message": "Not found"}}
            )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_without_the_early_access_resources_the_desk_explains_and_still_sends(
    money_env_factory, fresh_sandbox, qtbot, tmp_path
):
    base = money_env_factory(fresh_sandbox)  # the real sandbox, for setting up and clocks
    customer, wallet = base.customer_with_wallet("1000.00")
    transport = EarlyAccessMissing()
    client = OmsClient(
        fresh_sandbox.base_url,
        Credentials(fresh_sandbox.api_key, fresh_sandbox.api_secret),
        transport=transport,
        monotonic=base.clock,
        timeout=10.0,
    )
    env = base.__class__(
        fresh_sandbox,
        make_context(fresh_sandbox, client, tmp_path / "other-outbox.sqlite", base.clock),
        client,
        base.loop,
        qtbot,
        base.clock,
        tmp_path / "other-outbox.sqlite",
    )
    try:
        pane = CustomerAccounts()
        qtbot.addWidget(pane)
        pane.set_session(env.ctx)
        pane.show_customer(customer.id)
        qtbot.waitUntil(
            lambda: pane.va_state == "unavailable" and pane.saved_state == "unavailable",
            timeout=10000,
        )
        texts = [pane.va_grid.itemAt(0).widget().text(), pane.saved_grid.itemAt(0).widget().text()]
        assert all("early-access OMS feature" in t for t in texts)

        wiz = FundWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
        qtbot.addWidget(wiz)
        wiz.show()
        wiz.amount_page.bank_method.setChecked(True)
        qtbot.waitUntil(wiz.amount_page.isComplete, timeout=10000)
        wiz.next()
        qtbot.waitUntil(lambda: wiz.flow.va_state == "unavailable", timeout=10000)
        assert "Bank funding through a virtual account is an early-access" in (
            wiz.bank_page.state.text()
        )
        assert not wiz.bank_page.create_button.isVisible()

        dlg = ReceiveDialog(env.ctx, customer.id, wallet.id)
        qtbot.addWidget(dlg)
        qtbot.waitUntil(lambda: dlg.state == "unavailable", timeout=10000)
        assert "early-access" in dlg.message.text() and not dlg.create_button.isVisible()

        # Sending to a typed address works as before; there is nothing to pick or save.
        swiz, page = open_send(env, qtbot, customer, wallet)
        assert wiz.flow.va_state == "unavailable" and swiz.flow.saved_state == "unavailable"
        assert not page.to_saved.isEnabled() and "early-access" in page.saved_note.text()
        page.address.set_text(OUTSIDE)
        page.amount.set_text("5")
        qtbot.waitUntil(page.isComplete, timeout=2000)
        st = send_and_complete(env, qtbot, swiz)
        assert not st.save_box.isVisible()
        assert transport.hidden >= 5
    finally:
        _close(env)
