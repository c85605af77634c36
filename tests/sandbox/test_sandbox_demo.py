"""--demo seeding (a believable, consistent data set) and the real-time clock mode."""

from __future__ import annotations

import sqlite3
from collections import Counter
from decimal import Decimal

from tests.support.api import EXT_ADDR, Api
from tests.support.sandbox import start_sandbox


def test_demo_seed_is_believable_and_consistent(tmp_path):
    sb = start_sandbox(tmp_path / "demo", "--demo", backend="sqlite")  # reads sandbox.db
    try:
        api = Api(sb.base_url, sb.api_key, sb.api_secret)
        customers = api.all_pages("/customers")
        assert len(customers) == 25
        basic = Counter(
            next(e["status"] for e in c["endorsements"] if e["name"] == "basic") for c in customers
        )
        assert basic["REJECTED"] == 1 and basic["PENDING"] >= 3 and basic["ACTIVE"] >= 18
        assert any(c["status"] == "inactive" for c in customers)
        funded = [w for c in customers for w in c["wallets"] if Decimal(w["balance"]) > 0]
        assert len(funded) >= 15
        txns = api.all_pages("/transactions")
        by_status = Counter(t["status"] for t in txns)
        assert by_status["completed"] >= 20 and by_status["failed"] >= 2
        assert all(
            t["error"]["code"] == "blockchain_rejected" for t in txns if t["status"] == "failed"
        )
        # history spread over days, newest first
        days = {t["createdAt"][:10] for t in txns}
        assert len(days) >= 5
        # D7 invariant over the whole demo: balances = deposits (on-chain, cash, bank) +
        # internal credits - sends and bank payouts
        wallets = [w for c in customers for w in c["wallets"]]
        total = sum(Decimal(w["balance"]) for w in wallets)
        internal = sum(
            Decimal(t["destination"]["amountNet"])
            for t in txns
            if t["status"] == "completed" and t["recipient"] and t["type"] == "cryptoToCrypto"
        )
        out = sum(
            Decimal(t["source"]["amountGross"])
            for t in txns
            if t["status"] in ("processing", "completed") and t["type"] != "fiatToCrypto"
        )
        conn = sqlite3.connect(f"file:{sb.data_dir / 'sandbox.db'}?mode=ro", uri=True)
        deposits = conn.execute(
            "SELECT SUM(amount_minor) FROM ledger"
            " WHERE reason IN ('deposit', 'cashIn', 'virtualAccount')"
        ).fetchone()[0]
        conn.close()
        assert total == Decimal(deposits) / 10**6 + internal - out
        api.close()
    finally:
        sb.stop()
    # --demo seeds only an empty database: a restart with --demo adds nothing.
    sb = start_sandbox(tmp_path / "demo", "--demo")
    try:
        api = Api(sb.base_url, sb.api_key, sb.api_secret)
        assert len(api.all_pages("/customers")) == 25
        api.close()
    finally:
        sb.stop()


def test_real_clock_mode_and_advance(tmp_path):
    sb = start_sandbox(tmp_path / "real", clock="real")
    try:
        api = Api(sb.base_url, sb.api_key, sb.api_secret)
        c, w = api.funded("50.00")
        t = api.send(c, w, amount="10.00", to=EXT_ADDR)
        assert t["status"] == "processing"
        api.advance(5)  # real time + offset: due steps are applied before the answer
        t = api.get(f"/transactions/{t['id']}").json()
        assert t["status"] == "completed" and t["destination"]["txHash"]
        assert api.balance(w["id"]) == "40.00"
        api.close()
    finally:
        sb.stop()
