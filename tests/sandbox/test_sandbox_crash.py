"""SIGKILL under load: after a restart every balance agrees with the ledger and with the
transactions (D7 invariant), and no half-made transaction exists."""

from __future__ import annotations

import signal
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import httpx

from tests.support.api import DEAD_ADDR, EXT_ADDR, Api
from tests.support.sandbox import start_sandbox

DEPOSIT = Decimal("5000.00")


def _invariant(api: Api, wallets: list[dict]) -> list[dict]:
    txns = api.all_pages("/transactions")
    total = sum(Decimal(api.balance(w["id"])) for w in wallets)
    completed_internal = sum(
        Decimal(t["destination"]["amountNet"])
        for t in txns
        if t["status"] == "completed" and t["recipient"]
    )
    out = sum(
        Decimal(t["source"]["amountGross"])
        for t in txns
        if t["status"] in ("processing", "completed")
    )
    assert total == DEPOSIT * len(wallets) + completed_internal - out
    for w in wallets:
        assert Decimal(api.balance(w["id"])) >= 0
    return txns


def _db_consistent(db: Path) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        bad = conn.execute(
            "SELECT b.wallet_id FROM balances b LEFT JOIN ledger l ON l.wallet_id=b.wallet_id"
            " GROUP BY b.wallet_id HAVING b.balance_minor != COALESCE(SUM(l.amount_minor), 0)"
        ).fetchall()
        assert bad == []
        # every transaction has exactly its reserve entry (plus a refund only if failed)
        rows = conn.execute(
            "SELECT r.id, r.status, (SELECT COUNT(*) FROM ledger l WHERE l.ref_id=r.id AND"
            " l.reason='send'), (SELECT COUNT(*) FROM ledger l WHERE l.ref_id=r.id AND"
            " l.reason='refund') FROM resources r WHERE r.kind='transaction'"
        ).fetchall()
        for _id, status, sends, refunds in rows:
            assert sends == 1
            assert refunds == (1 if status == "failed" else 0)
    finally:
        conn.close()


def test_kill_9_under_load_keeps_the_ledger_consistent(tmp_path):
    data = tmp_path / "crash"
    sb = start_sandbox(data, backend="sqlite")  # reads sandbox.db
    api = Api(sb.base_url, sb.api_key, sb.api_secret)
    wallets, customers = [], []
    for _ in range(4):
        c, w = api.funded(str(DEPOSIT))
        customers.append(c)
        wallets.append(w)
    stop = threading.Event()
    enough = threading.Event()  # set once 60 sends were created: then the kill comes
    created = [0]
    count_lock = threading.Lock()

    def sender(n: int):
        c, w = customers[n], wallets[n]
        dests = [wallets[(n + 1) % 4]["id"], EXT_ADDR, DEAD_ADDR]
        with httpx.Client(
            base_url=sb.base_url, timeout=5, headers={"Authorization": f"Bearer {api.token}"}
        ) as h:
            i = 0
            while not stop.is_set():
                i += 1
                body = api.quote_body(c, w, amount=f"{1 + i % 7}.{n}1", to=dests[i % 3])
                try:
                    q = h.post("/quotes", json=body, headers={"Idempotency-Key": f"q{n}-{i}"})
                    if q.status_code == 201:
                        t = h.post(
                            "/transactions",
                            json={"quoteId": q.json()["id"]},
                            headers={"Idempotency-Key": f"t{n}-{i}"},
                        )
                        if t.status_code == 201:
                            with count_lock:
                                created[0] += 1
                                if created[0] >= 60:
                                    enough.set()
                except httpx.HTTPError:
                    return

    def ticker():
        with httpx.Client(
            base_url=sb.base_url, timeout=5, headers={"Authorization": f"Bearer {api.token}"}
        ) as h:
            while not stop.is_set():
                try:
                    h.post("/sandbox/clock/advance", json={"seconds": 1})
                except httpx.HTTPError:
                    return

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=ticker))
    for t in threads:
        t.start()
    assert enough.wait(20)
    sb.stop(signal.SIGKILL)
    assert sb.proc.returncode == -signal.SIGKILL
    stop.set()
    for t in threads:
        t.join(10)
    api.close()

    sb2 = start_sandbox(data, backend="sqlite")
    try:
        api2 = Api(sb2.base_url, sb2.api_key, sb2.api_secret)
        txns = _invariant(api2, wallets)
        assert len(txns) >= created[0] >= 60
        statuses = {t["status"] for t in txns}
        assert "processing" in statuses or "completed" in statuses
        _db_consistent(data / "sandbox.db")
        # Everything still pending settles after the restart, and the books still balance.
        api2.advance(10)
        txns = _invariant(api2, wallets)
        assert {t["status"] for t in txns} <= {"completed", "failed"}
        assert any(t["status"] == "failed" for t in txns)
        _db_consistent(data / "sandbox.db")
        api2.close()
    finally:
        sb2.stop()
