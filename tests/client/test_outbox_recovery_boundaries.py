"""Outbox boundaries the mutation run (issue 19, item 4) found untested: where the journal
lives by default, and what a replay reports for an entry a person acknowledged while its
re-send was in flight (not "re-sent": the server never created it)."""

from __future__ import annotations

import httpx
import pytest

from desktop.oms import errors
from desktop.oms.client import Credentials, OmsClient
from desktop.oms.outbox import EntryState, Outbox
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
