"""Transactions view against a real sandbox: paging, filters, live updates, detail, CSV,
closing a wizard mid-submission, and an app killed mid-submission then restarted."""

from __future__ import annotations

import asyncio
import csv
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from desktop.flows.money_flow import Outcome
from desktop.oms.client import Credentials, OmsClient
from desktop.ui import transactions as tx_mod
from desktop.ui.transactions import TransactionsView
from desktop.ui.wizards.send import SendWizard
from tests.support.money import FakeClock, MoneyEnv, make_context

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def send_via_api(env: MoneyEnv, wallet, customer, amount="1.00", address=ADDR):
    async def go():
        q = await env.client.create_quote(
            {
                "customerId": customer.id,
                "source": {
                    "walletId": wallet.id,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": amount,
                },
                "destination": {
                    "wallet": {"blockchainAddress": address},
                    "asset": "usdc",
                    "network": "polygon",
                },
            }
        )
        return await env.client.create_transaction(q.id)

    return env.run(go())


def fetch_all(m, qtbot):
    pages = 0
    while m.canFetchMore() or m.loading:
        if not m.loading:
            m.fetchMore()
            pages += 1
        qtbot.waitUntil(lambda: not m.loading, timeout=10000)
    return pages


def make_view(env, qtbot, **kw):
    view = TransactionsView(env.ctx, **kw)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    return view


def test_paging_filters_detail_and_model(money_env, qtbot, qtmodeltester, monkeypatch):
    env = money_env
    monkeypatch.setattr(tx_mod, "PAGE_SIZE", 2)
    customer, wallet = env.customer_with_wallet("100.00")
    ids = [send_via_api(env, wallet, customer, f"{i + 1}.00").id for i in range(5)]
    env.advance(6)  # all completed
    failed = send_via_api(env, wallet, customer, "1.50", "0x" + "2" * 36 + "dead")
    view = make_view(env, qtbot)
    m = view.model
    qtbot.waitUntil(lambda: m.rowCount() >= 2 and not m.loading, timeout=10000)
    fetch_all(m, qtbot)
    assert m.rowCount() == 6
    assert [m.transaction(r).id for r in range(6)] == [failed.id, *reversed(ids)]  # newest 1st
    qtmodeltester.check(m)
    # Filter by status (server side) and type.
    view.status.setCurrentIndex(view.status.findData("completed"))
    qtbot.waitUntil(lambda: not m.loading and m.rowCount() >= 2, timeout=10000)
    fetch_all(m, qtbot)
    assert m.rowCount() == 5
    assert all(str(m.transaction(r).status) == "completed" for r in range(5))
    view.type.setCurrentIndex(view.type.findData("cryptoToFiat"))
    qtbot.waitUntil(lambda: not m.loading, timeout=10000)
    assert m.rowCount() == 0
    view.type.setCurrentIndex(0)
    view.status.setCurrentIndex(0)
    qtbot.waitUntil(lambda: not m.loading and m.rowCount() >= 1, timeout=10000)
    # Detail pane: the story in words, every field behind "Raw JSON", links to quote and
    # customer (by name).
    view.table.selectRow(0)
    d = view.detail
    assert d.txn.id == failed.id
    assert d.title.text() == "Send of 1.50 USDC"
    assert not d.raw.isVisible()
    d.raw_toggle.click()
    assert d.raw.isVisible()
    raw = d.raw.toPlainText()
    for key in ("id", "quoteId", "feesDeducted", "oms", "blockchainAddress", "effectiveRate"):
        assert f'"{key}"' in raw
    assert failed.quote_id in d.links.text() and customer.id in d.parties.text()
    assert customer.display_name in d.parties.text()
    for raw_value in ("None", "null", "True", "{}", "feesDeducted"):
        assert raw_value not in d.story.text()
    with qtbot.waitSignal(view.goto) as sig:
        d.links.linkActivated.emit(failed.quote_id)
    assert sig.args == [failed.quote_id]
    # The in-flight one is tracked and updates live, detail pane included: the reason in
    # words and the refund with its amount.
    env.advance(3)
    qtbot.waitUntil(lambda: str(m.transaction(0).status) == "failed", timeout=10000)
    qtbot.waitUntil(lambda: "rejected the transfer" in d.outcome.text(), timeout=5000)
    assert "1.50 USDC refunded to wallet " + wallet.id in d.outcome.text()
    assert any(s.source == "seen" for s in d.story.timeline)  # the tracker's changes
    assert any(s.source == "transaction" for s in d.story.timeline)  # its own stamps


def test_live_updates_are_coalesced(money_env, qtbot):
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    view = make_view(env, qtbot)
    m = view.model
    qtbot.waitUntil(lambda: not m.loading, timeout=10000)
    before = m.redraws
    txns = [send_via_api(env, wallet, customer, "1.00") for _ in range(20)]
    for t in txns:  # a burst of 20 hub updates …
        env.ctx.hub.publish_transaction(t)
    qtbot.waitUntil(lambda: m.rowCount() == 20, timeout=5000)
    assert m.redraws - before == 1  # … is one redraw
    for t in txns:
        env.ctx.hub.track_transaction(t.id)
    env.advance(6)
    qtbot.waitUntil(
        lambda: all(str(m.transaction(r).status) == "completed" for r in range(20)), timeout=15000
    )
    # 20 rows × (broadcast, completed) updates arrived; redraws stayed few.
    assert m.redraws - before < 20


def test_csv_export(money_env, qtbot, tmp_path, monkeypatch):
    env = money_env
    monkeypatch.setattr(tx_mod, "PAGE_SIZE", 2)
    customer, wallet = env.customer_with_wallet("100.00")
    for i in range(5):
        send_via_api(env, wallet, customer, f"{i + 1}.00")
    env.advance(6)
    view = make_view(env, qtbot)
    qtbot.waitUntil(lambda: not view.model.loading, timeout=10000)
    out = tmp_path / "tx.csv"
    done = []
    view.export_csv(str(out), on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert done == [5]
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5
    assert {r["sourceAmountGross"] for r in rows} == {"1.00", "2.00", "3.00", "4.00", "5.00"}
    assert all(r["status"] == "completed" and r["txHash"].startswith("0x") for r in rows)
    assert rows[0]["counterparty"] == ADDR
    assert "Exported 5" in view.banners.text()


def test_closing_wizard_during_submission(money_env, qtbot):
    """Exactly one transaction, tracked to the end in the transactions view."""
    env = money_env
    customer, wallet = env.customer_with_wallet("100.00")
    view = make_view(env, qtbot)
    qtbot.waitUntil(lambda: not view.model.loading, timeout=10000)
    wiz = SendWizard(env.ctx, customer_id=customer.id, wallet_id=wallet.id)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitUntil(wiz.source_page.isComplete, timeout=10000)
    wiz.next()
    wiz.destination_page.address.set_text(ADDR)
    wiz.destination_page.amount.set_text("10")
    wiz.next()
    qtbot.waitUntil(wiz.quote_page.isComplete, timeout=10000)
    wiz.next()  # confirm: the POST is on its way …
    assert wiz.flow.outcome is Outcome.SUBMITTING
    wiz.reject()  # … and the operator closes the wizard at once
    # The wizard's own work (waiting for the answer) is cancelled; cancellation completes
    # on the loop's next turns, so wait for the scope to be idle instead of asserting at once.
    qtbot.waitUntil(wiz.scope.is_idle, timeout=5000)
    assert wiz.closed and wiz.flow.outcome is Outcome.SUBMITTING  # nothing said "not sent"
    m = view.model
    qtbot.waitUntil(lambda: m.rowCount() == 1, timeout=10000)
    env.advance(6)
    qtbot.waitUntil(lambda: str(m.transaction(0).status) == "completed", timeout=10000)
    assert len(env.transactions()) == 1
    assert env.balance(wallet.id) == Decimal("90")


class KillSwitch(httpx.AsyncBaseTransport):
    """The process 'dies' at POST /transactions: before sending, or after the server
    committed but before the answer is read. A fault a real server cannot produce."""

    def __init__(self, after_send: bool) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.after_send = after_send
        self.reached = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/transactions"):
            if self.after_send:
                resp = await self.inner.handle_async_request(request)
                await resp.aread()
            self.reached.set()
            await asyncio.Event().wait()  # never returns: the app is killed here
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


CHILD = r"""
import asyncio, sys, httpx
from desktop.oms.client import Credentials, OmsClient
from desktop.oms.outbox import Outbox

base, key, secret, outbox_path, quote_id = sys.argv[1:6]

class Hang(httpx.AsyncBaseTransport):
    def __init__(self):
        self.inner = httpx.AsyncHTTPTransport()
    async def handle_async_request(self, request):
        resp = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/transactions"):
            await resp.aread()
            print("COMMITTED", flush=True)  # the server has it; we die before reading it
            await asyncio.Event().wait()
        return resp

async def main():
    client = OmsClient(base, Credentials(key, secret), transport=Hang())
    await Outbox(outbox_path).submit_transaction(client, quote_id, key="txn-sigkill-1")

asyncio.run(main())
"""


def test_app_process_sigkilled_mid_submission(fresh_sandbox, money_env_factory, qtbot, tmp_path):
    """A real process is SIGKILLed after the server committed; the restarted app replays
    the outbox with the same key: exactly one transaction, followed to the end."""
    import os
    import signal
    import subprocess
    import sys

    sb = fresh_sandbox
    env = money_env_factory(sb, tmp_path)
    customer, wallet = env.customer_with_wallet("100.00")
    q = env.run(
        env.client.create_quote(
            {
                "customerId": customer.id,
                "source": {
                    "walletId": wallet.id,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "30.00",
                },
                "destination": {
                    "wallet": {"blockchainAddress": ADDR},
                    "asset": "usdc",
                    "network": "polygon",
                },
            }
        )
    )
    outbox_path = tmp_path / "killed-outbox.sqlite"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            sb.base_url,
            sb.api_key,
            sb.api_secret,
            str(outbox_path),
            q.id,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).resolve().parents[2]),
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        assert child.stdout.readline().strip() == "COMMITTED"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert len(env.transactions()) == 1  # committed on the server, unknown to the app

    clock = FakeClock()
    client2 = OmsClient(sb.base_url, Credentials(sb.api_key, sb.api_secret), monotonic=clock)
    ctx2 = make_context(sb, client2, outbox_path, clock)
    assert [e.state for e in ctx2.outbox.entries()] == ["pending"]
    second = MoneyEnv(sb, ctx2, client2, env.loop, qtbot, clock, outbox_path)
    notices = []
    ctx2.hub.notice.connect(notices.append)
    view = make_view(second, qtbot)
    resume = ctx2.resume()
    qtbot.waitUntil(resume.done, timeout=15000)
    assert resume.exception() is None and "1 interrupted submission" in notices[0].text
    m = view.model
    qtbot.waitUntil(lambda: m.rowCount() == 1, timeout=10000)
    second.advance(6)
    qtbot.waitUntil(lambda: str(m.transaction(0).status) == "completed", timeout=10000)
    assert len(second.transactions()) == 1
    assert second.balance(wallet.id) == Decimal("70")

    async def close():
        await ctx2.scope.aclose()
        ctx2.hub.stop_all()
        await ctx2.tracker.aclose()
        await client2.aclose()
        ctx2.outbox.close()

    second.run(close())


@pytest.mark.parametrize("after_send", [False, True], ids=["before-send", "after-commit"])
def test_app_killed_mid_submission_replays_once(
    fresh_sandbox, money_env_factory, qtbot, tmp_path, after_send
):
    sb = fresh_sandbox
    first = money_env_factory(sb, tmp_path / "run1")
    (tmp_path / "run1").mkdir(exist_ok=True)
    customer, wallet = first.customer_with_wallet("100.00")
    # The first "app": its client dies at POST /transactions.
    switch = KillSwitch(after_send)
    dying = OmsClient(
        sb.base_url, Credentials(sb.api_key, sb.api_secret), transport=switch, monotonic=first.clock
    )
    ctx1 = make_context(sb, dying, tmp_path / "outbox.sqlite", first.clock)
    q = first.run(
        first.client.create_quote(
            {
                "customerId": customer.id,
                "source": {
                    "walletId": wallet.id,
                    "asset": "usdc",
                    "network": "polygon",
                    "amount": "25.00",
                },
                "destination": {
                    "wallet": {"blockchainAddress": ADDR},
                    "asset": "usdc",
                    "network": "polygon",
                },
            }
        )
    )
    task = ctx1.hub.submit_transaction(q.id, "txn-killed-1")
    qtbot.waitUntil(switch.reached.is_set, timeout=10000)
    task.cancel()  # SIGKILL: nothing after this point runs
    qtbot.waitUntil(task.done, timeout=5000)
    pending = ctx1.outbox.entries()
    assert [e.key for e in pending] == ["txn-killed-1"] and pending[0].state == "pending"
    ctx1.outbox.close()
    first.run(dying.aclose())
    assert len(first.transactions()) == (1 if after_send else 0)

    # Restart: a new app on the same outbox file.
    clock = FakeClock()
    client2 = OmsClient(sb.base_url, Credentials(sb.api_key, sb.api_secret), monotonic=clock)
    ctx2 = make_context(sb, client2, tmp_path / "outbox.sqlite", clock)
    second = MoneyEnv(sb, ctx2, client2, first.loop, qtbot, clock, tmp_path / "outbox.sqlite")
    notices = []
    ctx2.hub.notice.connect(notices.append)
    view = make_view(second, qtbot)
    resume = ctx2.resume()
    qtbot.waitUntil(resume.done, timeout=15000)
    assert resume.exception() is None
    assert notices and "1 interrupted submission(s) were completed" in notices[0].text
    m = view.model
    qtbot.waitUntil(lambda: m.rowCount() == 1, timeout=10000)
    second.advance(6)
    qtbot.waitUntil(lambda: str(m.transaction(0).status) == "completed", timeout=10000)
    txns = second.transactions()
    assert len(txns) == 1 and txns[0].quote_id == q.id
    assert second.balance(wallet.id) == Decimal("75")
    assert ctx2.outbox.get("txn-killed-1").state == "done"

    async def close():
        await ctx2.scope.aclose()
        ctx2.hub.stop_all()
        await ctx2.tracker.aclose()
        await client2.aclose()
        ctx2.outbox.close()

    second.run(close())


def test_per_customer_view(money_env, qtbot):
    env = money_env
    c1, w1 = env.customer_with_wallet("100.00")
    c2, w2 = env.customer_with_wallet("100.00")
    mine = {send_via_api(env, w1, c1, "1.00").id, send_via_api(env, w1, c1, "2.00").id}
    send_via_api(env, w2, c2, "3.00")
    view = make_view(env, qtbot, customer_id=c1.id)
    m = view.model
    qtbot.waitUntil(lambda: not m.loading and m.rowCount() == 2, timeout=10000)
    assert {m.transaction(r).id for r in range(2)} == mine
    # A live update of the other customer's transaction does not enter this list.
    other = send_via_api(env, w2, c2, "4.00")
    env.ctx.hub.publish_transaction(other)
    m.apply_pending()
    assert m.rowCount() == 2


def test_free_text_filter_load_all_and_names_in_csv(money_env, qtbot, tmp_path, monkeypatch):
    env = money_env
    monkeypatch.setattr(tx_mod, "PAGE_SIZE", 2)
    customer, wallet = env.customer_with_wallet("100.00")
    sent = [send_via_api(env, wallet, customer, f"{i + 1}.25") for i in range(5)]
    env.advance(6)
    view = make_view(env, qtbot)
    m = view.model
    qtbot.waitUntil(lambda: not m.loading and m.rowCount() >= 2, timeout=10000)
    n = m.rowCount()
    assert view.count_label.text() == f"{n} transactions" + (" (more to load)" * m.has_more)
    # Load all pages through the rest with a progress bar, then stops by itself.
    done = []
    view.load_all(on_done=done.append)
    assert view.load_all_progress.isVisible()
    qtbot.waitUntil(lambda: bool(done), timeout=15000)
    assert done == [5] and not m.has_more and not view.load_all_progress.isVisible()
    assert view.count_label.text() == "5 transactions"
    # Free text: an amount, then the customer's name (from the hub's name cache).
    view.search.setText("3.25")
    assert view.proxy.rowCount() == 1
    assert view.proxy.index(0, 7).data() == sent[2].id
    assert view.count_label.text() == "1 of 5 loaded transactions"
    qtbot.waitUntil(lambda: env.ctx.hub.name_of(customer.id) is not None, timeout=10000)
    view.search.setText(customer.last_name.lower())
    assert view.proxy.rowCount() == 5
    hashed = m.transaction(m.row_of(sent[0].id)).destination.tx_hash
    view.search.setText(hashed[-10:])
    assert view.proxy.rowCount() == 1
    view.search.clear()
    # Type names and decimals by rule in the table and the CSV; names beside the ids.
    assert m.index(0, 1).data() == "Send"
    assert m.index(0, 3).data() == "5.25 USDC"
    out = tmp_path / "tx.csv"
    finished = []
    view.export_csv(str(out), on_done=finished.append)
    qtbot.waitUntil(lambda: bool(finished), timeout=10000)
    rows = list(csv.DictReader(out.open()))
    assert {r["type"] for r in rows} == {"Send"} and {r["apiType"] for r in rows} == {
        "cryptoToCrypto"
    }
    assert {r["senderName"] for r in rows} == {customer.display_name}
    assert {r["senderEmail"] for r in rows} == {customer.email}
    assert all(r["sourceAmountGross"].endswith(".25") for r in rows)
    for r in rows:  # usdc trimmed to at least 2 places, never the 6-place wire form
        for key in ("sourceAmountNet", "destinationAmountNet", "feesTotal"):
            _whole, _, frac = r[key].partition(".")
            assert len(frac) >= 2 and (len(frac) == 2 or not frac.endswith("0")), r[key]


def test_load_all_is_cancellable(money_env, qtbot, monkeypatch):
    env = money_env
    monkeypatch.setattr(tx_mod, "PAGE_SIZE", 1)
    customer, wallet = env.customer_with_wallet("100.00")
    for i in range(4):
        send_via_api(env, wallet, customer, f"{i + 1}.00")
    view = TransactionsView(env.ctx)  # not shown: only Load all fetches pages
    qtbot.addWidget(view)
    m = view.model
    qtbot.waitUntil(lambda: not m.loading and m.rowCount() >= 1, timeout=10000)
    task = view.load_all()
    assert view.load_all_button.text() == "Cancel &loading"
    view.load_all_button.click()  # cancel
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.cancelled()
    assert view.load_all_button.text() == "&Load all" and not view.load_all_progress.isVisible()
    # Started again, it pages to the end.
    done = []
    view.load_all(on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=15000)
    assert done == [4] and not m.has_more
