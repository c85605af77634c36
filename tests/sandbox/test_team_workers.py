"""Team sandbox (D24): several workers on one PostgreSQL database, one truth.

A real throwaway PostgreSQL cluster (tests.support.pg), a real supervisor with 3 workers on
one port (SO_REUSEPORT). Each `Api` keeps one keep-alive connection, so it talks to one
worker; `on_worker()` finds clients on given workers through /sandbox/health's pid.
Loopback only; every wait is a bounded loop, none sleeps.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import psutil
import pytest

from tests.support.api import Api, assert_error, ts
from tests.support.sandbox import start_sandbox
from tests.support.webhook_receiver import WebhookReceiver

WORKERS = 3
HOLD_KEYS = ["hold-kill-1"]


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    env = {
        "OMS_SANDBOX_TEST_HOLD": ",".join(HOLD_KEYS),
        "OMS_SANDBOX_DELIVERY_LEASE_MS": "6000",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        sb = start_sandbox(
            tmp_path_factory.mktemp("team"),
            "--workers",
            str(WORKERS),
            "--rate-limit",
            "100000",
            backend="postgresql",
        )
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield sb
    sb.stop()


def worker_pid(api: Api) -> int:
    return api.ok(api.get("/sandbox/health"))["pid"]


def on_workers(sb, root: Api, n: int, tries: int = 200) -> list[Api]:
    """`n` clients of root's account, each on a different worker (bounded search)."""
    found: dict[int, Api] = {}
    spare: list[Api] = []
    for _ in range(tries):
        a = Api(sb.base_url, *root._creds.values())
        pid = worker_pid(a)
        if pid in found:
            spare.append(a)
        else:
            found[pid] = a
        if len(found) == n:
            break
    for a in spare:
        a.close()
    assert len(found) == n, f"only reached workers {sorted(found)}"
    return list(found.values())


def children(sb) -> set[int]:
    return {p.pid for p in psutil.Process(sb.pid).children()}


def test_health_names_backend_workers_and_database(team):
    root = Api.of(team)
    try:
        clients = on_workers(team, root, WORKERS)
        pids = {worker_pid(c) for c in clients}
        assert pids == children(team)  # the supervisor (ready line pid) owns the workers
        h = clients[0].ok(clients[0].get("/sandbox/health"))
        assert h["backend"] == "postgresql" and h["workers"] == WORKERS
        assert h["database"] == "reachable" and h["status"] == "ok"
        for c in clients:
            c.close()
    finally:
        root.close()


def test_tokens_accounts_and_clock_are_shared(team):
    root = Api.on_new_account(team)
    a, b = on_workers(team, root, 2)
    try:
        c = a.customer()  # made through one worker, seen through the other
        assert b.ok(b.get(f"/customers/{c['id']}"))["id"] == c["id"]
        before = b.now()
        after = a.advance(7)
        assert b.now() == after and after > before
    finally:
        for x in (a, b, root):
            x.close()


def _d7(api: Api, wallet_id: str, funded: Decimal) -> None:
    """D7 for a wallet that only received `funded` and sent to external addresses."""
    sends = [
        t
        for t in api.all_pages("/transactions")
        if t["source"].get("walletId") == wallet_id and t["status"] in ("processing", "completed")
    ]
    gross = sum(Decimal(t["source"]["amountGross"]) for t in sends)
    balance = Decimal(api.balance(wallet_id))
    assert balance >= 0
    assert balance + gross == funded, (balance, gross, funded)


def test_16_clients_send_from_the_same_wallets_through_every_worker(team):
    root = Api.on_new_account(team)
    try:
        wallets = [root.funded("1000.00") for _ in range(2)]
        clients = on_workers(team, root, WORKERS)
        clients += [Api(team.base_url, *root._creds.values()) for _ in range(16 - WORKERS)]
        outcomes: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(16)

        def run(i: int) -> None:
            api = clients[i]
            c, w = wallets[i % 2]
            start.wait(30)
            for _ in range(4):  # 8 senders x 4 x 100.00 = 3200.00 asked of 1000.00 each
                q = api.post("/quotes", api.quote_body(c, w, amount="100.00"))
                if q.status_code == 201:
                    r = api.post("/transactions", {"quoteId": q.json()["id"]})
                else:
                    r = q
                code = "ok" if r.status_code == 201 else r.json()["error"]["code"]
                with lock:
                    outcomes.append(code)

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(run, range(16)))
        assert set(outcomes) <= {"ok", "insufficient_funds"}, outcomes
        assert outcomes.count("ok") == 20  # exactly what 2 x 1000.00 pays for, no more
        root.advance(60)
        for _c, w in wallets:
            assert root.balance(w["id"]) in ("0.00", "0")
            _d7(root, w["id"], Decimal("1000.00"))
        for c in clients:
            c.close()
    finally:
        root.close()


def test_same_idempotency_key_on_different_workers_at_once(team):
    root = Api.on_new_account(team)
    try:
        c, w = root.funded("500.00")
        clients = on_workers(team, root, WORKERS)
        clients += [Api(team.base_url, *root._creds.values()) for _ in range(9 - WORKERS)]
        q = root.quote(c, w, amount="100.00")
        key = "dup-" + uuid.uuid4().hex
        start = threading.Barrier(len(clients))

        def fire(api: Api) -> httpx.Response:
            start.wait(30)
            return api.post("/transactions", {"quoteId": q["id"]}, key=key)

        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(fire, clients))
        fresh = [
            r for r in answers if r.status_code == 201 and "idempotent-replayed" not in r.headers
        ]
        replays = [
            r for r in answers if r.status_code == 201 and "idempotent-replayed" in r.headers
        ]
        in_use = [r for r in answers if r.status_code == 409]
        assert len(fresh) == 1, [(r.status_code, r.text) for r in answers]
        assert len(fresh) + len(replays) + len(in_use) == len(answers)
        for r in in_use:
            assert_error(r, 409, "idempotency_key_in_use", "Idempotency-Key")
        assert all(r.json() == fresh[0].json() for r in replays)
        # After the fact, every worker replays the one result; another body is 422.
        for api in clients[:WORKERS]:
            again = api.post("/transactions", {"quoteId": q["id"]}, key=key)
            assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
            assert again.json()["id"] == fresh[0].json()["id"]
            other = api.post("/transactions", {"quoteId": "quo_other"}, key=key)
            assert_error(other, 422, "idempotency_key_reused")
        sends = [
            t for t in root.all_pages("/transactions") if t["source"].get("walletId") == w["id"]
        ]
        assert len(sends) == 1
        assert root.balance(w["id"]) == "400.00"
        for api in clients:
            api.close()
    finally:
        root.close()


def test_clock_advance_races_settlement_each_step_once_in_order(team):
    root = Api.on_new_account(team)
    rec = WebhookReceiver()
    try:
        hook = root.webhook(rec.url, ["transaction.cryptoToCrypto.*"])
        rec.set_secret(hook["secret"])
        c, w = root.funded("1000.00")
        sends = [root.send(c, w, amount="10.00") for _ in range(12)]
        clients = on_workers(team, root, WORKERS)
        start = threading.Barrier(len(clients))

        def advance(api: Api) -> None:
            start.wait(30)
            for _ in range(3):
                api.advance(1)  # 3 workers x 3 x 1 s: 9 s, past broadcast (2 s) and done (5 s)

        t0 = root.now()
        with ThreadPoolExecutor(len(clients)) as pool:
            list(pool.map(advance, clients))
        assert (ts(root.now()) - ts(t0)).total_seconds() == 9  # every advance counted once
        ids = {s["id"] for s in sends}
        for s in sends:
            t = root.ok(root.get(f"/transactions/{s['id']}"))
            assert t["status"] == "completed" and t["subStatus"] == "settled"
            assert t["destination"]["txHash"]  # broadcast ran before completion

        def completed() -> list[str]:
            return [r.event_id for r in rec.delivered() if r.type.endswith(".completed")]

        assert rec.wait_until(lambda: len(set(completed())) >= len(ids), timeout=30), [
            (d["eventType"], d["status"]) for d in root.deliveries(hook["id"])
        ]
        assert len(completed()) == len(ids)  # each completion emitted and delivered once
        _d7(root, w["id"], Decimal("1000.00"))
        for api in clients:
            api.close()
    finally:
        rec.close()
        root.close()


def test_sigkilled_worker_claims_and_deliveries_are_taken_over(team):
    root = Api.on_new_account(team)
    rec = WebhookReceiver()
    try:
        (a,) = on_workers(team, root, 1)
        doomed = worker_pid(a)
        c, w = root.funded("1000.00")
        # 1. A request of the doomed worker holds its D3 claim when the worker dies.
        key = HOLD_KEYS[0]
        q = root.quote(c, w, amount="50.00")
        ha = _client_on(team, root, doomed)
        box: list = []
        held = threading.Thread(
            target=lambda: box.append(_quietly(a, "/transactions", {"quoteId": q["id"]}, key))
        )
        held.start()
        ha.ok(ha.post("/sandbox/test/hold/wait", {"idempotencyKey": key}))
        # 2. ... and a webhook delivery that a worker is attempting (the receiver holds it).
        hook = root.webhook(rec.url, ["wallet.depositDetected"])
        rec.set_secret(hook["secret"])
        rec.hold()
        load = [root.funded("5.00")]  # one delivery
        first = rec.wait_requests(1)[0]
        owner = _delivering_pid(team, rec)
        assert owner is not None
        os.kill(doomed, signal.SIGKILL)
        if owner != doomed:
            os.kill(owner, signal.SIGKILL)
        held.join(30)
        assert box == [None]  # the client saw its connection die
        rec.release()
        # The supervisor starts replacements; no live worker may hold the retry (test hook).
        live = _all_workers_up(team, root, {doomed, owner})
        for x in live:
            x.ok(x.post("/sandbox/test/hold/release", {"idempotencyKey": key}))
        b = live[0]
        # The dead worker's claim died with its connection (PostgreSQL notices at once; the
        # loop only covers the moment until it has): the retry runs, once.
        deadline = time.monotonic() + 10
        r = b.post("/transactions", {"quoteId": q["id"]}, key=key)
        while r.status_code == 409 and time.monotonic() < deadline:
            r = b.post("/transactions", {"quoteId": q["id"]}, key=key)
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers, r.text
        again = live[-1].post("/transactions", {"quoteId": q["id"]}, key=key)
        assert again.headers.get("idempotent-replayed") == "true"
        # The interrupted delivery is taken over once its lease ends (the same webhook-id
        # again) and recorded as one successful attempt.
        assert rec.wait_until(
            lambda: sum(x.event_id == first.event_id for x in rec.requests) >= 2, timeout=30
        )
        for d_evt in {x.event_id for x in rec.requests}:
            d = b.wait_attempts(hook["id"], d_evt, 1, timeout=30)
            assert d["status"] == "succeeded" and d["attemptCount"] == 1, d
        assert len({x.event_id for x in rec.delivered()}) == 1
        b.advance(10)
        t = b.ok(b.get(f"/transactions/{r.json()['id']}"))
        assert t["status"] == "completed"
        _d7(b, w["id"], Decimal("1000.00"))
        for _c, lw in load:
            assert b.balance(lw["id"]) == "5.00"
        for x in (a, ha, *live):
            x.close()
    finally:
        rec.close()
        root.close()


def _client_on(sb, root: Api, pid: int, tries: int = 200) -> Api:
    """A client of root's account whose connection is on worker `pid` (bounded search)."""
    for _ in range(tries):
        a = Api(sb.base_url, *root._creds.values())
        if worker_pid(a) == pid:
            return a
        a.close()
    raise AssertionError(f"no connection reached worker {pid}")


def _all_workers_up(sb, root: Api, dead: set[int], timeout: float = 30) -> list[Api]:
    """Clients on each of WORKERS live workers, none of them dead (the supervisor restarts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = children(sb)
        if len(kids) == WORKERS and not kids & dead:
            try:
                return on_workers(sb, root, WORKERS)
            except (AssertionError, httpx.HTTPError):
                pass  # a replacement is not listening yet
    raise AssertionError(f"workers not back: {children(sb)}")


def _quietly(api: Api, path: str, body: dict, key: str):
    try:
        return api.post(path, body, key=key)
    except httpx.HTTPError:
        return None


def _delivering_pid(sb, rec: WebhookReceiver) -> int | None:
    """The worker whose socket is connected to the receiver now (it makes the attempt)."""
    port = int(rec.url.rsplit(":", 1)[1].split("/", 1)[0])
    for pid in children(sb):
        try:
            conns = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.Error:
            continue
        if any(cn.raddr and cn.raddr.port == port for cn in conns):
            return pid
    return None
