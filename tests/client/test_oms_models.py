"""Tolerant parsing of every OMS resource into the immutable models."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.oms import models as m

CUSTOMER = {
    "id": "cst_01jd0000000000000000000000",
    "object": "customer",
    "type": "individual",
    "firstName": "Jane",
    "middleName": None,
    "lastName": "Smith",
    "email": "jane@example.com",
    "phone": "+12125551234",
    "nationality": "US",
    "externalId": "usr_1",
    "status": "active",
    "signedAgreement": True,
    "signedAgreementAt": "2026-03-20T14:15:22Z",
    "wallets": [
        {
            "id": "wlt_1",
            "type": "custodial",
            "address": "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1",
            "network": "polygon",
            "asset": "usdc",
            "balance": "1234.56",
            "estimatedValueUsd": "1234.56",
            "createdAt": "2023-11-07T05:31:56Z",
        }
    ],
    "endorsements": [
        {
            "name": "basic",
            "status": "ACTIVE",
            "rejectionReasons": [],
            "requirements": {"complete": ["firstName"], "pending": [], "missing": [], "issues": []},
        },
        {
            "name": "usd",
            "status": "PENDING",
            "rejectionReasons": [{"reason": "r", "developerReason": "dr"}],
            "requirements": {"complete": [], "pending": [], "missing": ["birthDate"], "issues": []},
        },
        {"name": "cryptoCustody", "status": "SOMETHING_NEW"},
    ],
    "metadata": {"k": "v"},
    "createdAt": "2026-11-24T10:00:00.123Z",
    "updatedAt": "2026-11-24T10:00:00Z",
    "brandNewField": {"x": 1},
}

QUOTE = {
    "id": "qt_1",
    "object": "quote",
    "type": "cryptoToCrypto",
    "status": "open",
    "customerId": "cst_1",
    "source": {
        "walletId": "wlt_1",
        "asset": "usdc",
        "network": "polygon",
        "amountGross": "100.00",
        "amountNet": "99.42",
        "feesDeducted": {
            "total": "0.58",
            "developer": "0.20",
            "oms": "0.35",
            "gas": "0.03",
            "rail": "0.00",
        },
    },
    "destination": {
        "wallet": {
            "id": None,
            "blockchainAddress": "0xabC1230000000000000000000000000000DEf456",
            "externalAccountId": None,
        },
        "asset": "usdc",
        "network": "polygon",
        "amountGross": "99.42",
        "amountNet": "99.42",
        "feesDeducted": {"total": "0.00"},
        "bankDetails": {},
    },
    "rates": {"exchangeRate": "1.0", "effectiveRate": "0.9942", "pair": "usdc/usdc"},
    "fixedAmountSide": "source",
    "sponsorGas": True,
    "sponsorGasCost": "0",
    "metadata": {},
    "expiresAt": "2026-11-24T10:00:30.000Z",
    "createdAt": "2026-11-24T10:00:00.000Z",
}

TXN = {
    "id": "txn_1",
    "object": "transaction",
    "type": "cryptoToCrypto",
    "status": "failed",
    "subStatus": "rejected",
    "quoteId": "qt_1",
    "sender": "cst_1",
    "recipient": None,
    "source": QUOTE["source"],
    "destination": {**QUOTE["destination"], "txHash": None, "rail": "crypto"},
    "rates": QUOTE["rates"],
    "error": {"code": "blockchain_rejected", "message": "The network rejected it."},
    "createdAt": "2026-11-24T10:00:01Z",
    "updatedAt": "2026-11-24T10:00:03Z",
    "completedAt": None,
}

CASH_IN = {
    "id": "ci_1",
    "object": "cashIn",
    "type": "fiatToCrypto",
    "status": "pending",
    "subStatus": "order_reserved",
    "customerId": "cst_1",
    "source": {"asset": "usd", "network": "cash", "indicatedAmount": "100.00", "amount": None},
    "destination": {"wallet": {"id": "wlt_1"}, "asset": "usdc", "network": "polygon"},
    "cash": {"locationId": "loc_1", "locationReference": "R1JF"},
    "depositInstructions": {
        "code": "ABC 12345",
        "expiresAt": "2026-11-24T11:00:00Z",
        "locationName": "CVS",
        "locationAddress": "1 Main St",
    },
    "omsFeeSchedule": {
        "feeCurrency": "usd",
        "entries": [{"type": "percentage", "rate": "0.015"}, {"type": "fixed", "amount": "0.50"}],
    },
    "transactionId": None,
    "createdAt": "2026-11-24T10:00:00Z",
}


def test_customer_parses_every_field_and_keeps_raw():
    c = m.parse_customer(CUSTOMER)
    assert c.id == CUSTOMER["id"] and c.display_name == "Jane Smith"
    assert c.status is m.CustomerStatus.ACTIVE
    assert c.signed_agreement is True
    assert c.signed_agreement_at == datetime(2026, 3, 20, 14, 15, 22, tzinfo=UTC)
    assert c.created_at == datetime(2026, 11, 24, 10, 0, 0, 123000, tzinfo=UTC)
    assert c.wallets[0].balance == Decimal("1234.56") and c.wallets[0].chain == "polygon"
    assert c.has_endorsement("basic") and not c.has_endorsement("usd")
    usd = c.endorsement("usd")
    assert usd.status is m.EndorsementStatus.PENDING
    assert usd.requirements.missing == ("birthDate",)
    assert usd.rejection_reasons[0].developer_reason == "dr"
    assert c.endorsement("cryptoCustody").status is m.EndorsementStatus.UNKNOWN
    assert c.raw["brandNewField"] == {"x": 1}
    assert c.metadata == {"k": "v"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.email = "x"  # type: ignore[misc]


def test_unknown_status_falls_back_and_missing_fields_tolerated():
    c = m.parse_customer({"id": "cst_x", "status": "frozen"})
    assert c.status is m.CustomerStatus.UNKNOWN
    assert c.wallets == () and c.endorsements == () and c.created_at is None
    assert m.parse_transaction({}).status is m.TransactionStatus.UNKNOWN
    assert m.parse_cash_in(None).status is m.CashInStatus.UNKNOWN
    assert m.parse_quote([1, 2]).id == ""
    # case-insensitive fallback match
    assert m.TransactionStatus("COMPLETED") is m.TransactionStatus.COMPLETED


def test_quote_money_is_decimal_and_countdown_uses_server_date():
    server_date = datetime(2026, 11, 24, 10, 0, 10, tzinfo=UTC)
    q = m.parse_quote(QUOTE, received_monotonic=1000.0, server_date=server_date)
    assert q.status is m.QuoteStatus.OPEN and q.type is m.TransactionType.CRYPTO_TO_CRYPTO
    assert q.source.amount_gross == Decimal("100.00")
    assert isinstance(q.source.fees.total, Decimal) and q.source.fees.oms == Decimal("0.35")
    assert q.source.fees.rail == Decimal("0.00")
    assert q.destination.wallet.blockchain_address.startswith("0xabC")
    assert q.destination.wallet.id is None
    assert q.rates.effective_rate == Decimal("0.9942")
    # 20 s left at receipt; 5 s later on the monotonic clock → 15 s
    assert q.remaining(1005.0) == timedelta(seconds=15)
    assert q.remaining(1030.0) == timedelta(0)
    assert q.expires_monotonic() == 1020.0


def test_transaction_failure_and_terminal():
    t = m.parse_transaction(TXN)
    assert t.is_terminal and t.status is m.TransactionStatus.FAILED
    assert t.error.code == "blockchain_rejected" and "rejected" in str(t.error)
    assert t.destination.rail == "crypto" and t.tx_hash is None
    assert not m.parse_transaction({"status": "processing"}).is_terminal
    assert not m.parse_transaction({"status": "teleporting"}).is_terminal


def test_cash_in_instructions_fee_schedule_and_aliases():
    ci = m.parse_cash_in(CASH_IN)
    assert ci.status is m.CashInStatus.PENDING and not ci.is_terminal
    assert ci.code == "ABC 12345"
    assert ci.expires_at == datetime(2026, 11, 24, 11, tzinfo=UTC)
    assert ci.source.indicated_amount == Decimal("100.00") and ci.source.amount is None
    assert ci.cash.location_id == "loc_1"
    assert ci.fee_schedule.estimate(Decimal("100.00")) == Decimal("2.00")
    assert ci.fee_schedule.estimate(Decimal("33.33")) == Decimal("1.00")  # 0.49995+0.5 half-up
    old = m.parse_cash_in(
        {
            **CASH_IN,
            "cash": {"cashLocationId": "loc_9"},
            "transaction": "txn_9",
            "status": "expired",
        }
    )
    assert old.cash.location_id == "loc_9" and old.transaction_id == "txn_9"
    assert old.is_terminal


def test_wallet_balance_location_external_account_webhook():
    w = m.parse_wallet(
        {"id": "wlt_1", "customerId": "cst_1", "address": "0xab", "asset": "usdc",
         "chain": "polygon", "status": "active", "type": "internal"}
    )  # fmt: skip
    assert w.status is m.WalletStatus.ACTIVE and w.chain == "polygon"
    b = m.parse_balance(
        {"object": "balance", "walletId": "wlt_1", "asset": "usdc", "chain": "polygon",
         "balance": "99.421234", "estimatedBalance": "99.42",
         "estimatedBalanceCurrencyCode": "usd", "updatedAt": "2026-11-24T10:00:00Z"}
    )  # fmt: skip
    assert b.balance == Decimal("99.421234") and b.estimated_balance_currency_code == "usd"
    loc = m.parse_cash_location(
        {"id": "loc_1", "object": "cashLocation", "locationReference": "R1", "provider": "greendot",
         "name": "CVS", "address": "1 Main", "city": "NYC", "state": "NY", "zipCode": "10001",
         "country": "US", "coordinates": {"latitude": 40.1, "longitude": "-73.9"},
         "distance": "0.4"}
    )  # fmt: skip
    assert loc.distance == Decimal("0.4") and loc.latitude == Decimal("40.1")
    assert loc.longitude == Decimal("-73.9") and loc.full_address == "1 Main, NYC, NY 10001"
    ea = m.parse_external_account(
        {"id": "cpUsBank_1", "object": "externalAccount", "customerId": "cst_1", "type": "usBank",
         "network": "ach", "bankDetails": {"bankName": "Chase", "routingNumber": "021000021",
         "accountNumber": "******4242", "accountHolderName": "Jane"}, "createdAt": None}
    )  # fmt: skip
    assert ea.bank_details.account_number == "******4242" and ea.label == "Chase …4242 ach"
    wh = m.parse_webhook(
        {"id": "whk_1", "object": "webhook", "url": "https://x", "events": ["cashIn.*"],
         "enabled": False, "status": "disabled", "complianceOnly": False,
         "secret": "whsec_" + "ab" * 32}
    )  # fmt: skip
    assert wh.events == ("cashIn.*",) and wh.enabled is False
    assert wh.status is m.WebhookStatus.DISABLED
    assert "whsec_" not in repr(wh)


def test_event_resource_dispatch():
    e = m.parse_event(
        {"id": "evt_1", "object": "event", "type": "transaction.cryptoToCrypto.failed",
         "createdAt": "2026-11-24T10:00:03Z", "data": TXN}
    )  # fmt: skip
    assert e.family == "transaction" and isinstance(e.resource, m.Transaction)
    assert e.resource.status is m.TransactionStatus.FAILED
    dep = m.parse_event(
        {"id": "evt_2", "type": "wallet.depositDetected",
         "data": {"object": "deposit", "walletId": "wlt_1", "amount": "5.00", "txHash": "0x1"}}
    ).resource  # fmt: skip
    assert isinstance(dep, m.Deposit) and dep.amount == Decimal("5.00")
    assert isinstance(m.parse_event({"data": {"id": "ci_1"}}).resource, m.CashIn)
    assert m.parse_event({"data": {"object": "mystery"}}).resource == {"object": "mystery"}


def test_page_parsing_and_customer_cursor_alias():
    p = m.parse_page(
        {"data": [CUSTOMER], "hasMore": True, "cursor": "cst_z", "previousCursor": "cst_a"},
        m.parse_customer,
    )
    assert len(p) == 1 and p.has_more and p.next_cursor == "cst_z"
    assert p.previous_cursor == "cst_a" and isinstance(p.data, tuple)
    empty = m.parse_page({"data": [], "hasMore": False, "nextCursor": None}, m.parse_customer)
    assert empty.data == () and empty.next_cursor is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T10:00:00Z", datetime(2026, 11, 24, 10, tzinfo=UTC)),
        ("2026-11-24T10:00:00.5Z", datetime(2026, 11, 24, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-24T12:00:00+02:00", datetime(2026, 11, 24, 10, tzinfo=UTC)),
        ("2026-11-24T10:00:00", datetime(2026, 11, 24, 10, tzinfo=UTC)),
        ("yesterday", None),
        (12345, None),
    ],
)
def test_parse_datetime_is_aware_utc(text, expected):
    got = m.parse_datetime(text)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100.00", Decimal("100.00")),
        ("0.000001", Decimal("0.000001")),
        (5, Decimal(5)),
        (0.1, Decimal("0.1")),  # a float from a sloppy server: no binary noise
        ("NaN", None),
        ("Infinity", None),
        ("abc", None),
        (True, None),
        (None, None),
    ],
)
def test_parse_decimal(value, expected):
    assert m.parse_decimal(value) == expected


@given(st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False))
def test_format_money_round_trips(d):
    text = m.format_money(d)
    assert Decimal(text) == d
    assert len(text.split(".")[1]) >= 2


def test_format_money_examples():
    assert m.format_money(Decimal("100")) == "100.00"
    assert m.format_money(Decimal("99.421234")) == "99.421234"
    assert m.format_money(Decimal("0.100")) == "0.10"
