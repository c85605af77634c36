"""Outbox boundaries the mutation run (issue 19, item 4) found untested: where the journal
lives by default, and what a replay reports for an entry a person acknowledged while its
re-send was in flight (not "re-sent": the server never created it), the outcome recorded for
each kind of answer, a cash-in's stored result, and a refused key reuse."""

from __future__ import annotations

import errno
import json
import os

import httpx
import pytest

from desktop.oms import errors, models
from desktop.oms.client import Credentials, OmsClient
from desktop.oms.outbox import EntryState, Kind, Outbox, OutboxEntry, ReplayReport, _disk_full
from desktop.oms.retry import RetryPolicy

CREDS = Credentials("sk_sdbx_box2", "box2-secret-value")


def test_the_journal_lives_in_the_users_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    box = Outbox.in_user_data_dir("OMS Desk Test")
    try:
        assert box.path == tmp_path / "OMS Desk Test" / "outbox.sqlite3"
        assert box.path.is_file()  # created (and its folder) on first use
    finally:
        box.close()


async def test_an_entry_acknowledged_during_its_replay_is_not_reported_as_resent(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    posts: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("auth/token"):
            return httpx.Response(200, json={"accessToken": "tok-box2", "expiresIn": 3600})
        key = request.headers["idempotency-key"]
        posts.append(key)
        if len(posts) == 2:  # the replay's send: a person acknowledges it meanwhile
            box.acknowledge(key)
        raise httpx.ConnectError("refused")

    async def no_sleep(_):
        return None

    try:
        async with OmsClient(
            "http://127.0.0.1:9/v0.9",
            CREDS,
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy(attempts=1),
            sleep=no_sleep,
        ) as c:
            with pytest.raises(errors.NetworkError):
                await box.submit_transaction(c, "qt_1", key="k-ack")
            report = await box.replay(c)
        assert posts == ["k-ack", "k-ack"]
        assert box.get("k-ack").state is EntryState.ACKNOWLEDGED
        assert report.resent == [] and report.failed == []
    finally:
        box.close()


# -- outcomes recorded per answer (D1/D2/D3), a cash-in's stored result, a refused key reuse

ANSWERS = {
    # quote id: (status, error code) the server answers; 201 creates the transaction
    "qt_ok": (201, None),
    "qt_400": (400, "invalid_request"),
    "qt_403": (403, "customer_inactive"),
    "qt_404": (404, "not_found"),
    "qt_409": (409, "quote_expired"),
    "qt_reused": (422, "idempotency_key_reused"),
    "qt_499": (499, None),
    "qt_in_use": (409, "idempotency_key_in_use"),
    "qt_401": (401, "unauthorized"),
    "qt_429": (429, "rate_limited"),
    "qt_500": (500, "internal_error"),
    "qt_503": (503, None),
    "qt_302": (302, None),
    "qt_500_coded": (500, "invalid_state"),
}


def answering_client() -> OmsClient:
    async def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v0.9/")
        if path == "auth/token":
            return httpx.Response(200, json={"accessToken": "tok-box2", "expiresIn": 3600})
        body = json.loads(request.content)
        if path == "cash-ins":
            return httpx.Response(201, json={"id": "ci_1", "status": "pending"})
        status, code = ANSWERS[body["quoteId"]]
        if status == 201:
            return httpx.Response(201, json={"id": "txn_ok", "status": "processing"})
        error = {"code": code, "message": "No."} if code else {"message": "No."}
        return httpx.Response(status, json={"error": error})

    async def no_sleep(_):
        return None

    return OmsClient(
        "http://127.0.0.1:9/v0.9",
        CREDS,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
        sleep=no_sleep,
    )


@pytest.mark.parametrize(
    ("quote", "state", "code"),
    [
        ("qt_ok", EntryState.DONE, None),
        # the server decided: a replay with the same key would get the same answer
        ("qt_400", EntryState.FAILED, "invalid_request"),
        ("qt_403", EntryState.FAILED, "customer_inactive"),
        ("qt_404", EntryState.FAILED, "not_found"),
        ("qt_409", EntryState.FAILED, "quote_expired"),
        ("qt_reused", EntryState.FAILED, "idempotency_key_reused"),
        ("qt_499", EntryState.FAILED, "499"),  # no code: the status is kept instead
        # no decision: the outcome is unknown, the entry stays pending for replay
        ("qt_in_use", EntryState.PENDING, None),
        ("qt_401", EntryState.PENDING, None),
        ("qt_429", EntryState.PENDING, None),
        ("qt_500", EntryState.PENDING, None),
        ("qt_503", EntryState.PENDING, None),
        ("qt_302", EntryState.PENDING, None),  # below 400: not a refusal
        ("qt_500_coded", EntryState.PENDING, None),  # a 5xx is no decision, whatever its code
    ],
)
async def test_each_answer_is_recorded_as_done_failed_or_pending(tmp_path, quote, state, code):
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        async with answering_client() as c:
            try:
                await box.submit_transaction(c, quote, key="k1")
            except errors.OmsError:
                assert state is not EntryState.DONE
        entry = box.get("k1")
        assert entry.state is state and entry.error_code == code
    finally:
        box.close()


async def test_a_cash_in_result_is_read_back_as_a_cash_in(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        async with answering_client() as c:
            body = {"customerId": "cus_1", "source": {"asset": "usd", "indicatedAmount": "20.00"}}
            await box.submit_cash_in(c, body, key="k-ci")
            await box.submit_transaction(c, "qt_ok", key="k-tx")
        ci, tx = box.get("k-ci").model(), box.get("k-tx").model()
        assert isinstance(ci, models.CashIn) and ci.id == "ci_1"
        assert isinstance(tx, models.Transaction) and tx.id == "txn_ok"
    finally:
        box.close()


async def test_a_key_refused_for_another_request_leaves_the_journal_usable(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        async with answering_client() as c:
            await box.submit_transaction(c, "qt_ok", key="k1")
            with pytest.raises(ValueError, match="another request"):
                await box.submit_transaction(c, "qt_404", key="k1")  # same key, other body
            # the refusal rolled back its transaction: the next submission journals and sends
            txn = await box.submit_transaction(c, "qt_ok", key="k2")
        assert txn.id == "txn_ok" and box.get("k2").state is EntryState.DONE
        assert box.get("k1").body == {"quoteId": "qt_ok"}
    finally:
        box.close()


def test_a_report_needs_attention_for_any_unresolved_entry():
    entry = OutboxEntry(
        key="k", scope="s", kind=Kind.TRANSACTION, body={}, state=EntryState.FAILED,
        created_at=0.0, updated_at=0.0,
    )  # fmt: skip
    assert not ReplayReport().needs_attention
    assert not ReplayReport(resent=[entry]).needs_attention
    assert ReplayReport(failed=[entry]).needs_attention
    assert ReplayReport(still_pending=[entry]).needs_attention
    assert ReplayReport(stale=[entry]).needs_attention


@pytest.mark.parametrize(
    ("code", "full"),
    [(errno.ENOSPC, True), (errno.EROFS, False), (errno.EPIPE, False), (errno.EDQUOT, False),
     (errno.EACCES, False), (errno.EIO, False)],
)  # fmt: skip
def test_only_enospc_is_a_full_disk(code, full):
    assert _disk_full(OSError(code, os.strerror(code))) is full


async def test_an_entry_names_its_quote(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        async with answering_client() as c:
            await box.submit_transaction(c, "qt_ok", key="k1", metadata={"ref": "inv-7"})
        entry = box.get("k1")
        assert entry.quote_id == "qt_ok" and entry.body["metadata"] == {"ref": "inv-7"}
    finally:
        box.close()
