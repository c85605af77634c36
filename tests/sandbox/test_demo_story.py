"""Issue 14 item 9: the customer the desk selects on first start (Jane Smith, the newest)
shows the product at work — a completed transaction of each kind the desk names, one in
flight and one failed with its refund — and her balance is what the ledger says."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from desktop.display import KIND_NAMES, kind_key
from desktop.oms.models import parse_transaction
from tests.support.api import Api
from tests.support.sandbox import start_sandbox


def test_demo_star_has_every_kind_completed_and_a_ledger_balance(tmp_path):
    sb = start_sandbox(tmp_path / "demo", "--demo", backend="sqlite")
    try:
        api = Api(sb.base_url, sb.api_key, sb.api_secret)
        first = api.get("/customers", limit=1).json()["data"][0]  # newest first
        assert (first["firstName"], first["lastName"]) == ("Jane", "Smith")
        cid = first["id"]
        rows = api.all_pages("/transactions", customerId=cid)
        txns = [parse_transaction(r) for r in rows]
        completed = {kind_key(t, cid) for t in txns if t.status.value == "completed"}
        assert completed == set(KIND_NAMES), completed
        in_flight = [t for t in txns if t.status.value == "processing"]
        assert len(in_flight) == 1 and kind_key(in_flight[0], cid) == "send"
        failed = [r for r in rows if r["status"] == "failed"]
        assert len(failed) == 1 and failed[0]["error"]["code"] == "blockchain_rejected"
        # the bank deposit came through her virtual account, the withdrawal went to her bank
        bank_in = next(
            r for r in rows if r["type"] == "fiatToCrypto" and r["source"]["rail"] == "ach"
        )
        assert bank_in["source"]["virtualAccountId"].startswith("va_")
        out = next(r for r in rows if r["type"] == "cryptoToFiat")
        assert out["destination"]["bankDetails"]["accountNumber"].endswith("4415")
        cash = next(r for r in rows if r["type"] == "fiatToCrypto" and r["cashInId"])
        assert api.get(f"/cash-ins/{cash['cashInId']}").json()["status"] == "completed"
        wallets = api.get(f"/customers/{cid}").json()["wallets"]
        assert len(wallets) == 1
        wid = wallets[0]["id"]
        balance = Decimal(api.balance(wid))
        api.close()
    finally:
        sb.stop()
    conn = sqlite3.connect(f"file:{sb.data_dir / 'sandbox.db'}?mode=ro", uri=True)
    try:
        (ledger,) = conn.execute(
            "SELECT SUM(amount_minor) FROM ledger WHERE wallet_id=?", (wid,)
        ).fetchone()
        reasons = {
            r for (r,) in conn.execute("SELECT reason FROM ledger WHERE wallet_id=?", (wid,))
        }
    finally:
        conn.close()
    assert balance > 0 and balance == Decimal(ledger) / 10**6
    assert {"cashIn", "virtualAccount", "deposit"} <= reasons
