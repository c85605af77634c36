"""The one mapper that reads every model: field metadata (wire name, parser, unknown value)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest

from desktop.oms import models as m


@dataclass(frozen=True, slots=True)
class Thing:
    id: str = m.wire("id", unknown="")
    status: m.TransactionStatus = m.wire(
        "status", m.TransactionStatus.parse, default=m.TransactionStatus.UNKNOWN
    )
    amount: Decimal | None = m.wire("amount", m.parse_decimal, default=None)
    chain: str | None = m.wire(("chain", "network"), default=None)
    lat: Decimal | None = m.wire("coordinates.latitude", m.parse_signed_decimal, default=None)
    ready: bool = m.wire("ready", m._flag, default=False)
    tags: tuple[str, ...] = m.wire("tags", m._strs, default=())
    raw: dict = m.raw_field()


parse_thing = m.mapper(Thing)


def test_a_new_model_is_read_from_its_field_metadata():
    raw = {
        "id": "thg_1",
        "status": "completed",
        "amount": "10.50",
        "network": "polygon",
        "coordinates": {"latitude": "-33.86"},
        "ready": True,
        "tags": ["a", "b"],
        "extra": {"kept": 1},
    }
    t = parse_thing(raw)
    assert t == Thing(
        id="thg_1",
        status=m.TransactionStatus.COMPLETED,
        amount=Decimal("10.50"),
        chain="polygon",
        lat=Decimal("-33.86"),
        ready=True,
        tags=("a", "b"),
    )
    assert t.raw == raw and t.raw["extra"] == {"kept": 1}
    assert parse_thing.__name__ == "parse_thing" and parse_thing.model is Thing
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.id = "x"  # type: ignore[misc]


def test_missing_or_unknown_values_take_the_declared_unknown_value():
    t = parse_thing(
        {"status": "teleporting", "amount": "1E+5", "ready": "perhaps", "coordinates": "x"}
    )
    assert t.id == "" and t.status is m.TransactionStatus.UNKNOWN
    assert t.amount is None and t.ready is False and t.lat is None and t.tags == ()
    assert parse_thing(None) == Thing(id="") and parse_thing([1, 2]).raw == {}


def test_alternative_wire_names_are_tried_in_order():
    assert parse_thing({"chain": "base", "network": "polygon"}).chain == "base"
    assert parse_thing({"chain": "", "network": "polygon"}).chain == "polygon"
    assert parse_thing({"chain": {"odd": 1}, "network": "polygon"}).chain == "polygon"


def test_a_wire_field_must_declare_its_unknown_value():
    with pytest.raises(TypeError, match="default"):
        m.wire("x")


def test_extra_fields_that_do_not_come_from_the_wire():
    q = m.parse_quote({"id": "qt_1"}, received_monotonic=5.0)
    assert q.id == "qt_1" and q.received_monotonic == 5.0 and q.server_date is None


@pytest.mark.parametrize(
    "parser",
    [m.parse_customer, m.parse_wallet, m.parse_transaction, m.parse_cash_in, m.parse_quote,
     m.parse_webhook, m.parse_external_account, m.parse_cash_location, m.parse_event,
     m.parse_balance, m.parse_deposit],
)  # fmt: skip
def test_every_public_parser_is_a_mapper_that_never_raises(parser):
    assert dataclasses.is_dataclass(parser.model)
    for odd in (None, "x", 5, [], {"id": 5, "status": [], "createdAt": "no"}, {"source": "x"}):
        assert isinstance(parser(odd), parser.model)


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (m.TransactionStatus, ["processing", "completed", "failed"]),
        (m.TransactionType, ["cryptoToCrypto", "cryptoToFiat", "fiatToCrypto"]),
        (m.TransactionSubStatus,
         ["fundsPulled", "broadcast", "bankSubmitted", "fundsReceived", "settled", "rejected",
          "returned", "reversed"]),
        (m.CashInStatus, ["pending", "processing", "completed", "failed", "expired"]),
        (m.CashInSubStatus,
         ["order_reserved", "settled", "cash_deposit_expired", "cash_deposit_failed",
          "provider_order_failed", "provider_order_template_error"]),
        (m.VirtualAccountStatus, ["active", "paused"]),
        (m.DepositAddressStatus, ["active"]),
    ],
)  # fmt: skip
def test_contract_statuses_are_enums(enum, values):
    for v in values:
        member = enum.parse(v)
        assert member is not enum.UNKNOWN and member == v
    assert enum.parse("brand-new") is enum.UNKNOWN


def test_sub_status_is_comparable_as_an_enum_and_keeps_its_text():
    t = m.parse_transaction({"id": "txn_1", "subStatus": "bankSubmitted"})
    assert t.sub_status == "bankSubmitted"
    assert t.sub_status_enum is m.TransactionSubStatus.BANK_SUBMITTED
    odd = m.parse_transaction({"id": "txn_1", "subStatus": "somethingNew"})
    assert odd.sub_status == "somethingNew"
    assert odd.sub_status_enum is m.TransactionSubStatus.UNKNOWN
    ci = m.parse_cash_in({"id": "ci_1", "subStatus": "order_reserved"})
    assert ci.sub_status_enum is m.CashInSubStatus.ORDER_RESERVED


# --------------------------------------------------------------------- amounts (issue 13.4)

HOSTILE_AMOUNTS = ["1E+100000000", "1e5", "-5.00", " 10.00", "10.00\n", "1" * 41, "0x10", "+1"]


@pytest.mark.parametrize("text", HOSTILE_AMOUNTS)
def test_an_amount_outside_d6_reads_as_unknown(text):
    assert m.parse_decimal(text) is None


def test_a_huge_exponent_amount_costs_nothing_and_reads_as_unknown():
    raw = {
        "id": "wlt_1",
        "balance": "1E+100000000",
        "estimatedBalance": "1E+100000000",
    }
    t0 = time.perf_counter()
    b = m.parse_balance(raw)
    text = m.format_money(b.balance)
    assert time.perf_counter() - t0 < 0.5
    assert b.balance is None and b.estimated_balance is None and text == ""
    assert b.raw["balance"] == "1E+100000000"  # still visible, as text, in "show every field"
    txn = m.parse_transaction({"id": "txn_1", "source": {"amountGross": "1E+100000000"}})
    assert txn.source.amount_gross is None


@pytest.mark.parametrize("value", [10**60, 1e300, Decimal("1E+100000000"), Decimal("1E-100")])
def test_numbers_over_the_digit_cap_read_as_unknown(value):
    assert m.parse_decimal(value) is None


def test_amounts_up_to_the_digit_cap_are_exact():
    forty = "9" * 34 + "." + "9" * 6
    assert m.parse_decimal(forty) == Decimal(forty)
    assert m.parse_signed_decimal("-73.985") == Decimal("-73.985")
    assert m.parse_signed_decimal("--1") is None


def test_a_failed_transactions_error_text_is_cut_for_notices():
    error = {"code": "c" * 5000, "message": "m" * 10_000_000}
    t = m.parse_transaction({"id": "txn_1", "status": "failed", "error": error})
    assert len(t.error.message) == 500 and t.error.message.endswith("…")
    assert len(t.error.code) == 100 and len(str(t.error)) == 500
