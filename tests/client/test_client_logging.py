"""No Authorization header, secret or account number ever reaches the logs."""

from __future__ import annotations

import logging
import random
import string

import pytest

from desktop.oms import errors
from desktop.oms.client import Credentials
from desktop.oms.redact import RedactingFilter, redact_obj, redact_text, register_secret
from tests.support.client import IDENTITY, FaultTransport, client_for, fresh_account_client

ACCOUNT_NUMBER = "987654321234"


async def test_logs_never_contain_secrets(sandbox, caplog):
    caplog.set_level(logging.DEBUG)  # everything: ours, httpx, httpcore
    async with await fresh_account_client(sandbox, transport=FaultTransport()) as c:
        creds_secret = None
        cust = await c.create_customer(IDENTITY)
        ea = await c.create_external_account(
            cust.id,
            {"type": "usBank", "network": "wire",
             "bankDetails": {"bankName": "Chase", "routingNumber": "021000021",
                             "accountNumber": ACCOUNT_NUMBER, "accountHolderName": "Jane"}},
        )  # fmt: skip
        wh = await c.create_webhook("http://127.0.0.1:9/hook")
        token = c._token
        creds = c._credentials
        creds_secret = creds.api_secret
        with pytest.raises(errors.NotFound):  # an error path logs too
            await c.get_customer("cst_00000000000000000000000000")
    async with client_for(sandbox, Credentials(sandbox.api_key, "wrong-secret-xyz")) as bad:
        with pytest.raises(errors.AuthError) as ei:
            await bad.authenticate()
        assert ei.value.code == "invalid_credentials"

    text = caplog.text
    assert "/external-accounts" in text and "/auth/token" in text  # the calls were logged
    assert token and token not in text
    assert creds_secret and creds_secret not in text
    assert "wrong-secret-xyz" not in text
    assert "Bearer" not in text and "authorization" not in text.lower()
    assert ACCOUNT_NUMBER not in text and "4321234" not in text
    assert wh.secret and wh.secret not in text and wh.secret[6:] not in text
    assert "123456789" not in text  # the SSN in identifyingInformation
    assert "******1234" in text  # the masked account number is what was logged
    assert ea.bank_details.account_number.endswith("1234")


def test_redacting_filter_for_the_ui_log_handler(caplog):
    logger = logging.getLogger("test.redact")
    handler_records: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            handler_records.append(self.format(record))

    h = ListHandler()
    h.addFilter(RedactingFilter())
    logger.addHandler(h)
    try:
        logger.warning("headers %s", {"Authorization": "Bearer abc.def.ghi"})
        logger.warning('body {"apiSecret": "s3cr3t-value", "accountNumber": "000123456789"}')
        logger.warning("secret whsec_%s", "ab" * 32)
        logger.warning("curl -H 'Authorization: Bearer tok123456'")
        try:
            raise ValueError("apiSecret=hunter2hunter2")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(h)
    joined = "\n".join(handler_records)
    for leaked in ("abc.def.ghi", "s3cr3t-value", "000123456789", "ab" * 32, "tok123456",
                   "hunter2hunter2"):  # fmt: skip
        assert leaked not in joined, leaked
    assert "******6789" in joined


def test_redact_obj_keeps_structure():
    out = redact_obj(
        {"apiKey": "sk_sdbx_1", "apiSecret": "x" * 20, "nested": [{"accountNumber": "1234567"}],
         "amount": "10.00", "identifyingInformation": [{"type": "ssn", "number": "123456789"}]}
    )  # fmt: skip
    assert out["apiKey"] == "sk_sdbx_1" and out["apiSecret"] == "***"
    assert out["nested"][0]["accountNumber"] == "******4567"
    assert out["identifyingInformation"][0]["number"] == "******6789"
    assert out["amount"] == "10.00"
    assert redact_text("at 2026-11-24T10:00:00.123Z amount 1234.56") == (
        "at 2026-11-24T10:00:00.123Z amount 1234.56"
    )


# Each redaction layer on its own: every test below fails when only its layer is removed.


def test_layer_bearer_token_rule():
    """oms/redact.py's bearer rule: a bearer token with no 'Authorization' key around it."""
    text = redact_text("retrying with bearer eyJhbGciOi.layer-one-payload.sig after 401")
    assert "layer-one-payload" not in text and "eyJhbGciOi" not in text
    assert "bearer ***" in text


def test_layer_known_secret_values():
    """register_secret: an exact secret value is masked wherever it appears, even with no
    key name, header or pattern to give it away."""
    # fresh each run: registered secrets are process-wide
    secret = "zq-Plain-Layer-Two-" + "".join(random.choices(string.ascii_letters, k=12))
    before = redact_text(f"server echoed {secret} back")
    assert secret in before  # no pattern catches it: only the registered value can
    register_secret(secret)
    after = redact_text(f"server echoed {secret} back")
    assert secret not in after and "***" in after


def test_layer_client_logger_filter(caplog):
    """The client logger's RedactingFilter: a record logged there is redacted before any
    handler (here caplog's, which redacts nothing) sees it."""
    client_log = logging.getLogger("desktop.oms.client")
    assert any(isinstance(f, RedactingFilter) for f in client_log.filters)
    with caplog.at_level(logging.DEBUG, logger="desktop.oms.client"):
        client_log.warning("→ POST /auth/token %s", '{"apiSecret": "s3cr3t-layer-three"}')
    assert "s3cr3t-layer-three" not in caplog.text
    assert '"apiSecret": "***"' in caplog.text


def test_short_and_already_masked_account_numbers():
    """A 4-digit (or shorter) account number is masked whole: its last four would be all of
    it. An already-masked one is kept as it is, never re-masked into something longer."""
    from desktop.oms.redact import MASK, mask_account

    assert mask_account("1234") == MASK and mask_account("987") == MASK
    assert mask_account("12345") == "******2345"
    assert mask_account("******4242") == "******4242"
    assert mask_account(12345678) == "******5678"
