"""Client against a real sandbox: virtual accounts, deposit addresses, saved addresses (D22,
D23), and the feed that finds the transactions deposits create (nobody at the desk started
them, so nobody holds their ids)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop.oms import errors, models
from desktop.oms.feed import TransactionFeed
from desktop.oms.tracker import Tracker
from tests.support.client import (
    ADDRESS,
    IDENTITY,
    fresh_account_client,
    funded_customer,
    send_body,
)

FAST = {"initial": 0.02, "factor": 1.5, "cap": 0.1, "error_cap": 0.2, "jitter": 0.1}
SENDER = "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"
STEP = 5.0  # seconds to wait for one expected update (a guard, not a sleep)


@pytest.fixture
async def c(sandbox):
    client = await fresh_account_client(sandbox)
    yield client
    await client.aclose()


async def wait_for(predicate, what: str) -> None:
    async def loop():
        while not predicate():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(loop(), STEP)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_virtual_account_round_trip_and_bank_deposit(c):
    cust, wallet = await funded_customer(c, amount="")
    va = await c.create_virtual_account(cust.id, wallet.id, label="Payroll", bank_memo="REF 7")
    assert isinstance(va, models.VirtualAccount) and va.id.startswith("va_")
    assert va.status is models.VirtualAccountStatus.ACTIVE and va.is_active
    assert va.wallet_id == wallet.id and va.customer_id == cust.id and va.label == "Payroll"
    ins = va.deposit_instructions
    assert len(ins.account_number) == 12 and ins.routing_number and ins.bank_memo == "REF 7"
    assert f"Account number: {ins.account_number}" in ins.as_text()
    assert f"Routing number: {ins.routing_number}" in ins.as_text()
    assert ins.account_number not in repr(va)  # never in a log line by accident
    assert [v.id for v in (await c.list_virtual_accounts(cust.id)).data] == [va.id]
    assert [v.id async for v in c.iter_virtual_accounts(cust.id)] == [va.id]
    assert await c.get_virtual_account(va.id) == va

    paused = await c.pause_virtual_account(va.id)
    assert paused.status is models.VirtualAccountStatus.PAUSED
    with pytest.raises(errors.InvalidState):
        await c.sandbox_simulate_bank_deposit(va.id, "20.00")
    assert (await c.resume_virtual_account(va.id)).is_active

    txn = await c.sandbox_simulate_bank_deposit(va.id, Decimal("1000.10"), "wire_in")
    assert txn.type is models.TransactionType.FIAT_TO_CRYPTO and txn.is_deposit
    assert txn.virtual_account_id == va.id and txn.source.virtual_account_id == va.id
    assert txn.sub_status_enum is models.TransactionSubStatus.FUNDS_RECEIVED
    assert txn.source.fees.oms == Decimal("5.00") and txn.source.fees.rail == Decimal("10.00")
    assert txn.destination.amount_net == Decimal("985.10")
    assert txn.destination.wallet.id == wallet.id
    with pytest.raises(errors.ValidationError) as bad:
        await c.sandbox_simulate_bank_deposit(va.id, "10.00", sender_routing_number="021000022")
    assert bad.value.param == "sender.routingNumber"
    await c.sandbox_advance_clock(60)
    done = await c.get_transaction(txn.id)
    assert done.status is models.TransactionStatus.COMPLETED
    assert (await c.get_balance(wallet.id)).balance == Decimal("985.10")

    await c.delete_virtual_account(va.id)
    with pytest.raises(errors.NotFound):
        await c.get_virtual_account(va.id)
    assert (await c.list_virtual_accounts(cust.id)).data == ()


async def test_virtual_account_gates_raise_typed_errors(c):
    cust = await c.create_customer({**IDENTITY, "endorsements": ["basic", "cryptoCustody"]})
    wallet = await c.create_wallet(cust.id)
    with pytest.raises(errors.EndorsementRequired):
        await c.create_virtual_account(cust.id, wallet.id)
    ok, ok_wallet = await funded_customer(c, amount="")
    await c.create_virtual_account(ok.id, ok_wallet.id)
    with pytest.raises(errors.InvalidState):
        await c.create_virtual_account(ok.id, ok_wallet.id)


async def test_deposit_address_round_trip_and_usdc_transfer(c):
    cust, wallet = await funded_customer(c, amount="")
    da = await c.create_deposit_address(cust.id, wallet.id, label="From Coinbase")
    assert isinstance(da, models.DepositAddress) and da.id.startswith("da_")
    assert da.status is models.DepositAddressStatus.ACTIVE and da.wallet_id == wallet.id
    assert da.address.startswith("0x") and len(da.address) == 42
    assert (da.deposit_instructions.asset, da.deposit_instructions.network) == ("usdc", "polygon")
    assert await c.get_deposit_address(da.id) == da
    assert [d.id async for d in c.iter_deposit_addresses(cust.id)] == [da.id]
    txn = await c.sandbox_simulate_crypto_deposit(da.id, "12.5", from_address=SENDER)
    assert txn.type is models.TransactionType.CRYPTO_TO_CRYPTO and txn.is_deposit
    assert txn.deposit_address_id == da.id and txn.source.blockchain_address == SENDER
    assert txn.tx_hash and txn.sub_status_enum is models.TransactionSubStatus.BROADCAST
    await c.sandbox_advance_clock(5)
    assert (await c.get_transaction(txn.id)).status is models.TransactionStatus.COMPLETED
    assert (await c.get_balance(wallet.id)).balance == Decimal("12.50")
    await c.delete_deposit_address(da.id)
    with pytest.raises(errors.NotFound):
        await c.get_deposit_address(da.id)


async def test_saved_addresses_and_a_send_naming_one(c):
    cust, wallet = await funded_customer(c, amount="100.00")
    saved = await c.create_saved_address(cust.id, ADDRESS.lower(), "Cold storage")
    assert saved.id.startswith("cpBcAddr_") and saved.is_saved_address
    assert saved.kind is models.ExternalAccountType.BLOCKCHAIN_ADDRESS
    assert saved.address == ADDRESS and saved.label == "Cold storage"
    assert models.parse_resource(saved.raw) == saved
    bank = await c.create_external_account(
        cust.id,
        {
            "type": "usBank",
            "network": "ach",
            "bankDetails": {
                "bankName": "Chase",
                "routingNumber": "021000021",
                "accountNumber": "000123454242",
                "accountHolderName": "Jane Smith",
            },
        },
    )
    assert not bank.is_saved_address and bank.kind is models.ExternalAccountType.US_BANK
    assert [a.id for a in (await c.list_saved_addresses(cust.id)).data] == [saved.id]
    assert [a.id async for a in c.iter_saved_addresses(cust.id)] == [saved.id]
    both = await c.list_external_accounts(cust.id)
    assert [a.id for a in both.data] == [bank.id, saved.id]
    with pytest.raises(errors.InvalidState):
        await c.create_saved_address(cust.id, ADDRESS, "Again")

    body = send_body(cust, wallet, "10.00")
    body["destination"]["wallet"] = {"externalAccount": saved.id}
    quote = await c.create_quote(body)
    assert quote.destination.wallet.external_account_id == saved.id
    assert quote.destination.wallet.blockchain_address == ADDRESS
    assert quote.destination.wallet.id is None
    txn = await c.create_transaction(quote.id)
    assert txn.destination.wallet.external_account_id == saved.id
    assert not txn.is_deposit

    await c.delete_external_account(cust.id, saved.id)
    assert (await c.list_saved_addresses(cust.id)).data == ()
    with pytest.raises(errors.NotFound):
        await c.get_external_account(cust.id, saved.id)


async def test_feed_poll_finds_new_transactions_oldest_first_across_pages(c):
    cust, wallet = await funded_customer(c, amount="50.00")
    va = await c.create_virtual_account(cust.id, wallet.id)
    before = await c.create_transaction((await c.create_quote(send_body(cust, wallet))).id)
    feed = TransactionFeed(c, page_limit=2)
    assert await feed.poll(cust.id) == []  # the first look only learns
    made = [await c.sandbox_simulate_bank_deposit(va.id, f"{n}.00") for n in range(1, 6)]
    fresh = await feed.poll(cust.id)
    assert [t.id for t in fresh] == [t.id for t in made]  # 3 pages walked, oldest first
    assert before.id not in {t.id for t in fresh}
    assert await feed.poll(cust.id) == []
    mine = await c.create_transaction((await c.create_quote(send_body(cust, wallet))).id)
    feed.note_known(cust.id, mine.id)  # the desk's own send is not news
    assert await feed.poll(cust.id) == []
    existing = await TransactionFeed(c).poll(cust.id, include_existing=True)
    assert {t.id for t in existing} >= {t.id for t in made}
    assert all(not t.is_terminal for t in existing)


async def test_feed_publishes_deposits_live_and_follows_them_to_completion(c):
    cust, wallet = await funded_customer(c, amount="")
    va = await c.create_virtual_account(cust.id, wallet.id)
    da = await c.create_deposit_address(cust.id, wallet.id)
    tracker = Tracker(c, **FAST)
    feed = TransactionFeed(c, tracker=tracker, initial=0.02, cap=0.1, jitter=0.1)
    seen: list[tuple[str, models.TransactionStatus]] = []
    handle = feed.subscribe(cust.id, lambda t: seen.append((t.id, t.status)))
    await wait_for(lambda: feed.polls >= 2, "the feed's first looks")
    bank = await c.sandbox_simulate_bank_deposit(va.id, "40.00", "ach_in")
    usdc = await c.sandbox_simulate_crypto_deposit(da.id, "3.00")
    feed.poke(cust.id)  # as a webhook hint would
    processing = models.TransactionStatus.PROCESSING
    await wait_for(
        lambda: {(bank.id, processing), (usdc.id, processing)} <= set(seen), "both deposits"
    )
    await c.sandbox_advance_clock(300)
    completed = models.TransactionStatus.COMPLETED
    await wait_for(
        lambda: {(bank.id, completed), (usdc.id, completed)} <= set(seen), "both completions"
    )
    assert [s for s in seen if s[0] == bank.id] == [(bank.id, processing), (bank.id, completed)]
    assert (await c.get_balance(wallet.id)).balance == Decimal("42.80")
    handle.cancel()
    await feed.aclose()
    await tracker.aclose()


class FlakyLister:
    """A client whose transaction list fails as told (faults a real server will not show)."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def list_transactions(self, **kw):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return models.Page()


async def test_feed_backs_off_on_server_errors_and_stops_on_forbidden():
    flaky = FlakyLister(errors.ServerError("down", code="internal_error", status=500))
    feed = TransactionFeed(flaky, initial=0.01, cap=0.02, error_cap=0.05)
    failures: list[Exception] = []
    feed.subscribe("cst_x", lambda t: None, on_error=failures.append)
    await wait_for(lambda: flaky.calls >= 3, "looks after a 500")
    assert failures == []
    await feed.aclose()

    gone = FlakyLister(errors.Forbidden("no", code="customer_inactive", status=403))
    feed = TransactionFeed(gone, initial=0.01, cap=0.02)
    handle = feed.subscribe("cst_x", lambda t: None, on_error=failures.append)
    await wait_for(lambda: not handle.running, "the feed to stop")
    assert gone.calls == 1 and len(failures) == 1 and isinstance(failures[0], errors.Forbidden)
    await feed.aclose()


@pytest.mark.parametrize("value", [None, "x", [], {}, {"status": 7, "depositInstructions": "?"}])
def test_inbound_models_read_anything_without_raising(value):
    va = models.parse_virtual_account(value)
    assert va.status is models.VirtualAccountStatus.UNKNOWN and va.wallet_id is None
    assert va.deposit_instructions.as_text() == ""
    da = models.parse_deposit_address(value)
    assert da.address is None and da.status is models.DepositAddressStatus.UNKNOWN
    ext = models.parse_external_account(value)
    assert ext.kind is models.ExternalAccountType.UNKNOWN and not ext.is_saved_address


def test_inbound_models_by_prefix_and_labels():
    va = models.parse_resource({"id": "va_1", "status": "PAUSED"})
    assert isinstance(va, models.VirtualAccount) and va.status is models.VirtualAccountStatus.PAUSED
    assert isinstance(models.parse_resource({"id": "da_1"}), models.DepositAddress)
    saved = models.parse_resource({"id": "cpBcAddr_1", "type": "blockchainAddress"})
    assert saved.is_saved_address and saved.label == "cpBcAddr_1"  # no label, no address
    txn = models.parse_transaction({"source": {"virtualAccountId": "va_1"}})
    assert txn.virtual_account_id == "va_1" and txn.is_deposit
    assert not models.parse_transaction({"depositAddressId": None}).is_deposit


def test_feed_backoff_grows_to_the_cap_resets_on_news_and_jitters_reproducibly():
    import random

    feed = TransactionFeed(object(), initial=2.0, factor=1.5, cap=15.0, jitter=0.2)
    seq, interval = [], 2.0
    for _ in range(7):
        interval = feed.next_interval(interval, found_new=False)
        seq.append(interval)
    assert seq == [3.0, 4.5, 6.75, 10.125, 15.0, 15.0, 15.0]
    assert feed.next_interval(15.0, found_new=True) == 2.0
    a = TransactionFeed(object(), jitter=0.2, rng=random.Random(7))
    b = TransactionFeed(object(), jitter=0.2, rng=random.Random(7))
    delays = [a.jittered(10.0) for _ in range(50)]
    assert delays == [b.jittered(10.0) for _ in range(50)]
    assert all(8.0 <= d <= 12.0 for d in delays) and len(set(delays)) > 1
    assert TransactionFeed(object(), jitter=0.0).jittered(10.0) == 10.0
