"""New customer (bad then good input), server errors next to fields, edit (PATCH rules),
new wallet — through the real dialogs against a real sandbox."""

from __future__ import annotations

import uuid

from PySide6.QtWidgets import QDialog

from desktop.ui.dialogs import CustomerFormDialog
from tests.support.qt import run


def _fill_identity(dlg, tag: str) -> None:
    dlg.set_value("firstName", "Grace")
    dlg.set_value("lastName", f"Hopper{tag}")
    dlg.set_value("email", f"grace.{tag}@example.com")
    dlg.set_value("phone", "+12125550123")
    dlg.set_value("birthDate", "1986-12-09")
    dlg.set_value("nationality", "US")
    dlg.set_value("externalId", f"usr_{tag}")
    dlg.set_value("residentialAddress.line1", "1 Navy Way")
    dlg.set_value("residentialAddress.city", "Arlington")
    dlg.set_value("residentialAddress.state", "VA")
    dlg.set_value("residentialAddress.zipCode", "22201")
    dlg.set_value("residentialAddress.country", "US")
    dlg.set_value("identifyingInformation.type", "ssn")
    dlg.set_value("identifyingInformation.issuingCountry", "US")
    dlg.set_value("identifyingInformation.number", "123-45-6789")


def test_new_customer_bad_then_good_input(qtbot, window):
    requests_before = window.api.requests_sent
    dlg = window.new_customer()
    assert isinstance(dlg, CustomerFormDialog) and dlg.isVisible()
    tag = uuid.uuid4().hex[:8]
    _fill_identity(dlg, tag)
    # Bad input, shown as typed, next to the field.
    dlg.set_value("email", "grace@nowhere")
    dlg.set_value("phone", "2125550123")
    dlg.set_value("birthDate", "1986-02-30")
    dlg.set_value("nationality", "XX")
    assert "name@example.com" in dlg.field_error("email")
    assert "E.164" in dlg.field_error("phone")
    assert "does not exist" in dlg.field_error("birthDate")
    assert "ISO" in dlg.field_error("nationality")
    dlg.save_button.click()
    assert dlg.isVisible()  # refused locally
    assert window.api.requests_sent == requests_before  # nothing was sent
    assert dlg.banners.has("error")

    # Fix them: errors disappear as typed, and the create goes through.
    dlg.set_value("email", f"grace.{tag}@example.com")
    dlg.set_value("phone", "+12125550123")
    dlg.set_value("birthDate", "1986-12-09")
    dlg.set_value("nationality", "US")
    for f in ("email", "phone", "birthDate", "nationality"):
        assert dlg.field_error(f) == ""
    with qtbot.waitSignal(dlg.saved, timeout=10000) as sig:
        dlg.save_button.click()
        assert not dlg.save_button.isEnabled()  # no double submit while it runs
    c = sig.args[0]
    assert c.email == f"grace.{tag}@example.com"
    assert dlg.result() == QDialog.DialogCode.Accepted
    # The window shows the new customer at the top, selected, fully endorsed.
    assert window.model.row_object(0).id == c.id
    qtbot.waitUntil(
        lambda: window.detail.customer is not None and window.detail.customer.id == c.id
    )
    assert {e.name: str(e.status) for e in c.endorsements} == {
        "basic": "ACTIVE",
        "cryptoCustody": "ACTIVE",
        "usd": "ACTIVE",
    }


def test_server_param_error_is_shown_next_to_its_field(qtbot, window):
    api = window.api

    # The dialog's own checks are stricter than the server's, so to see a real server
    # 400 we let the submit corrupt one field on its way out.
    async def submit(body, key):
        return await api.create_customer({**body, "phone": "12"}, idempotency_key=key)

    dlg = CustomerFormDialog(submit, parent=window)
    dlg.open()
    _fill_identity(dlg, uuid.uuid4().hex[:8])
    dlg.save_button.click()
    qtbot.waitUntil(lambda: dlg.field_error("phone") != "", timeout=10000)
    assert "E.164" in dlg.field_error("phone")
    assert dlg.isVisible() and dlg.save_button.isEnabled()
    dlg.reject()


def test_edit_customer_sends_only_changes_and_pending_endorsements(qtbot, window):
    api = window.api
    tag = uuid.uuid4().hex[:8]
    c = run(
        qtbot,
        api.create_customer(
            {"firstName": "Lin", "lastName": f"Pending{tag}", "endorsements": ["cryptoCustody"]}
        ),
    )
    assert str(c.endorsement("cryptoCustody").status) == "PENDING"
    window.select_customer(c)
    qtbot.waitUntil(
        lambda: window.detail.customer is not None and window.detail.customer.id == c.id
    )
    qtbot.waitUntil(lambda: not window.detail.loading)
    assert (
        "Missing"
        in window.detail.findChild(type(window.detail.title), "endorsement-cryptoCustody").text()
    )
    dlg = window.edit_customer()
    assert dlg.fields["firstName"].text() == "Lin"
    assert not dlg.endorsement_checks["cryptoCustody"].isEnabled()  # PATCH never removes
    # Nothing changed → nothing sent.
    dlg.save_button.click()
    assert dlg.banners.get("error").text == "Nothing changed."
    dlg.set_value("birthDate", "1970-01-01")
    dlg.set_value("residentialAddress.line1", "5 Side St")
    dlg.set_value("residentialAddress.city", "Austin")
    dlg.set_value("residentialAddress.zipCode", "73301")
    dlg.set_value("residentialAddress.country", "US")
    dlg.set_value("identifyingInformation.type", "passport")
    dlg.set_value("identifyingInformation.issuingCountry", "US")
    dlg.set_value("identifyingInformation.number", "X1234567")
    with qtbot.waitSignal(dlg.saved, timeout=10000) as sig:
        dlg.save_button.click()
    updated = sig.args[0]
    assert str(updated.endorsement("cryptoCustody").status) == "ACTIVE"
    assert updated.first_name == "Lin"
    qtbot.waitUntil(
        lambda: (
            "Granted"
            in window.detail.findChild(
                type(window.detail.title), "endorsement-cryptoCustody"
            ).text()
        )
    )


def test_new_wallet_creates_card_with_address_qr_and_balance(qtbot, window):
    api = window.api
    tag = uuid.uuid4().hex[:8]
    body = {
        "firstName": "Wal",
        "lastName": f"Let{tag}",
        "birthDate": "1980-01-01",
        "residentialAddress": {"line1": "1 A", "city": "B", "country": "US", "zipCode": "1"},
        "identifyingInformation": [{"type": "passport", "issuingCountry": "US", "number": "P1"}],
        "endorsements": ["basic", "cryptoCustody"],
    }
    c = run(qtbot, api.create_customer(body))
    window.select_customer(c)
    qtbot.waitUntil(lambda: window.detail.customer is not None and not window.detail.loading)
    assert window.detail.cards == {}
    assert window.new_wallet_action.isEnabled()
    dlg = window.new_wallet()
    with qtbot.waitSignal(dlg.created, timeout=10000) as sig:
        dlg.create_button.click()
        assert not dlg.create_button.isEnabled()
    w = sig.args[0]
    assert w.address.startswith("0x") and len(w.address) == 42
    qtbot.waitUntil(lambda: w.id in window.detail.cards, timeout=10000)
    card = window.detail.cards[w.id]
    assert card.address.value() == w.address
    assert card.qr.text() == w.address
    qtbot.waitUntil(lambda: card.balance.text() == "0.00 USDC", timeout=10000)
    card.address.copy()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == w.address
    # A second wallet for the same asset and chain is refused by the server: banner, no crash.
    dlg2 = window.new_wallet()
    dlg2.create_button.click()
    qtbot.waitUntil(lambda: dlg2.banners.has("error"), timeout=10000)
    assert dlg2.isVisible()
    dlg2.reject()


def test_fund_send_withdraw_buttons_open_the_wizard_for_that_wallet(qtbot, window, monkeypatch):
    calls = []
    monkeypatch.setattr(window, "_wizard", lambda kind, c, w: calls.append((c, w, kind)))
    c = next(c for c in window.model.objects() if c.wallets)
    window.select_customer(c)
    qtbot.waitUntil(lambda: bool(window.detail.cards) and not window.detail.loading, timeout=10000)
    card = next(iter(window.detail.cards.values()))
    card.send_button.click()
    assert calls and calls[0][0].id == c.id and calls[0][1].id == card.wallet.id
    assert calls[0][2] == "send"
    assert window.send_action.isEnabled()


def test_empty_new_customer_form_sends_nothing_and_names_the_required_fields(qtbot, window):
    requests_before = window.api.requests_sent
    dlg = window.new_customer()
    dlg.save_button.click()  # Create on an empty form
    assert dlg.isVisible() and window.api.requests_sent == requests_before
    assert dlg.field_error("firstName") == "Required." == dlg.field_error("lastName")
    # An ID type without a number is a field error, not silently dropped.
    dlg.set_value("firstName", "Ada")
    dlg.set_value("lastName", "Lovelace")
    dlg.set_value("identifyingInformation.type", "passport")
    dlg.save_button.click()
    assert "number" in dlg.field_error("identifyingInformation.number")
    assert window.api.requests_sent == requests_before
    dlg.reject()
