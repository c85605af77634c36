"""Transitions of the Qt-free money flow (desktop.flows.money_flow), no Qt, no server.

Each test pins one rule a wizard used to keep in widget attributes; several are written
to fail on the mutations issue 19 found surviving (expired quote reused via Back/Next,
a quote without a deadline taken as valid).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from desktop import display
from desktop.flows.money_flow import FlowError, Kind, MoneyFlow, Outcome, Step
from desktop.oms import errors
from desktop.oms.models import CashInStatus, TransactionStatus
from tests.support.money import FakeClock

SERVER_NOW = datetime(2026, 11, 24, 10, 0, 0, 250_000, tzinfo=UTC)
ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def keys():
    counter = itertools.count(1)
    return lambda: f"key-{next(counter)}"


def make_quote(qid: str, clock: FakeClock, *, ttl: float | None = 30, gross: str = "10.00"):
    return SimpleNamespace(
        id=qid,
        expires_at=SERVER_NOW + timedelta(seconds=ttl) if ttl is not None else None,
        server_date=SERVER_NOW,
        received_monotonic=clock(),
        source=SimpleNamespace(amount_gross=Decimal(gross)),
        raw={"source": {"amountGross": gross}},
    )


def send_flow(clock: FakeClock | None = None) -> MoneyFlow:
    flow = MoneyFlow.send(keys(), clock or FakeClock())
    flow.update(
        customer_id="cst_1",
        source_wallet_id="wlt_1",
        source_balance=Decimal("100"),
        destination_kind="address",
        destination_address_text=ADDRESS,
        amount_text="10.00",
    )
    return flow


def quoted(flow: MoneyFlow, qid: str = "qt_1", **kw) -> MoneyFlow:
    body = flow.start_quote()
    assert flow.quote_arrived(make_quote(qid, flow.clock, **kw), body)
    return flow


def test_a_fresh_quote_is_valid_until_its_deadline():
    clock = FakeClock()
    flow = quoted(send_flow(clock))
    assert flow.kind is Kind.SEND and flow.step is Step.REVIEW
    assert flow.quote_valid() and not flow.needs_quote()
    # ttl 30 s against a Date with a fraction: exactly 30 s on the monotonic clock.
    assert flow.remaining() == pytest.approx(30.0)
    clock.advance(29.9)
    assert flow.quote_valid()
    clock.advance(0.1)
    assert not flow.quote_valid() and flow.needs_quote()


@pytest.mark.parametrize(
    "server_now,shown",
    [
        (SERVER_NOW, "0:30"),  # a Date with a fraction: the full 30 s
        (SERVER_NOW.replace(microsecond=0), "0:29"),  # whole seconds: up to 1 s later
    ],
)
def test_countdown_rule_d18(server_now, shown):
    """expiresAt − Date of the response, from receipt on the monotonic clock; a whole-second
    Date counts 1 s less, so a quote is never shown valid after the server refuses it."""
    clock = FakeClock()
    flow = send_flow(clock)
    body = flow.start_quote()
    q = make_quote("qt_1", clock)
    q.server_date = server_now
    q.expires_at = server_now + timedelta(seconds=30)
    flow.quote_arrived(q, body)
    assert display.remaining(flow.remaining()) == shown
    clock.advance(flow.remaining())
    assert not flow.quote_valid() and display.remaining(flow.remaining()) == "0:00"


def test_back_then_next_with_the_same_request_never_reuses_an_expired_quote():
    clock = FakeClock()
    flow = quoted(send_flow(clock))
    # Back, then Next with nothing changed while the quote is alive: it is kept.
    assert not flow.needs_quote()
    clock.advance(31)
    # Back, then Next with the same request after expiry: a fresh quote is needed.
    assert flow.needs_quote()
    with pytest.raises(FlowError):
        flow.confirm()
    body = flow.start_quote()
    assert flow.quote is None and flow.previous_quote.id == "qt_1"
    assert flow.quote_arrived(make_quote("qt_2", clock), body)
    assert flow.quote_valid() and flow.quote.id == "qt_2"


def test_a_quote_without_a_deadline_is_not_valid():
    flow = quoted(send_flow(), ttl=None)
    assert flow.quote is not None and flow.deadline is None
    assert not flow.quote_valid()
    assert flow.needs_quote()
    assert not flow.can_confirm()
    with pytest.raises(FlowError):
        flow.confirm()


def test_a_quote_without_a_server_date_expires_at_once():
    clock = FakeClock()
    flow = send_flow(clock)
    body = flow.start_quote()
    q = make_quote("qt_1", clock)
    q.server_date = None  # lifetime unknown: trust no guess
    flow.quote_arrived(q, body)
    assert not flow.quote_valid()


@pytest.mark.parametrize(
    "field,value",
    [
        ("amount_text", "11.00"),
        ("fixed_side", "destination"),
        ("destination_address_text", "0x" + "1" * 40),
        ("source_wallet_id", "wlt_2"),
    ],
)
def test_editing_the_request_drops_the_quote(field, value):
    flow = quoted(send_flow())
    flow.update(**{field: value})
    assert flow.quote is None and flow.deadline is None
    assert flow.previous_quote.id == "qt_1"  # the next quote is compared with it
    assert flow.needs_quote()


def test_an_edit_that_keeps_the_same_request_keeps_the_quote():
    flow = quoted(send_flow())
    assert not flow.update(amount_text="10.00")  # nothing changed
    flow.update(source_balance=Decimal("99"))  # not part of the request body
    assert flow.quote is not None and flow.quote_valid()


def test_an_answer_for_an_older_request_is_ignored():
    clock = FakeClock()
    flow = send_flow(clock)
    old_body = flow.start_quote()
    flow.update(amount_text="12.00")
    new_body = flow.start_quote()
    assert not flow.quote_arrived(make_quote("qt_old", clock), old_body)
    assert flow.quote is None and flow.quoting
    assert flow.quote_arrived(make_quote("qt_new", clock), new_body)
    assert flow.quote.id == "qt_new" and not flow.quoting


def test_a_quote_being_fetched_cannot_be_confirmed():
    flow = quoted(send_flow())
    flow.start_quote()  # "Get new quote"
    assert flow.quoting and not flow.can_confirm()


def test_one_submit_key_per_confirmed_quote_reused_by_retries():
    made = []

    def new_key():
        made.append(f"k{len(made) + 1}")
        return made[-1]

    clock = FakeClock()
    flow = MoneyFlow.send(new_key, clock)
    flow.update(
        customer_id="cst_1",
        source_wallet_id="wlt_1",
        destination_address_text=ADDRESS,
        amount_text="10",
    )
    body = flow.start_quote()
    flow.quote_arrived(make_quote("qt_1", clock), body)
    first = flow.confirm()
    assert flow.step is Step.STATUS and flow.outcome is Outcome.SUBMITTING
    # The network failed: the operator retries the same quote → the same key (D3).
    flow.submission_failed(errors.NetworkError("down"))
    assert flow.outcome is Outcome.NOT_SENT
    assert flow.confirm() == first
    assert made == ["k1"]
    # A new quote is a new attempt: a new key.
    flow.submission_failed(errors.ValidationError("no"))
    flow.back_to_review()
    body = flow.start_quote()
    flow.quote_arrived(make_quote("qt_2", clock), body)
    assert flow.confirm() == "k2"


def test_quote_expired_at_the_server_goes_back_for_a_fresh_quote():
    flow = quoted(send_flow())
    flow.confirm()
    flow.submission_failed(errors.QuoteExpired("quote_expired"))
    assert flow.step is Step.REVIEW and flow.outcome is Outcome.NONE
    assert flow.quote is None and flow.needs_quote()
    assert "nothing was sent" in flow.note
    assert flow.submit_key is None  # the fresh quote gets its own key


def test_back_to_review_is_refused_while_the_submission_runs():
    flow = quoted(send_flow())
    flow.confirm()
    with pytest.raises(FlowError):
        flow.back_to_review()


def test_large_amounts_need_the_amount_typed():
    flow = quoted(send_flow(), gross="10000.00")
    assert flow.confirmation().required
    assert not flow.can_confirm()
    with pytest.raises(FlowError):
        flow.confirm()
    flow.confirm_typed = "10,000"
    assert flow.can_confirm()
    assert flow.confirm()


def txn(tid: str, quote_id: str, status: str, **kw):
    return SimpleNamespace(id=tid, quote_id=quote_id, status=status, error=None, **kw)


def test_transaction_outcomes_follow_the_clients_enums():
    flow = quoted(send_flow())
    assert not flow.on_transaction(txn("txn_1", "qt_1", "processing"))  # not confirmed yet
    flow.confirm()
    assert not flow.on_transaction(txn("txn_x", "qt_other", "processing"))
    assert flow.on_transaction(txn("txn_1", "qt_1", TransactionStatus.PROCESSING))
    assert flow.outcome is Outcome.IN_FLIGHT and flow.txn_id == "txn_1"
    assert not flow.on_transaction(txn("txn_2", "qt_1", "completed"))  # another id
    failed = txn("txn_1", "qt_1", "failed")
    failed.error = SimpleNamespace(code="blockchain_rejected")
    assert flow.on_transaction(failed)
    assert flow.outcome is Outcome.FAILED and flow.error.code == "blockchain_rejected"


def test_completed_transaction_completes_the_flow():
    flow = quoted(send_flow())
    flow.confirm()
    assert flow.on_transaction(txn("txn_1", "qt_1", "completed"))
    assert flow.outcome is Outcome.COMPLETED and flow.error is None
    with pytest.raises(FlowError):  # a quote that moved money is never confirmed again
        flow.confirm()


def test_a_late_processing_update_never_undoes_the_end():
    flow = quoted(send_flow())
    flow.confirm()
    flow.on_transaction(txn("txn_1", "qt_1", "completed"))
    assert flow.on_transaction(txn("txn_1", "qt_1", "processing"))
    assert flow.outcome is Outcome.COMPLETED and flow.txn.status == "completed"


def test_an_unknown_status_is_in_flight_not_done():
    flow = quoted(send_flow())
    flow.confirm()
    flow.on_transaction(txn("txn_1", "qt_1", "somethingNew"))
    assert flow.outcome is Outcome.IN_FLIGHT


# ---------------------------------------------------------------------- fund


def store(i: int):
    return SimpleNamespace(
        id=f"loc_{i}",
        location_reference=f"ref_{i}",
        name=f"Store {i}",
        address=f"{i} Main St",
        city="Sacramento",
        state="CA",
    )


def fund_flow() -> MoneyFlow:
    flow = MoneyFlow.fund(keys(), FakeClock())
    flow.update(customer_id="cst_1", wallet_id="wlt_1", amount_text="100.00")
    return flow


def test_changing_the_zip_forgets_the_store_chosen_before():
    flow = fund_flow()
    assert flow.stores_found([store(1), store(2)], "10002", "10002")
    flow.choose_store(1)
    assert flow.can_request_code() and flow.store_name == "Store 2"
    flow.search_changed()  # the operator typed another ZIP
    assert not flow.can_request_code() and flow.stores == []
    with pytest.raises(FlowError):
        flow.request_code()


def test_a_late_store_list_for_an_older_zip_is_ignored():
    flow = fund_flow()
    assert not flow.stores_found([store(1)], "10002", "95814")
    assert flow.stores == [] and not flow.can_request_code()


def test_new_stores_are_not_chosen_for_the_operator():
    flow = fund_flow()
    flow.stores_found([store(1)], "10002", "10002")
    flow.choose_store(0)
    flow.stores_found([store(7)], "95814", "95814")
    assert not flow.can_request_code()


def test_code_request_key_once_per_request():
    flow = fund_flow()
    flow.stores_found([store(1), store(2)], "95814", "95814")
    flow.choose_store(0)
    body, key = flow.request_code()
    assert body["cash"] == {"locationId": "loc_1", "locationReference": "ref_1"}
    assert flow.request_code()[1] == key  # a retry of the same click's request
    flow.choose_store(1)
    assert flow.request_code()[1] != key


def test_cash_in_outcomes():
    flow = fund_flow()
    flow.stores_found([store(1)], "95814", "95814")
    flow.choose_store(0)
    assert not flow.on_cash_in(SimpleNamespace(id="ci_1", status="pending"))  # not asked
    flow.request_code()
    assert flow.on_cash_in(SimpleNamespace(id="ci_1", status=CashInStatus.PENDING))
    assert flow.outcome is Outcome.IN_FLIGHT and not flow.cash_received()
    assert not flow.on_cash_in(SimpleNamespace(id="ci_2", status="completed"))
    assert flow.on_cash_in(SimpleNamespace(id="ci_1", status="processing"))
    assert flow.cash_received()
    # The fiatToCrypto transaction is matched by its cash-in id.
    assert flow.on_transaction(
        SimpleNamespace(id="txn_9", quote_id=None, cash_in_id="ci_1", status="completed")
    )
    assert flow.outcome is Outcome.COMPLETED


def test_a_send_has_no_store():
    with pytest.raises(FlowError):
        send_flow().choose_store(0)
