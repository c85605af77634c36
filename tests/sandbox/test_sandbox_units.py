"""Unit tests of the sandbox's pure building blocks (money, pricing, EIP-55, ids)."""

from __future__ import annotations

import pytest

from tests.support.api import EXT_ADDR


# -- unit tests of the pure parts -------------------------------------------------------------
def test_money_parse_and_format():
    from desktop.sandbox.errors import ApiError
    from desktop.sandbox.money import format_amount, parse_amount

    assert parse_amount("100", "usdc", "a") == 100_000_000
    assert parse_amount("0.000001", "usdc", "a") == 1
    assert parse_amount("12.34", "usd", "a") == 1234
    assert format_amount(100_000_000, "usdc") == "100.00"
    assert format_amount(99_421_234, "usdc") == "99.421234"
    assert format_amount(100_000, "usdc") == "0.10"
    assert format_amount(10, "usd") == "0.10"
    for bad in ["0", "0.00", "-1", "1e3", "NaN", "1.0000001", " 1", "1.", ".5", "", 5, None]:
        with pytest.raises(ApiError) as e:
            parse_amount(bad, "usdc", "a")
        assert e.value.code == "invalid_amount"
    with pytest.raises(ApiError):
        parse_amount("1.001", "usd", "a")


@pytest.mark.parametrize(
    ("gross", "fee"),
    [
        (100_000_500, 100_001),  # 100.0005 x 0.1 % = 0.1000005 -> half-up 0.100001
        (100_000_499, 100_000),  # 0.100000499 -> 0.100000
        (12_345_500, 12_346),  # 0.0123455 -> 0.012346
        (9_999_999, 10_000),  # 0.009999999 -> the 0.01 minimum
        (1, 10_000),
    ],
)
def test_oms_fee_is_a_tenth_of_a_percent_half_up_with_a_minimum(gross, fee):
    from desktop.sandbox.pricing import oms_fee

    assert oms_fee(gross) == fee


@pytest.mark.parametrize(
    ("net", "sponsor", "gross"),
    [
        # Worked by hand: the smallest g with g - round_half_up(g / 1000) - gas == net.
        (99_900_500, True, 100_000_501),  # 100.0005 would net 99.900499 (fee 0.100001)
        (99_900_499, True, 100_000_499),  # fee 0.100000499 -> 0.100000
        (10_000_000, False, 10_020_020),  # 10.02002 - 0.010020 - 0.01 = 10.00
        (1, True, 10_001),  # the 0.01 minimum: 0.010001 - 0.01 = 0.000001
        (1, False, 20_001),  # and gas 0.01 on top
        (9_990_000, True, 10_000_000),  # 10.00 - 0.01 = 9.99
    ],
)
def test_fixed_destination_gross_is_the_smallest_that_nets_it(net, sponsor, gross):
    from desktop.sandbox.pricing import gross_for_net

    assert gross_for_net(net, sponsor) == gross


def test_eip55_reference_vectors():
    from desktop.sandbox.addresses import to_checksum, validate_address
    from desktop.sandbox.errors import ApiError

    for a in [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        EXT_ADDR,
        "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1",
    ]:
        assert to_checksum(a.lower()) == a
        assert validate_address(a, "p") == a
    assert validate_address(EXT_ADDR.lower(), "p") == EXT_ADDR  # all-lowercase is accepted
    with pytest.raises(ApiError):
        validate_address("0xabc1230000000000000000000000000000DEf456", "p")


def test_ids_are_typeid_shaped_and_monotonic():
    from desktop.sandbox.ids import is_id, new_id

    ids = [new_id("cst_", 1_700_000_000_000) for _ in range(50)]
    assert all(is_id(i, "cst_") for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 50


def test_run_due_reads_ahead_but_keeps_time_order(tmp_path):
    """Due jobs are read in batches; a job that schedules an earlier-due one still runs it
    before the jobs already read, and a failing job is dropped alone."""
    from desktop.sandbox import settlement
    from desktop.sandbox.store import Store

    store = Store(str(tmp_path / "s.db"))
    ran: list[str] = []

    def handler(tx, job):
        ran.append(job.ref_id)
        if job.ref_id == "a":
            tx.schedule(110, "t.order", "b", None)  # due before "boom", scheduled after it
        if job.ref_id == "boom":
            tx.schedule(10, "t.order", "never", None)
            raise RuntimeError("job bug")

    settlement.JOB_HANDLERS["t.order"] = handler
    try:
        with store.tx() as tx:
            tx.schedule(100, "t.order", "a", None)
            tx.schedule(120, "t.order", "boom", None)
            tx.schedule(200, "t.order", "c", None)
            tx.schedule(900, "t.order", "later", None)
        assert settlement.run_due(store, 500, batch=2) == 4
        assert ran == ["a", "b", "boom", "c"]
        assert [r[0] for r in store.all("SELECT ref_id FROM jobs")] == ["later"]
    finally:
        del settlement.JOB_HANDLERS["t.order"]
        store.close()


def test_ledger_post_guards_balance(tmp_path):
    from desktop.sandbox.errors import ApiError
    from desktop.sandbox.store import Store

    store = Store(str(tmp_path / "s.db"))
    try:
        with store.tx() as tx:
            tx.open_balance("acct", "wlt_a", 1)
            assert tx.post("acct", "wlt_a", 500, "deposit", None, 2) == 500
        for wallet, amount, status in (("wlt_a", -501, 422), ("wlt_x", 1, 404)):
            with pytest.raises(ApiError) as e, store.tx() as tx:
                tx.post("acct", wallet, amount, "send", None, 3)
            assert e.value.status == status
        with store.tx() as tx:
            assert tx.post("acct", "wlt_a", -500, "send", None, 4) == 0
        assert store.balance("wlt_a") == (0, 4)
        assert store.check_ledger() == []
        assert store.one("SELECT COUNT(*) FROM ledger")[0] == 2
    finally:
        store.close()
