"""kill -9 of the desk between journalling a send and reading its answer, on the embedded
profile, then a restart: the harness of issue 13 (1)'s loop test and benchmark.

Each "desk run" is a child process built from the app's own pieces for the default profile
(``OMS_DESK_HOME`` paths, the embedded sandbox started by ``EmbeddedSandbox`` with
``--parent-pid``, ``make_client`` with the profile's account identity, the outbox in the
app's data dir). It first recovers as a session does on open (``Outbox.replay``), then
quotes a send and submits it through the outbox, and dies by SIGKILL either just before
the request leaves or just after the server has answered. The embedded sandbox follows it
(parent gone) and the next run starts it again — on a new port, as in the field.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import asyncio, json, os, signal, sys
    import httpx
    from desktop.app import account_locator, make_client
    from desktop.config import default_paths, embedded_profile
    from desktop.embedded import EmbeddedSandbox
    from desktop.oms.outbox import Outbox

    cfg = json.loads(sys.argv[1])

    def say(**kw):
        print(json.dumps(kw), flush=True)

    class DieTransport(httpx.AsyncBaseTransport):
        armed = False  # only the new send dies, never the recovery's re-send
        def __init__(self):
            self.inner = httpx.AsyncHTTPTransport()
        async def handle_async_request(self, request):
            send = (self.armed and request.method == "POST"
                    and request.url.path.endswith("/transactions"))
            if send and cfg["when"] == "before":
                os.kill(os.getpid(), signal.SIGKILL)  # journalled; the request never left
            response = await self.inner.handle_async_request(request)
            if send and cfg["when"] == "after":
                await response.aread()  # the server committed and answered...
                os.kill(os.getpid(), signal.SIGKILL)  # ...and the desk dies reading it
            return response

    async def main():
        paths = default_paths().ensure()
        profile = embedded_profile()
        sandbox = EmbeddedSandbox(paths.sandbox_dir, demo=False)
        info = await sandbox.start()
        say(event="sandbox", pid=info.pid, baseUrl=info.base_url)
        client = make_client(
            info.base_url, info.api_key, info.api_secret,
            locator=account_locator(profile, info.base_url, paths.sandbox_dir),
            label=profile.name, transport=(transport := DieTransport()),
        )
        outbox = Outbox(paths.data_dir / "outbox.sqlite3")
        report = await outbox.replay(client)  # what the session does when it opens
        say(event="recovered", resent=[e.key for e in report.resent],
            failed=[e.key for e in report.failed],
            pending=[e.key for e in report.still_pending], stale=[e.key for e in report.stale])
        if cfg["when"] == "none":
            txns = [t async for t in client.iter_transactions()]
            entries = outbox.entries()
            say(event="final", transactions=[[t.id, t.quote_id] for t in txns],
                entries=[[e.key, str(e.state), e.body.get("quoteId")] for e in entries])
        else:
            if not cfg.get("wallet"):
                cust = await client.create_customer(cfg["identity"])
                wallet = await client.create_wallet(cust.id)
                await client.sandbox_deposit(wallet.id, "1000.00")
                say(event="funded", customer=cust.id, wallet=wallet.id)
                cfg["customer"], cfg["wallet"] = cust.id, wallet.id
            quote = await client.create_quote({
                "customerId": cfg["customer"],
                "source": {"asset": "usdc", "network": "polygon",
                           "walletId": cfg["wallet"], "amount": "1.00"},
                "destination": {"asset": "usdc", "network": "polygon",
                                "wallet": {"blockchainAddress": cfg["address"]}},
            })
            say(event="quoted", quote=quote.id)
            transport.armed = True
            await outbox.submit_transaction(client, quote.id)
            say(event="survived")
        await client.aclose()
        await sandbox.stop()

    asyncio.run(main())
    """
)


@dataclass
class CrashLoop:
    """Results of a loop of killed desk runs followed by one clean run."""

    quotes: list[str] = field(default_factory=list)
    transactions: list[list] = field(default_factory=list)  # [txn id, quote id]
    entries: list[list] = field(default_factory=list)  # [key, state, quote id]
    ports: set[str] = field(default_factory=set)

    @property
    def lost(self) -> list[str]:
        have = {q for _t, q in self.transactions}
        return [q for q in self.quotes if q not in have]

    @property
    def duplicated(self) -> list[str]:
        seen = [q for _t, q in self.transactions]
        return sorted({q for q in seen if seen.count(q) > 1})


def _desk_run(home: Path, cfg: dict) -> tuple[int, list[dict]]:
    env = dict(os.environ, OMS_DESK_HOME=str(home), PYTHONUNBUFFERED="1")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cfg)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode not in (0, -signal.SIGKILL):
        raise RuntimeError(f"desk run failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return proc.returncode, events


def _wait_gone(pid: int) -> None:
    """The killed desk's sandbox exits by itself (its parent is gone): wait for that."""
    try:
        psutil.Process(pid).wait(timeout=30)
    except psutil.NoSuchProcess:
        pass


def crash_loop(home: Path, runs: int, identity: dict, address: str) -> CrashLoop:
    out = CrashLoop()
    cfg: dict = {"identity": identity, "address": address}
    for i in range(runs):
        cfg["when"] = "before" if i % 2 == 0 else "after"
        code, events = _desk_run(home, cfg)
        if code != -signal.SIGKILL or any(e["event"] == "survived" for e in events):
            raise AssertionError(f"run {i} was not killed: {events}")
        for e in events:
            if e["event"] == "funded":
                cfg["customer"], cfg["wallet"] = e["customer"], e["wallet"]
            elif e["event"] == "quoted":
                out.quotes.append(e["quote"])
            elif e["event"] == "sandbox":
                out.ports.add(e["baseUrl"])
                sandbox_pid = e["pid"]
        _wait_gone(sandbox_pid)
    cfg["when"] = "none"
    code, events = _desk_run(home, cfg)
    assert code == 0, events
    final = next(e for e in events if e["event"] == "final")
    out.transactions, out.entries = final["transactions"], final["entries"]
    for e in events:
        if e["event"] == "sandbox":
            out.ports.add(e["baseUrl"])
            _wait_gone(e["pid"])
    return out
