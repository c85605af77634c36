"""A transaction's story in words (desktop.flows.story) and the one type-name mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from desktop import display
from desktop.flows.story import Seen, explorer_url, mask_account, tell
from desktop.oms.models import parse_transaction

HASH = "0x" + "ab" * 32
A, B = "cst_" + "a" * 26, "cst_" + "b" * 26


def wire(**over):
    t = {
        "id": "txn_" + "1" * 26,
        "type": "cryptoToCrypto",
        "status": "completed",
        "subStatus": "settled",
        "quoteId": "qt_" + "1" * 26,
        "sender": A,
        "recipient": A,
        "source": {
            "walletId": "wlt_" + "1" * 26,
            "asset": "usdc",
            "network": "polygon",
            "amountGross": "10.000000",
            "amountNet": "9.421234",
            "feesDeducted": {"total": "0.578766", "oms": "0.05", "gas": "0.528766"},
        },
        "destination": {
            "wallet": {"id": None, "blockchainAddress": "0x" + "5" * 40, "externalAccountId": None},
            "asset": "usdc",
            "network": "polygon",
            "amountGross": "9.421234",
            "amountNet": "9.421234",
            "txHash": HASH,
            "bankDetails": {},
        },
        "rates": {"exchangeRate": "1.0", "effectiveRate": "0.9421234"},
        "error": None,
        "createdAt": "2026-11-24T10:00:00.000Z",
        "updatedAt": "2026-11-24T10:00:02.000Z",
        "completedAt": "2026-11-24T10:00:05.000Z",
    }
    t.update(over)
    return parse_transaction(t)


NAMES = {A: ("Ada Lovelace", "ada@example.com"), B: ("Bob Babbage", "bob@example.com")}


def test_completed_send_story_in_words():
    s = tell(wire(), names=NAMES.get, real_network=False)
    assert s.title == "Send of 10.00 USDC"
    assert s.status == "Completed — settled"
    assert s.parties[0].name == "Ada Lovelace" and s.parties[0].email == "ada@example.com"
    assert ("Sent (gross)", "10.00 USDC") in s.amounts
    assert ("Sent (net of fees)", "9.421234 USDC") in s.amounts
    assert ("Received (net)", "9.421234 USDC") in s.amounts
    assert ("Network (gas) fee", "0.528766 USDC") in s.fees
    assert ("Exchange rate", "1.0") in s.rates
    assert s.tx_hash == HASH and s.explorer is None  # sandbox: never a link
    text = s.text()
    for raw in ("None", "null", "True", "False", "{}", "Decimal", "feesDeducted"):
        assert raw not in text
    # The transaction's own stamps, in time order.
    assert [st.source for st in s.timeline] == ["transaction"] * 3
    assert [st.at.second for st in s.timeline] == [0, 2, 5]


def test_explorer_only_on_real_networks():
    s = tell(wire(), real_network=True)
    assert s.explorer == f"https://polygonscan.com/tx/{HASH}"
    assert explorer_url("polygon", "0xnothex", real=True) is None
    assert explorer_url("moonnet", HASH, real=True) is None
    assert explorer_url("polygon", HASH, real=False) is None


def test_failed_send_reason_in_words_and_refund():
    t = wire(
        status="failed",
        subStatus="rejected",
        completedAt="2026-11-24T10:00:02.000Z",
        error={"code": "blockchain_rejected", "message": "rejected"},
    )
    t2 = parse_transaction({**t.raw, "destination": {**t.raw["destination"], "txHash": None}})
    s = tell(t2)
    assert s.status == "Failed — rejected by the network"
    assert "rejected the transfer" in s.failure
    assert s.refund == "10.00 USDC refunded to wallet " + "wlt_" + "1" * 26
    assert not s.tx_hash


def test_timeline_marks_what_the_desk_saw():
    seen = [
        Seen(datetime(2026, 11, 24, 10, 0, 1, tzinfo=UTC), "processing", "fundsPulled"),
        Seen(datetime(2026, 11, 24, 10, 0, 1, 500, tzinfo=UTC), "processing", "fundsPulled"),
        Seen(datetime(2026, 11, 24, 10, 0, 3, tzinfo=UTC), "processing", "broadcast"),
    ]
    s = tell(wire(), seen=seen)
    steps = [(st.text, st.source_words) for st in s.timeline]
    assert steps == [
        ("Created — Processing", "from the transaction"),
        ("Processing — funds taken from the wallet", "seen by the desk"),
        ("Last change — Completed — settled", "from the transaction"),
        ("Processing — broadcast to the network", "seen by the desk"),
        ("Completed — settled", "from the transaction"),
    ]


def test_withdraw_to_bank_masks_the_account():
    t = wire(
        type="cryptoToFiat",
        destination={
            "wallet": {"id": None, "blockchainAddress": None, "externalAccountId": "cpUsBank_1"},
            "asset": "usd",
            "network": "wire",
            "amountGross": "9.5",
            "amountNet": "9.5",
            "bankDetails": {
                "bankName": "Chase",
                "accountHolderName": "Ada Lovelace",
                "routingNumber": "021000021",
                "accountNumber": "******4242",
            },
        },
    )
    s = tell(t)
    assert s.title.startswith("Withdraw to bank of")
    assert ("Received (net)", "9.50 USD") in s.amounts
    paid = dict(s.outcome)["Paid to bank"]
    assert "••••4242" in paid and "Chase" in paid and "WIRE" in paid
    assert mask_account("123456789") == "••••6789"


@pytest.mark.parametrize(
    "over,viewer,name",
    [
        ({"type": "cryptoToCrypto"}, None, "Send"),
        ({"type": "cryptoToCrypto", "sender": A, "recipient": B}, B, "Receive"),
        ({"type": "cryptoToCrypto", "sender": A, "recipient": B}, A, "Send"),
        ({"type": "cryptoToFiat"}, None, "Withdraw to bank"),
        ({"type": "fiatToCrypto", "cashInId": "ci_1"}, None, "Fund with cash"),
        (
            {"type": "fiatToCrypto", "source": {"asset": "usd", "network": "ach"}},
            None,
            "Bank deposit",
        ),
        (
            {"type": "cryptoToCrypto", "source": {"depositAddressId": "da_1", "asset": "usdc"}},
            None,
            "Receive",
        ),
    ],
)
def test_one_type_name_everywhere(over, viewer, name):
    assert display.kind_name(wire(**over), viewer) == name


def test_plural_and_status_words():
    assert display.plural(1, "customer") == "1 customer"
    assert display.plural(0, "customer") == "0 customers"
    assert display.plural(2000, "transaction") == "2,000 transactions"
    assert display.status_words("processing", "bankSubmitted") == (
        "Processing — submitted to the bank"
    )
    assert display.status_words(None) == "Unknown"


@pytest.mark.parametrize(
    "sub",
    [
        "order_reserved",
        "cash_deposit_expired",
        "cash_deposit_failed",
        "provider_order_failed",
        "provider_order_template_error",
    ],
)
def test_every_cash_in_sub_status_in_plain_words(sub):
    """The cash-in sub-statuses OMS_API lists read as words, never as the wire's
    snake_case (a cash-in's status line shows them; "settled" already is a word)."""
    text = display.status_words("pending", sub)
    assert text.startswith("Pending — ")
    assert "_" not in text
