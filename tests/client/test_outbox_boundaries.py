"""Outbox boundaries without a server: the replay margin just inside and just outside, a
protocol error that must not close an entry, and a full disk named as such."""

from __future__ import annotations

import httpx
import pytest

from desktop.oms import errors
from desktop.oms.client import Credentials, OmsClient
from desktop.oms.outbox import IDEMPOTENCY_WINDOW_S, REPLAY_MARGIN_S, EntryState, Outbox
from desktop.oms.retry import RetryPolicy

CREDS = Credentials("sk_sdbx_box", "box-secret-value")
LIMIT = IDEMPOTENCY_WINDOW_S - REPLAY_MARGIN_S  # 24 h − 10 min


class Server:
    """Token endpoint; POST /transactions fails to connect while ``down``, else answers."""

    def __init__(self) -> None:
        self.down = True
        self.posted: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v0.9/")
        if path == "auth/token":
            return httpx.Response(200, json={"accessToken": "tok-box", "expiresIn": 3600})
        if self.down:
            raise httpx.ConnectError("refused")
        key = request.headers["idempotency-key"]
        self.posted.append(key)
        return httpx.Response(201, json={"id": f"txn_{key}", "status": "processing"})


def make_client(server: Server) -> OmsClient:
    async def no_sleep(_):
        return None

    return OmsClient(
        "http://127.0.0.1:9/v0.9", CREDS, transport=httpx.MockTransport(server),
        retry=RetryPolicy(attempts=1), sleep=no_sleep,
    )  # fmt: skip


def test_the_margin_is_24h_minus_10min():
    assert LIMIT == 24 * 3600 - 600


async def test_replay_margin_just_inside_is_replayed_and_just_outside_is_stale(tmp_path):
    now = [1_000_000.0]
    box = Outbox(tmp_path / "o.sqlite3", clock=lambda: now[0])
    server = Server()
    try:
        async with make_client(server) as c:
            with pytest.raises(errors.NetworkError):
                await box.submit_transaction(c, "qt_out", key="outside")
            now[0] += 1.0
            with pytest.raises(errors.NetworkError):
                await box.submit_transaction(c, "qt_edge", key="edge")
            now[0] += 1.0
            with pytest.raises(errors.NetworkError):
                await box.submit_transaction(c, "qt_in", key="inside")
            # 'outside' is LIMIT + 1 s old, 'edge' exactly LIMIT (still inside), 'inside'
            # LIMIT − 1 s old.
            now[0] = 1_000_000.0 + LIMIT + 1.0
            server.down = False
            report = await box.replay(c)
        assert [e.key for e in report.resent] == ["edge", "inside"]
        assert server.posted == ["edge", "inside"]
        assert [e.key for e in report.stale] == ["outside"]
        assert box.get("inside").state is EntryState.DONE
        assert box.get("outside").state is EntryState.STALE
    finally:
        box.close()


async def test_a_protocol_error_is_not_definitive_and_replay_completes_it(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    answers = [httpx.Response(201, content=b"{not json"),
               httpx.Response(201, json={"id": "txn_1", "status": "processing"})]  # fmt: skip

    async def handler(request):
        if request.url.path.endswith("auth/token"):
            return httpx.Response(200, json={"accessToken": "tok-box", "expiresIn": 3600})
        return answers.pop(0)

    try:
        async with OmsClient("http://127.0.0.1:9/v0.9", CREDS,
                             transport=httpx.MockTransport(handler)) as c:  # fmt: skip
            with pytest.raises(errors.ProtocolError):
                await box.submit_transaction(c, "qt_1", key="k1")
            assert box.get("k1").state is EntryState.PENDING
            report = await box.replay(c)
        assert [e.result_id for e in report.resent] == ["txn_1"]
        assert box.get("k1").state is EntryState.DONE
    finally:
        box.close()


async def test_a_full_disk_is_named_and_nothing_is_sent(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    server = Server()
    server.down = False
    try:
        pages = box._exec("PRAGMA page_count")[0][0]
        box._exec(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL
        async with make_client(server) as c:
            with pytest.raises(errors.DiskFull) as ei:
                await box.submit_transaction(c, "qt_1", key="k-full", metadata={"n": "x" * 50000})
        text = str(ei.value)
        assert "disk is full" in text.lower() and "rollback" not in text.lower()
        assert server.posted == []  # not journalled → not sent
        assert box.get("k-full") is None
        assert isinstance(ei.value.__cause__, Exception) and "full" in str(ei.value.__cause__)
    finally:
        box.close()


def test_enospc_is_a_full_disk_too():
    import errno

    from desktop.oms.outbox import _disk_full

    assert _disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not _disk_full(OSError(errno.EACCES, "Permission denied"))
