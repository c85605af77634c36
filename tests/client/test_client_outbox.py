"""The outbox across a crash: journal → send → SIGKILL → replay → exactly one transaction."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.oms import errors, models
from desktop.oms.outbox import EntryState, Outbox
from tests.support.client import (
    FaultTransport,
    cash_in_body,
    client_for,
    funded_customer,
    is_post,
    send_body,
)

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import asyncio, json, os, signal, sys
    import httpx
    from desktop.oms.client import Credentials, OmsClient
    from desktop.oms.outbox import Outbox

    cfg = json.loads(sys.argv[1])

    class DieTransport(httpx.AsyncBaseTransport):
        def __init__(self):
            self.inner = httpx.AsyncHTTPTransport()
        async def handle_async_request(self, request):
            money = request.method == "POST" and request.url.path.endswith(cfg["path"])
            if money and cfg["when"] == "before":
                os.kill(os.getpid(), signal.SIGKILL)  # crash before the request leaves
            response = await self.inner.handle_async_request(request)
            if money:
                await response.aread()  # the server has committed and answered...
                os.kill(os.getpid(), signal.SIGKILL)  # ...but we die before reading it
            return response

    async def main():
        client = OmsClient(cfg["base_url"], Credentials(cfg["key"], cfg["secret"]),
                           transport=DieTransport())
        outbox = Outbox(cfg["outbox"])
        if cfg["kind"] == "transaction":
            await outbox.submit_transaction(client, cfg["quote_id"])
        else:
            await outbox.submit_cash_in(client, cfg["body"])
        print("survived")

    asyncio.run(main())
    """
)


def run_child(sb, outbox_path: Path, **cfg) -> subprocess.CompletedProcess:
    cfg = {
        "base_url": sb.base_url,
        "key": sb.api_key,
        "secret": sb.api_secret,
        "outbox": str(outbox_path),
        **cfg,
    }
    return subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cfg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("when", ["after", "before"])
async def test_transaction_survives_sigkill(fresh_sandbox, tmp_path, when):
    path = tmp_path / "outbox.sqlite3"
    async with client_for(fresh_sandbox) as c:
        cust, wallet = await funded_customer(c)
        quote = await c.create_quote(send_body(cust, wallet, "25.00"))

        proc = run_child(
            fresh_sandbox, path, kind="transaction", path="/transactions",
            quote_id=quote.id, when=when,
        )  # fmt: skip
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert "survived" not in proc.stdout

        outbox = Outbox(path)
        (entry,) = outbox.entries()
        assert entry.state is EntryState.PENDING and entry.body == {"quoteId": quote.id}
        existing = (await c.list_transactions()).data
        assert len(existing) == (1 if when == "after" else 0)

        report = await outbox.replay(c)
        assert [e.key for e in report.resent] == [entry.key]
        assert not report.failed and not report.stale and not report.still_pending
        done = outbox.get(entry.key)
        assert done.state is EntryState.DONE
        txns = (await c.list_transactions()).data
        assert [t.id for t in txns] == [done.result_id]  # exactly one, and it is ours
        if when == "after":
            assert txns[0].id == existing[0].id
        assert isinstance(done.result, models.Transaction) and done.result.id == done.result_id
        assert report.resent[0].result.id == done.result_id
        assert (await c.get_balance(wallet.id)).balance == Decimal("975.00")

        # a second replay finds nothing to do
        again = await outbox.replay(c)
        assert not (again.resent or again.failed or again.still_pending)
        outbox.close()


async def test_cash_in_survives_sigkill(fresh_sandbox, tmp_path):
    path = tmp_path / "outbox.sqlite3"
    async with client_for(fresh_sandbox) as c:
        cust, wallet = await funded_customer(c, amount="")
        body = await cash_in_body(c, cust, wallet)
        proc = run_child(fresh_sandbox, path, kind="cashIn", path="/cash-ins", body=body,
                         when="after")  # fmt: skip
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        outbox = Outbox(path)
        report = await outbox.replay(c)
        assert len(report.resent) == 1
        cash_ins = (await c.list_cash_ins()).data
        assert [ci.id for ci in cash_ins] == [report.resent[0].result_id]
        outbox.close()


async def test_outcomes_recorded_and_stale_entries_surfaced(fresh_sandbox, tmp_path):
    now = [1_000_000.0]
    outbox = Outbox(tmp_path / "o.sqlite3", clock=lambda: now[0])
    transport = FaultTransport()
    async with client_for(fresh_sandbox, transport=transport) as c:
        cust, wallet = await funded_customer(c)
        # success
        q1 = await c.create_quote(send_body(cust, wallet, "1.00"))
        t1 = await outbox.submit_transaction(c, q1.id, key="key-ok")
        assert outbox.get("key-ok").state is EntryState.DONE
        assert outbox.get("key-ok").result_id == t1.id
        # definitive refusal: recorded as failed, not replayed
        with pytest.raises(errors.QuoteNotOpen):
            await outbox.submit_transaction(c, q1.id, key="key-refused")
        assert outbox.get("key-refused").state is EntryState.FAILED
        assert outbox.get("key-refused").error_code == "quote_not_open"
        # the network drops before the request leaves and retries are spent: stays pending
        q2 = await c.create_quote(send_body(cust, wallet, "2.00"))
        for _ in range(10):
            transport.add(is_post("/transactions"), "connect_error")
        with pytest.raises(errors.NetworkError):
            await outbox.submit_transaction(c, q2.id, key="key-lost")
        transport.faults.clear()
        assert outbox.get("key-lost").state is EntryState.PENDING
        # an unresolved entry from more than 24 h ago is surfaced, never re-sent
        q3 = await c.create_quote(send_body(cust, wallet, "3.00"))
        for _ in range(10):
            transport.add(is_post("/transactions"), "connect_error")
        with pytest.raises(errors.NetworkError):
            await outbox.submit_transaction(c, q3.id, key="key-old")
        transport.faults.clear()
        outbox._exec("UPDATE outbox SET created_at = ? WHERE key = ?", (now[0] - 90000, "key-old"))

        before = transport.count("POST", "/transactions")
        report = await outbox.replay(c)
        assert [e.key for e in report.resent] == ["key-lost"]
        assert [e.key for e in report.stale] == ["key-old"] and report.needs_attention
        assert transport.count("POST", "/transactions") == before + 1  # key-old not sent
        outbox.acknowledge("key-old")
        assert (await outbox.replay(c)).stale == []
        # a key journalled for one body cannot be reused for another
        with pytest.raises(ValueError):
            await outbox.submit_transaction(c, q3.id, key="key-ok")
        ids = {t.id for t in (await c.list_transactions()).data}
        assert ids == {t1.id, outbox.get("key-lost").result_id}
    outbox.close()
