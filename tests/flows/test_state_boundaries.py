"""Boundaries of the wizard state that the mutation run (issue 19, item 4) found untested.

The choice fields (side, destination kind, fee type) reach the state from combo boxes, saved
drafts and the server's JSON: equal strings, not necessarily the same object. ``_j`` builds
such a string at run time, so a comparison by identity (``is``) instead of equality fails here.
Expected bodies and figures are written out by hand.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from desktop.flows.inbound import SavedAddress
from desktop.flows.state import (
    CashInEstimate,
    FieldChange,
    SendState,
    WithdrawState,
    diff_quotes,
    estimate_cash_in,
    timeline_rows,
)
from desktop.oms.models import TransactionType

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
OTHER = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"


def _j(text: str) -> str:
    """``text`` as a fresh, non-interned string (as read from a widget, a file or JSON)."""
    out = "".join([text[:1], text[1:]])
    assert out == text and (len(text) < 2 or out is not text)
    return out


def _send(**kw) -> SendState:
    base = dict(customer_id="cus_1", source_wallet_id="wal_src", amount_text="25.5")
    return SendState(**(base | kw))


def test_send_to_a_wallet_chosen_at_run_time():
    s = _send(destination_kind=_j("wallet"), destination_wallet_id="wal_dst")
    assert s.errors() == []
    assert s.quote_body() == {
        "customerId": "cus_1",
        "source": {"walletId": "wal_src", "asset": "usdc", "network": "polygon", "amount": "25.5"},
        "destination": {"wallet": {"id": "wal_dst"}, "asset": "usdc", "network": "polygon"},
    }
    same = _send(destination_kind=_j("wallet"), destination_wallet_id="wal_src")
    assert same.errors() == ["Source and destination are the same wallet."]


def test_send_to_a_saved_address_chosen_at_run_time():
    saved = (SavedAddress("ea_1", "Treasury", ADDR),)
    s = _send(destination_kind=_j("saved"), destination_saved_id=_j("ea_1"), saved=saved)
    assert s.errors() == []
    assert s.quote_body()["destination"]["wallet"] == {"externalAccount": "ea_1"}
    typed = _send(
        destination_kind=_j("address"), destination_address_text=ADDR.lower(), saved=saved
    )
    assert typed.quote_body()["destination"]["wallet"] == {"externalAccount": "ea_1"}
    new = _send(destination_kind=_j("address"), destination_address_text=OTHER, saved=saved)
    assert new.quote_body()["destination"]["wallet"] == {"blockchainAddress": OTHER}


@pytest.mark.parametrize("state", [SendState, WithdrawState])
def test_the_fixed_side_carries_the_amount(state):
    kw = dict(customer_id="cus_1", source_wallet_id="wal_src", amount_text="40")
    if state is SendState:
        kw |= dict(destination_kind="wallet", destination_wallet_id="wal_dst")
    else:
        kw |= dict(external_account_id="ea_bank")
    src = state(**kw, fixed_side=_j("source")).quote_body()
    assert src["source"]["amount"] == "40" and "amount" not in src["destination"]
    dst = state(**kw, fixed_side=_j("destination")).quote_body()
    assert dst["destination"]["amount"] == "40" and "amount" not in dst["source"]


@pytest.mark.parametrize("state", [SendState, WithdrawState])
def test_the_balance_caps_only_what_i_send(state):
    # "I send exactly 40" from a 30.00 balance is refused here; "they receive exactly 40"
    # is left to the server (fees come on top), so the page does not refuse it.
    kw = dict(source_balance=Decimal("30.00"), amount_text="40")
    over = state(**kw, fixed_side=_j("source")).amount_check()
    assert not over.ok and over.message.startswith("More than the available balance (30.00")
    assert state(**kw, fixed_side=_j("destination")).amount_check().value == Decimal("40")
    within = state(source_balance=Decimal("30.00"), amount_text="30", fixed_side=_j("source"))
    assert within.amount_check().value == Decimal("30")


def test_cash_in_fee_types_from_json():
    entries = json.loads(
        '[{"type": "percentage", "rate": "0.015"}, {"type": "fixed", "amount": "0.50"}]'
    )
    entries = [
        {"type": _j(e["type"]), **{k: v for k, v in e.items() if k != "type"}} for e in entries
    ]
    # 100.00: 1.5 % = 1.50, + 0.50 fixed = 2.00 fee, 98 USDC at a rate of 1.
    est = estimate_cash_in(Decimal("100"), entries)
    assert est == CashInEstimate(Decimal("100.00"), Decimal("2.00"), Decimal("98.000000"))


@pytest.mark.parametrize("kind", ["bogus", "aaa", "fixedx", "zzz", None])
def test_unknown_fee_types_add_nothing(kind):
    entries = [{"type": "fixed", "amount": "0.50"}, {"type": kind, "amount": "7.00", "rate": "0.5"}]
    est = estimate_cash_in(Decimal("20"), entries)
    assert (est.fee, est.net_usdc) == (Decimal("0.50"), Decimal("19.500000"))


def test_value_objects_are_immutable_and_hashable():
    est = CashInEstimate(Decimal("20.00"), Decimal("0.80"), Decimal("19.200000"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.fee = Decimal("0")  # type: ignore[misc]
    assert len({est, CashInEstimate(Decimal("20.00"), Decimal("0.80"), Decimal("19.200000"))}) == 1
    old = {"source": {"amountGross": "10.00"}}
    changes = diff_quotes(old, {"source": {"amountGross": "10.50"}})
    assert changes == [
        FieldChange(
            "Customer pays (gross)", "source.amountGross", Decimal("10.00"), Decimal("10.50")
        )
    ]
    change = changes[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.new = Decimal("0")  # type: ignore[misc]
    assert change.delta == Decimal("0.50")
    # delta is new − old, signed: 4.00 → 10.50 is +6.50; 10.50 → 4.00 is −6.50; missing → None
    up = FieldChange("x", "p", Decimal("4.00"), Decimal("10.50"))
    assert up.delta == Decimal("6.50")
    assert FieldChange("x", "p", Decimal("10.50"), Decimal("4.00")).delta == Decimal("-6.50")
    assert FieldChange("x", "p", None, Decimal("4.00")).delta is None
    assert FieldChange("x", "p", Decimal("4.00"), None).delta is None
    assert {change: "shown"}[
        FieldChange(change.label, change.path, change.old, change.new)
    ] == "shown"


def test_a_status_that_sorts_below_completed_is_not_completed():
    # "cashPickupReady" < "completed" as text: only COMPLETED itself marks every step done.
    rows = timeline_rows(TransactionType.CRYPTO_TO_FIAT, "cashPickupReady", "fundsPulled")
    assert rows == [
        ("Submitted", "done"),
        ("Funds taken from the wallet", "done"),
        ("Sent to the bank", "current"),
        ("Arrived at the bank", "todo"),
    ]
    done = timeline_rows(_j("cryptoToFiat"), _j("completed"), None)
    assert [state for _, state in done] == ["done"] * 4


@pytest.mark.parametrize("kind", ["address", _j("address")])
def test_a_typed_lookalike_of_a_saved_address_needs_confirming(kind):
    # Address poisoning (D23): the same first and last hex characters as a saved address
    # (6 each, beyond the 4 the rule compares), a different middle.
    saved = (SavedAddress("ea_1", "Treasury", ADDR),)
    fake = (ADDR[:8] + "0" * 28 + ADDR[-6:]).lower()
    s = _send(destination_kind=kind, destination_address_text=fake, saved=saved)
    assert s.poisoning() == saved[0]
    assert s.errors() == ["Confirm this is not the saved address “Treasury”."]
    confirmed = _send(
        destination_kind=kind, destination_address_text=fake, saved=saved, lookalike_confirmed=True
    )
    assert confirmed.errors() == []
    for other in ("wallet", "saved"):  # not typed: nothing to compare
        assert (
            _send(destination_kind=other, destination_address_text=fake, saved=saved).poisoning()
            is None
        )


def test_the_picked_saved_address_is_the_one_sent_to():
    saved = (
        SavedAddress("ea_1", "Treasury", ADDR),
        SavedAddress("ea_2", "Payroll", OTHER),
        SavedAddress("ea_0", "Old", "0x" + "1" * 40),
    )
    for pick, address in (("ea_2", OTHER), ("ea_1", ADDR), ("ea_0", "0x" + "1" * 40)):
        s = _send(destination_kind="saved", destination_saved_id=_j(pick), saved=saved)
        assert s.saved_destination() == next(x for x in saved if x.id == pick)
        assert s.destination_check().value == address
        assert s.quote_body()["destination"]["wallet"] == {"externalAccount": pick}
    missing = _send(destination_kind="saved", destination_saved_id="ea_9", saved=saved)
    assert missing.errors() == ["Pick a saved address."]


@pytest.mark.parametrize(
    ("kind", "status", "sub", "states"),
    [
        # A failure sub-status on a transaction that has not failed is just an unknown step.
        (
            TransactionType.CRYPTO_TO_CRYPTO,
            "processing",
            "rejected",
            ["done", "current", "todo", "todo"],
        ),
        # Failed at a step of its own timeline: that step done, the next one failed.
        (
            TransactionType.CRYPTO_TO_CRYPTO,
            "failed",
            "fundsPulled",
            ["done", "done", "failed", "todo"],
        ),
        (
            TransactionType.CRYPTO_TO_CRYPTO,
            "failed",
            "rejected",
            ["done", "done", "failed", "todo"],
        ),
        (TransactionType.CRYPTO_TO_FIAT, "failed", "returned", ["done", "done", "done", "failed"]),
        (TransactionType.CRYPTO_TO_FIAT, "failed", None, ["done", "failed", "todo", "todo"]),
    ],
)
def test_timeline_failure_placement(kind, status, sub, states):
    assert [state for _, state in timeline_rows(kind, status, sub)] == states


def test_quote_figures_may_be_json_numbers():
    # A server may send a figure as a JSON number: compared as a Decimal all the same.
    old = json.loads('{"rates": {"exchangeRate": 1}, "source": {"amountGross": "10.00"}}')
    new = json.loads('{"rates": {"exchangeRate": 1.5}, "source": {"amountGross": 10}}')
    assert diff_quotes(old, new) == [
        FieldChange("Exchange rate", "rates.exchangeRate", Decimal("1"), Decimal("1.5"))
    ]
    assert diff_quotes({"source": {"amountGross": ""}}, {"source": {}}) == []


def test_a_send_needs_its_source_wallet():
    for kw in ({"source_wallet_id": ""}, {"customer_id": ""}):
        s = _send(destination_kind="wallet", destination_wallet_id="wal_dst", **kw)
        assert s.errors() == ["Choose the wallet to send from."]
        assert not s.source_check().ok
