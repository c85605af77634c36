"""Boundaries of the log redaction that the mutation run (issue 19, item 4) found untested:
account numbers of four digits or fewer, already-masked values, the secret-length floor.
Expected texts are written out by hand.
"""

from __future__ import annotations

import logging

import pytest

from desktop.oms import redact


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("123456789", "******6789"),
        ("12345", "******2345"),  # five digits: the last four stay
        ("1234", "***"),  # four or fewer: nothing of it is shown
        ("123", "***"),
        ("7", "***"),
        ("", "***"),
        (987654321, "******4321"),
        ("12-34 56", "******3456"),  # digits counted without separators
        ("ab12", "***"),
        ("******6789", "******6789"),  # already masked: kept as it is
        ("*1", "*1"),
    ],
)
def test_mask_account(value, shown):
    assert redact.mask_account(value) == shown


def test_partial_keys_in_objects():
    body = {
        "accountNumber": "000123456789",
        "account_number": "4321",
        "taxId": "12",
        "ssn": "******0001",
        "routingNumber": "021000021",  # not a partial key: the text rule still applies
        "nested": [{"number": 5550001234}],
    }
    assert redact.redact_obj(body) == {
        "accountNumber": "******6789",
        "account_number": "***",
        "taxId": "***",
        "ssn": "******0001",
        "routingNumber": "******0021",  # a bare 9-digit run keeps its last four in text
        "nested": [{"number": "******1234"}],
    }


def test_secret_keys_are_masked_whatever_their_spelling():
    body = {"API_SECRET": "x", "Access-Token": "y", "password": None, "note": "plain"}
    assert redact.redact_obj(body) == {
        "API_SECRET": "***",
        "Access-Token": "***",
        "password": None,
        "note": "plain",
    }


def test_registered_secrets_need_six_characters():
    redact.register_secret("Zq9#k")  # five: too short to mask safely (would eat words)
    redact.register_secret("Zq9#kW")
    assert redact.redact_text("a Zq9#k b") == "a Zq9#k b"
    assert redact.redact_text("a Zq9#kW b") == "a *** b"


def test_filter_masks_args_and_exception_text():
    record = logging.LogRecord(
        "desktop.oms",
        logging.ERROR,
        __file__,
        1,
        "paid from %s with %s",
        ("123456789", "Bearer abcd.efg"),
        None,
    )
    assert redact.RedactingFilter().filter(record) is True
    assert record.getMessage() == "paid from ******6789 with Bearer ***"
    assert record.args is None
