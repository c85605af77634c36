"""The desk's receiver against a real sandbox (issue 16 items 2, 5, 6): every D14 event arrives
once, in order, verified; tampered, stale and replayed deliveries are ✗ and never applied;
the endpoint is removed on close, and after a crash on the next start."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from desktop.oms.tracker import Tracker
from desktop.receiver.listener import Listener
from desktop.receiver.log import EventLog
from desktop.receiver.server import Receiver
from desktop.receiver.verify import EVENT_TYPES, key_of
from tests.support.client import (
    cash_in_body,
    client_for,
    fresh_account_client,
    funded_customer,
    send_body,
)

DEAD = "0x" + "1" * 36 + "dead"


class Inbox:
    """Collects what the listener hands over; waits without sleeping."""

    def __init__(self, listener: Listener) -> None:
        self.items: list = []
        self._changed = asyncio.Event()
        listener.subscribe(self._add)

    def _add(self, rec, verdict) -> None:
        self.items.append((rec, verdict))
        self._changed.set()

    async def until(self, pred, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while not pred(self.items):
                self._changed.clear()
                await self._changed.wait()

    def types(self) -> list[str]:
        return [r.type for r, _ in self.items]


async def test_every_event_once_in_order_verified_and_applied(fresh_sandbox, tmp_path):
    async with client_for(fresh_sandbox) as c:
        tracker = Tracker(c)
        log = EventLog(tmp_path / "events.sqlite3")
        listener = Listener(c, log, tracker=tracker)
        inbox = Inbox(listener)
        await listener.open()
        try:
            assert tracker.events_flowing is False  # attached, but nothing arrived yet
            cust, wallet = await funded_customer(c, "2500.00")
            await c.create_customer({**_identity(), "lastName": "Reject"})
            sent = await c.create_transaction((await c.create_quote(send_body(cust, wallet))).id)
            seen: list = []
            tracker.watch("transaction", sent.id, seen.append)
            await inbox.until(lambda it: "transaction.cryptoToCrypto.processing" in _t(it))
            await c.sandbox_advance_clock(5)
            dead = await c.create_transaction(
                (await c.create_quote(send_body(cust, wallet, address=DEAD))).id
            )
            await c.sandbox_advance_clock(2)
            ci = await c.create_cash_in(await cash_in_body(c, cust, wallet, "100.00"))
            auth = await c.sandbox_barcode_auth(ci.deposit_instructions.code, "100.00")
            await c.sandbox_auth_commit(auth["confirmationId"])
            await c.sandbox_advance_clock(10)
            bad = await c.create_cash_in(await cash_in_body(c, cust, wallet, "66.66"))
            auth = await c.sandbox_barcode_auth(bad.deposit_instructions.code, "66.66")
            await c.sandbox_auth_commit(auth["confirmationId"])
            await c.sandbox_advance_clock(10)
            await c.create_cash_in(await cash_in_body(c, cust, wallet, "50.00"))
            await c.sandbox_advance_clock(3600)
            # Bank payouts: one settles at 300 s, one is returned at 60 s (D13, D21).
            payouts = []
            for number in ("000123454242", "123450000"):
                ext = await c.create_external_account(cust.id, _bank(number))
                q = await c.create_quote(_payout(cust, wallet, ext.id))
                payouts.append(await c.create_transaction(q.id))
            await c.sandbox_advance_clock(60)
            await c.sandbox_advance_clock(240)
            expected = (
                ["customer.endorsement.granted"] * 3
                + ["wallet.depositDetected"]
                + ["customer.endorsement.rejected"] * 3
                + [
                    "transaction.cryptoToCrypto.processing",
                    "transaction.cryptoToCrypto.completed",
                    "transaction.cryptoToCrypto.processing",
                    "transaction.cryptoToCrypto.failed",
                    "cashIn.processing",
                    "transaction.fiatToCrypto.processing",
                    "transaction.fiatToCrypto.completed",
                    "cashIn.completed",
                    "cashIn.processing",
                    "transaction.fiatToCrypto.processing",
                    "transaction.fiatToCrypto.failed",
                    "cashIn.failed",
                    "cashIn.expired",
                    "transaction.cryptoToFiat.processing",
                    "transaction.cryptoToFiat.processing",
                    "transaction.cryptoToFiat.failed",
                    "transaction.cryptoToFiat.completed",
                ]
            )
            assert set(expected) == set(EVENT_TYPES)  # every D14 event type
            await inbox.until(lambda it: len(it) >= len(expected))
            assert inbox.types() == expected
            assert all(v.valid and r.valid for r, v in inbox.items), [
                r.reason for r, _ in inbox.items
            ]
            ids = [r.webhook_id for r, _ in inbox.items]
            assert len(set(ids)) == len(ids)  # exactly once each
            assert [r.webhook_id for r in log.recent()] == ids  # recorded in arrival order
            by_type = {r.type: r for r, _ in inbox.items}
            assert by_type["transaction.cryptoToCrypto.failed"].object_id == dead.id
            assert by_type["wallet.depositDetected"].object_id == wallet.id
            assert by_type["transaction.cryptoToFiat.failed"].object_id == payouts[1].id
            assert by_type["transaction.cryptoToFiat.completed"].object_id == payouts[0].id
            # The followed send ended through the event, not a poll: the tracker's hint.
            assert seen[-1].status == "completed" and tracker.hints >= 1
            assert tracker.events_flowing is True
            assert listener.endpoint_id is not None
            # The desk has every event, but the sandbox records a delivery's outcome only
            # after the desk's 2xx reaches it: wait for the last outcomes, not a fixed time.
            async with asyncio.timeout(10):
                while True:
                    deliveries = await c.sandbox_webhook_deliveries(listener.endpoint_id, limit=100)
                    if not any(d["status"] == "pending" for d in deliveries):
                        break
            assert len(deliveries) == len(expected)
            assert all(d["status"] == "succeeded" for d in deliveries)
        finally:
            await listener.aclose()
            await tracker.aclose()
            log.close()
        assert tracker.events_flowing is False


def _bank(number: str) -> dict:
    return {
        "type": "usBank",
        "network": "ach",
        "bankDetails": {
            "bankName": "Chase",
            "routingNumber": "021000021",
            "accountNumber": number,
            "accountHolderName": "Jane Smith",
        },
    }


def _payout(cust, wallet, ext_id: str) -> dict:
    return {
        "customerId": cust.id,
        "source": {
            "walletId": wallet.id,
            "asset": "usdc",
            "network": "polygon",
            "amount": "100.00",
        },
        "destination": {"wallet": {"externalAccount": ext_id}, "asset": "usd", "network": "ach"},
    }


def _t(items) -> list[str]:
    return [r.type for r, _ in items]


def _identity() -> dict:
    from tests.support.client import IDENTITY

    return dict(IDENTITY)


async def test_tampered_stale_and_replayed_deliveries(sandbox, tmp_path):
    c = await fresh_account_client(sandbox)
    async with c:
        tracker = Tracker(c)
        log = EventLog(tmp_path / "events.sqlite3")
        listener = Listener(c, log, tracker=tracker)
        inbox = Inbox(listener)
        await listener.open()
        try:
            cust, wallet = await funded_customer(c, "100.00")
            sent = await c.create_transaction((await c.create_quote(send_body(cust, wallet))).id)
            updates: list = []
            tracker.watch("transaction", sent.id, updates.append)
            await inbox.until(lambda it: "transaction.cryptoToCrypto.processing" in _t(it))
            rec = next(r for r, _ in inbox.items if r.type.startswith("transaction."))
            url = listener.url
            async with httpx.AsyncClient() as raw:
                # the same delivery again (same webhook-id, still fresh): ✗ replay, answered 200
                r = await raw.post(url, content=rec.body.encode(), headers=rec.headers)
                assert r.status_code == 200
                # a tampered body: ✗ bad signature, answered 400
                tampered = rec.body.replace('"processing"', '"completed"')
                r = await raw.post(url, content=tampered.encode(), headers=rec.headers)
                assert r.status_code == 400 and r.text == "bad signature"
                # a correct signature of a stale timestamp: ✗ outside tolerance
                assert listener.receiver is not None
                stale_ts = int(time.time()) - 600
                hook = Webhook(key_of(_secret_of(listener.receiver)))
                when = datetime.fromtimestamp(stale_ts, tz=UTC)
                stale_headers = {
                    **rec.headers,
                    "webhook-id": "evt_stale",
                    "webhook-timestamp": str(stale_ts),
                    "webhook-signature": hook.sign("evt_stale", when, rec.body),
                }
                r = await raw.post(url, content=rec.body.encode(), headers=stale_headers)
                assert r.status_code == 400
            await inbox.until(lambda it: _count_invalid(it) >= 3)
            invalid = [(r.webhook_id, r.reason) for r, _ in inbox.items if not r.valid]
            assert invalid == [
                (rec.webhook_id, "replayed webhook-id"),
                (rec.webhook_id, "bad signature"),
                ("evt_stale", "timestamp outside tolerance"),
            ]
            # Never applied twice: the follower saw the processing state once.
            assert [u.status for u in updates].count("processing") == 1
            assert log.count() == len(inbox.items)
        finally:
            await listener.aclose()
            await tracker.aclose()
            log.close()


def _secret_of(receiver: Receiver) -> str:
    hook = receiver._hook
    assert hook is not None
    return "whsec_" + hook._whsecret.hex()


def _count_invalid(items) -> int:
    return sum(1 for r, _ in items if not r.valid)


async def test_endpoint_removed_on_close_and_after_a_crash(sandbox, tmp_path):
    c = await fresh_account_client(sandbox)
    async with c:
        log = EventLog(tmp_path / "events.sqlite3")
        first = Listener(c, log)
        first_id = await first.open()
        hooks = (await c.list_webhooks()).data
        assert [h.id for h in hooks] == [first_id] and hooks[0].events == ()
        assert hooks[0].url == first.url and hooks[0].url.startswith("http://127.0.0.1:")
        # A crash: the receiver dies, nobody deletes the endpoint.
        assert first.receiver is not None
        await asyncio.to_thread(first.receiver.stop)
        log.close()
        log = EventLog(tmp_path / "events.sqlite3")  # the next start, same profile
        second = Listener(c, log)
        second_id = await second.open()
        assert [h.id for h in (await c.list_webhooks()).data] == [second_id] != [first_id]
        await second.aclose()
        await second.aclose()  # idempotent
        assert (await c.list_webhooks()).data == ()
        assert log.remembered_endpoints(await c.account_scope()) == []
        log.close()
