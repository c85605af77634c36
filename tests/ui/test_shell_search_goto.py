"""Search (server filters + name filter) and the Go-to box, against a real sandbox."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt

from desktop.ui.customers import ROLE_OBJECT
from desktop.ui.goto import Target
from tests.support.qt import run


def _make_customer(qtbot, api, **extra):
    tag = uuid.uuid4().hex[:10]
    body = {
        "firstName": "Zed",
        "lastName": f"Searchable{tag}",
        "email": f"zed.{tag}@example.com",
        "externalId": f"ext_{tag}",
        **extra,
    }
    return run(qtbot, api.create_customer(body))


def test_search_by_email_external_id_and_customer_id(qtbot, window):
    c = _make_customer(qtbot, window.api)

    window.search_box.setText(c.email)  # an @ switches the mode to Email
    assert window.search_mode.currentText() == "Email"
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.model.loading and window.model.rowCount() == 1)
    assert window.model.row_object(0).id == c.id

    window.search_mode.setCurrentText("External id")
    window.search_box.setText(c.external_id)
    window.run_search()
    qtbot.waitUntil(lambda: not window.model.loading)
    assert [window.model.row_object(r).id for r in range(window.model.rowCount())] == [c.id]

    window.search_box.setText(c.id)
    assert window.search_mode.currentText() == "Customer id"
    window.run_search()
    qtbot.waitUntil(lambda: not window.model.loading and window.model.rowCount() == 1)
    assert window.model.row_object(0).id == c.id

    window.search_box.setText("cst_00000000000000000000000000")
    window.run_search()
    qtbot.waitUntil(lambda: not window.model.loading)
    assert window.model.rowCount() == 0

    # Clearing the box in a server mode brings the full list back.
    window.search_box.clear()
    qtbot.waitUntil(lambda: not window.model.loading and window.model.rowCount() > 1)


def test_name_filter_filters_loaded_rows(qtbot, window):
    c = _make_customer(qtbot, window.api)
    window.refresh()
    qtbot.waitUntil(lambda: window.model.row_of(c.id) >= 0, timeout=10000)
    total = window.proxy.rowCount()
    window.search_mode.setCurrentText("Name")
    qtbot.keyClicks(window.search_box, c.last_name.lower()[:-2])
    assert window.proxy.rowCount() == 1
    assert window.proxy.index(0, 0).data() == c.display_name
    assert "of" in window.count_label.text()
    window.search_box.clear()
    assert window.proxy.rowCount() == total


def test_goto_customer_wallet_address_and_transaction(qtbot, window):
    api = window.api
    c = _make_customer(
        qtbot,
        api,
        birthDate="1980-01-02",
        residentialAddress={"line1": "1 Main", "city": "NYC", "country": "US", "zipCode": "10001"},
        identifyingInformation=[{"type": "ssn", "issuingCountry": "US", "number": "123456789"}],
        endorsements=["basic", "cryptoCustody", "usd"],
    )
    w = run(qtbot, api.create_wallet(c.id))
    run(qtbot, api.sandbox_deposit(w.id, "25.00"))

    # Ctrl+L focuses the box; a cst_ id opens the customer.
    assert window.goto_action.shortcut().toString() == "Ctrl+L"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.goto_action.trigger()
    qtbot.waitUntil(window.goto_box.hasFocus)
    qtbot.keyClicks(window.goto_box, c.id)
    qtbot.keyClick(window.goto_box, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.detail.customer is not None and window.detail.customer.id == c.id
    )

    window.detail.clear()
    window.go_to(Target("wallet", w.id))
    qtbot.waitUntil(
        lambda: window.detail.customer is not None and window.detail.customer.id == c.id
    )
    qtbot.waitUntil(lambda: w.id in window.detail.cards)
    card = window.detail.cards[w.id]
    qtbot.waitUntil(lambda: card.balance.text() == "25.00 USDC")
    assert card.address.value() == w.address
    assert card.qr.text() == w.address

    window.detail.clear()
    window.go_to(w.address.lower())  # by address (sandbox lookup, case-insensitive)
    qtbot.waitUntil(
        lambda: window.detail.customer is not None and window.detail.customer.id == c.id
    )

    # A transaction id switches to the Transactions tab and shows its story there.
    txns = run(qtbot, api.list_transactions(limit=1))
    assert txns.data, "the demo data set has transactions"
    t = txns.data[0]
    view = window.transactions_view
    view.status.setCurrentIndex(view.status.findData("processing"))  # a filter …
    view.search.setText("no such text")
    window.go_to(t.id)
    qtbot.waitUntil(lambda: view.detail.txn is not None and view.detail.txn.id == t.id)
    assert window.tabs.currentWidget() is view
    assert view.search.text() == ""  # … that would hide the result is cleared
    qtbot.waitUntil(lambda: view.table.currentIndex().isValid(), timeout=10000)
    assert view.proxy.mapToSource(view.table.currentIndex()).row() == view.model.row_of(t.id)
    assert getattr(window, "last_resource_dialog", None) is None  # one thing, not two
    # A link in the story (the sender) switches back to Customers and selects it.
    window.go_to(t.sender)
    qtbot.waitUntil(
        lambda: window.detail.customer is not None and window.detail.customer.id == t.sender
    )
    assert window.tabs.currentWidget() is window.customers_page
    # Back (Alt+Left) returns to the transaction, Forward (Alt+Right) to the customer.
    window.back_action.trigger()
    assert window.tabs.currentWidget() is view and view.detail.txn.id == t.id
    window.forward_action.trigger()
    assert window.tabs.currentWidget() is window.customers_page
    assert window.detail.customer.id == t.sender

    # Its quote (the demo transactions were made from quotes) is told above the same
    # transaction's story, its row selected: a link navigates, it opens no dialog.
    window.go_to(t.quote_id)
    qtbot.waitUntil(lambda: view.detail.rel is not None and view.detail.rel.id == t.quote_id)
    assert window.tabs.currentWidget() is view and view.detail.txn.id == t.id
    assert view.detail.related.isVisible()
    assert view.detail.related.accessibleName() == f"Quote {t.quote_id}"

    # An unknown cash-in answers "not found" in a banner, not a dialog.
    window.go_to("ci_00000000000000000000000000")
    qtbot.waitUntil(lambda: window.banners.has("error"))
    assert "No cash-in ci_00000000000000000000000000" in window.banners.get("error").text
    assert getattr(window, "last_resource_dialog", None) is None


def test_search_runs_as_you_type_debounced(qtbot, window):
    from desktop.ui.main_window import SEARCH_DEBOUNCE_MS

    assert SEARCH_DEBOUNCE_MS <= 300
    c = _make_customer(qtbot, window.api)
    qtbot.keyClicks(window.search_box, c.external_id[:-1])  # no Enter anywhere
    window.search_mode.setCurrentText("External id")
    qtbot.keyClicks(window.search_box, c.external_id[-1])
    assert window.search_timer.isActive()  # debounced: not yet asked
    qtbot.waitUntil(lambda: window._server_filter is not None, timeout=2000)
    qtbot.waitUntil(lambda: not window.model.loading and window.model.rowCount() == 1)
    assert window.model.row_object(0).id == c.id
    assert window.count_label.text() == "1 customer"  # grammar


def test_goto_unknown_and_invalid_input(qtbot, window):
    window.go_to("wlt_00000000000000000000000000")
    qtbot.waitUntil(lambda: window.banners.has("error"))
    assert "wlt_00000000000000000000000000" in window.banners.get("error").text
    window.goto_box.setText("hello")
    rejected = []
    window.goto_box.rejected_input.connect(rejected.append)
    qtbot.keyClick(window.goto_box, Qt.Key.Key_Return)
    assert rejected == ["hello"]
    assert window.goto_box.property("invalid") is True


def test_menu_shortcuts_follow_desktop_conventions(qtbot, window):
    want = {
        window.new_customer_action: "Ctrl+N",
        window.find_action: "Ctrl+F",
        window.refresh_action: "F5",
        window.quit_action: "Ctrl+Q",
        window.goto_action: "Ctrl+L",
    }
    for action, key in want.items():
        assert action.shortcut().toString() == key, action.text()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.find_action.trigger()
    qtbot.waitUntil(window.search_box.hasFocus)


def test_goto_a_listed_customer_after_one_not_in_the_list(qtbot, window):
    """Going to a customer the list has not loaded clears the selection but leaves the
    current row where it was; going back to that row's customer must still show it (the
    view emits no current-row change for the row that already is current)."""
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=10000)
    window.select_row(0)
    first = window.model.index(0, 0).data(ROLE_OBJECT)
    qtbot.waitUntil(lambda: window.detail.customer is not None)
    assert window.detail.customer.id == first.id
    newcomer = _make_customer(qtbot, window.api)  # created after the list was loaded
    assert window.model.row_of(newcomer.id) < 0
    window.select_customer(newcomer)
    assert window.detail.customer.id == newcomer.id
    window.select_customer(first)
    assert window.detail.customer.id == first.id
    assert window.table.currentIndex().row() == 0
