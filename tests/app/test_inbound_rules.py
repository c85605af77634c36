"""The Qt-free rules of inbound money and saved addresses (desktop.flows.inbound) and the
MoneyFlow transitions of bank funding and saved-address sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from desktop.flows.inbound import (
    SavedAddress,
    check_deposit_amount,
    check_label,
    check_new_saved,
    deposit_counterparty,
    deposit_notice,
    deposit_summary,
    early_access_text,
    estimate_bank_deposit,
    exact_saved,
    explain_deposit_refusal,
    lookalike,
    lookalike_warning,
)
from desktop.flows.money_flow import FlowError, MoneyFlow, Outcome
from desktop.flows.validators import to_checksum_address
from desktop.oms import errors, models

REAL = to_checksum_address("0x" + "ab12" + "0" * 32 + "cd34")
FAKE = to_checksum_address("0x" + "ab12" + "f" * 32 + "cd34")  # same ends, other middle
OTHER = to_checksum_address("0x" + "1234" + "5" * 32 + "6789")
COLD = SavedAddress("cpBcAddr_1", "Cold wallet", REAL)


def keys():
    n = iter(range(1000))
    return lambda: f"key-{next(n)}"


# ---------------------------------------------------------------- poisoning guard


def test_lookalike_names_the_saved_address_it_imitates():
    assert lookalike(FAKE, [COLD]) is COLD
    text = lookalike_warning(FAKE, COLD)
    assert "Cold wallet" in text and REAL in text and "middle" in text


def test_the_saved_address_itself_is_no_lookalike_in_any_letter_case():
    assert lookalike(REAL.lower(), [COLD]) is None
    assert exact_saved(REAL.upper().replace("0X", "0x"), [COLD]) is COLD


def test_an_unrelated_address_or_a_partial_one_is_no_lookalike():
    assert lookalike(OTHER, [COLD]) is None
    assert lookalike("0xab12cd34", [COLD]) is None
    # one end differs: not the poisoning pattern
    assert lookalike(to_checksum_address("0x" + "ab13" + "f" * 32 + "cd34"), [COLD]) is None


def test_labels_and_new_saved_addresses():
    assert not check_label("   ")
    assert not check_label("x" * 65)
    assert check_label(" Cold ").value == "Cold"
    assert not check_new_saved(REAL, "again", [COLD])  # already saved
    assert "Already saved as “Cold wallet”" in check_new_saved(REAL, "x", [COLD]).message
    assert not check_new_saved("0x123", "x", [])
    assert check_new_saved(OTHER.lower(), "Exchange", [COLD]).value == (OTHER, "Exchange")


# ---------------------------------------------------------------- send to saved addresses


def send_flow() -> MoneyFlow:
    flow = MoneyFlow.send(keys(), lambda: 0.0)
    flow.update(customer_id="cst_1", source_wallet_id="wlt_1", amount_text="5")
    flow.saved_listed([COLD])
    return flow


def test_a_send_to_a_saved_address_names_the_saved_address_itself():
    flow = send_flow()
    flow.update(destination_kind="saved", destination_saved_id="cpBcAddr_1")
    assert flow.body()["destination"]["wallet"] == {"externalAccount": "cpBcAddr_1"}
    # typing the saved address exactly is the same send (D23)
    flow.update(destination_kind="address", destination_address_text=REAL.lower())
    assert flow.body()["destination"]["wallet"] == {"externalAccount": "cpBcAddr_1"}
    flow.update(destination_address_text=OTHER)
    assert flow.body()["destination"]["wallet"] == {"blockchainAddress": OTHER}


def test_a_lookalike_blocks_the_send_until_the_operator_confirms():
    flow = send_flow()
    flow.update(destination_kind="address", destination_address_text=FAKE)
    assert flow.request.poisoning() is COLD
    assert any("Cold wallet" in e for e in flow.request.errors())
    with pytest.raises(ValueError):
        flow.body()
    flow.update(lookalike_confirmed=True)
    assert flow.body()["destination"]["wallet"] == {"blockchainAddress": FAKE}


def test_a_picked_saved_address_that_disappears_is_unpicked():
    flow = send_flow()
    flow.update(destination_kind="saved", destination_saved_id="cpBcAddr_1")
    flow.saved_listed([])
    assert flow.request.destination_saved_id == ""
    assert not flow.request.destination_check()


def test_save_is_offered_only_after_a_completed_send_to_a_new_address():
    flow = send_flow()
    flow.update(destination_kind="address", destination_address_text=OTHER)
    assert not flow.offer_save()  # nothing sent yet
    flow.outcome = Outcome.COMPLETED
    assert flow.offer_save()
    flow.saved_added(SavedAddress("cpBcAddr_2", "Exchange", OTHER))
    assert not flow.offer_save()  # now saved
    flow2 = send_flow()
    flow2.update(destination_kind="address", destination_address_text=OTHER)
    flow2.outcome = Outcome.COMPLETED
    flow2.saved_unavailable()  # early access: nowhere to save it
    assert not flow2.offer_save()


def test_without_saved_addresses_a_picked_saved_destination_falls_back_to_typing():
    flow = send_flow()
    flow.update(destination_kind="saved", destination_saved_id="cpBcAddr_1")
    flow.saved_unavailable()
    assert flow.request.destination_kind == "address"
    assert flow.saved_state == "unavailable"


# ---------------------------------------------------------------- bank funding


def va(status="active", wallet="wlt_1", ident="va_1") -> models.VirtualAccount:
    return models.parse_virtual_account(
        {
            "id": ident,
            "status": status,
            "destination": {"wallet": {"id": wallet}},
            "depositInstructions": {"bankName": "Lead Bank", "accountNumber": "123456789012"},
        }
    )


def deposit(status="processing", amount="100.00", network="ach", **extra) -> models.Transaction:
    body = {
        "id": extra.pop("id", "txn_1"),
        "type": "fiatToCrypto",
        "status": status,
        "source": {
            "asset": "usd",
            "network": network,
            "virtualAccountId": "va_1",
            "amountGross": amount,
        },
        "destination": {"asset": "usdc", "amountNet": "99.50"},
        **extra,
    }
    return models.parse_transaction(body)


def bank_flow() -> MoneyFlow:
    flow = MoneyFlow.fund(keys(), lambda: 0.0)
    flow.update(customer_id="cst_1", wallet_id="wlt_1")
    flow.choose_method("bank")
    return flow


def test_the_virtual_account_of_the_chosen_wallet_is_looked_up_once():
    flow = bank_flow()
    assert flow.va_lookup_needed()
    wallet = flow.va_looking()
    assert not flow.va_lookup_needed()
    assert flow.va_listed([va(wallet="wlt_9", ident="va_9"), va()], wallet)
    assert flow.virtual_account.id == "va_1" and flow.va_state == "found"
    flow.update(wallet_id="wlt_2")  # another wallet: its own account
    assert flow.va_lookup_needed()
    flow.va_looking()
    assert not flow.va_listed([va()], "wlt_1")  # an answer for the old wallet is ignored
    assert flow.va_listed([va()], "wlt_2") and flow.va_state == "none"
    flow.va_unavailable("wlt_2")
    assert flow.va_state == "unavailable"


def test_a_paused_account_cannot_take_deposits_and_the_refusal_is_worded():
    flow = bank_flow()
    flow.va_listed([va("paused")], flow.va_looking())
    assert not flow.va_active
    text = explain_deposit_refusal(
        errors.Conflict("Virtual account is paused.", code="invalid_state")
    )
    assert "paused" in text and "Resume" in text and "nothing moved" in text


def test_simulated_deposits_each_get_a_key_and_a_checked_amount():
    flow = bank_flow()
    with pytest.raises(FlowError):
        flow.simulate_deposit("100", "ach_in")  # no account yet
    flow.va_listed([va()], flow.va_looking())
    amount, key1 = flow.simulate_deposit("100", "ach_in")
    assert amount == Decimal("100") and key1
    _, key2 = flow.simulate_deposit("100", "wire_in")
    assert key2 != key1
    for bad in ("0.99", "100000.01", "1.001", "abc"):
        with pytest.raises(FlowError):
            flow.simulate_deposit(bad, "ach_in")
    with pytest.raises(FlowError):
        flow.simulate_deposit("5", "sepa_in")


def test_deposits_move_the_outcome_and_an_end_is_never_undone():
    flow = bank_flow()
    flow.va_listed([va()], flow.va_looking())
    assert not flow.on_deposit(deposit(id="txn_x", source={"virtualAccountId": "va_other"}))
    assert flow.on_deposit(deposit())
    assert flow.outcome is Outcome.IN_FLIGHT
    assert flow.on_deposit(deposit("completed"))
    assert flow.outcome is Outcome.COMPLETED
    assert flow.on_deposit(deposit("processing"))  # a late copy
    assert str(flow.deposits["txn_1"].status) == "completed"


def test_fees_and_estimates_of_ach_and_wire():
    ach = estimate_bank_deposit(Decimal("100.00"), "ach_in")
    assert (ach.fee, ach.net_usdc) == (Decimal("0.50"), Decimal("99.50"))
    wire = estimate_bank_deposit(Decimal("1000"), "wire_in")
    assert (wire.fee, wire.net_usdc) == (Decimal("15.00"), Decimal("985.00"))
    assert estimate_bank_deposit(Decimal("1.00"), "wire_in").net_usdc == Decimal("0.00")
    assert estimate_bank_deposit(Decimal("0.99"), "ach_in").fee == Decimal("0.00")  # half-up
    assert check_deposit_amount("5").value == Decimal("5")


def test_a_reversed_deposit_is_explained_and_a_completed_one_is_a_success_notice():
    done = deposit("completed")
    assert deposit_notice(done) == (
        "ACH deposit of 100.00 USD: completed, 99.50 USDC credited.",
        "success",
    )
    reversed_ = deposit(
        "failed",
        "66.66",
        "wire",
        subStatus="reversed",
        error={"code": "deposit_reversed", "message": "reversed"},
    )
    text, kind = deposit_notice(reversed_)
    assert kind == "error" and "Wire deposit of 66.66 USD: reversed" in text
    assert "no USDC was credited" in text
    assert deposit_notice(deposit()) is None
    assert "funds received" in deposit_summary(deposit(subStatus="fundsReceived"))


def test_a_receive_is_summarised_with_the_senders_address():
    txn = models.parse_transaction(
        {
            "id": "txn_r",
            "type": "cryptoToCrypto",
            "status": "completed",
            "source": {"depositAddressId": "da_1", "blockchainAddress": OTHER, "amountGross": "5"},
            "destination": {"amountNet": "5"},
        }
    )
    assert (
        deposit_summary(txn) == f"Receive of 5.00 USDC from {OTHER}: completed, 5.00 USDC credited."
    )


def test_early_access_is_said_in_words():
    assert "early-access" in early_access_text("savedAddresses")
    assert early_access_text("virtualAccounts").startswith("Bank funding")


@dataclass
class _Acc:
    id: str = "cpBcAddr_9"
    address: str | None = REAL
    nickname: str | None = None
    created_at: object = None
    raw: dict = field(default_factory=dict)


def test_a_saved_address_without_a_label_reads_as_its_address():
    assert SavedAddress.of(_Acc()).label == REAL


def test_a_deposits_counterparty_is_who_sent_it():
    receive = models.parse_transaction(
        {
            "id": "t",
            "type": "cryptoToCrypto",
            "source": {"depositAddressId": "da_1", "blockchainAddress": OTHER},
        }
    )
    assert deposit_counterparty(receive) == OTHER
    assert deposit_counterparty(deposit(network="wire")) == (
        "Wire from the customer's bank to va_1"
    )
    send = models.parse_transaction({"id": "s", "type": "cryptoToCrypto", "source": {}})
    assert deposit_counterparty(send) is None
