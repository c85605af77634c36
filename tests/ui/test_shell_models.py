"""Every shell model passes pytest-qt's qtmodeltester; paging and the None hazard."""

from __future__ import annotations

import asyncio
import sys

import pytest
import shiboken6
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt

from desktop.oms import errors, models
from desktop.tasks import TaskScope
from desktop.ui.customer_detail import CustomerTransactionsModel
from desktop.ui.customers import CustomersModel, NameFilterProxy, customers_fetch
from tests.support.qt import run


def test_customers_model_pages_and_passes_modeltester(qtbot, qtmodeltester, window):
    m = window.model
    assert m.rowCount() > 0
    first = m.rowCount()
    qtmodeltester.check(m)
    qtmodeltester.check(window.proxy)
    # Every row has an id and a non-empty name; the endorsement summary is text.
    for r in range(m.rowCount()):
        c = m.row_object(r)
        assert c.id.startswith("cst_")
        assert m.data(m.index(r, 0))
        assert isinstance(m.data(m.index(r, 4)), str)
    assert first >= 1


def test_paging_small_pages_generation_and_loading_guard(qtbot, qtmodeltester, window):
    api = window.api
    scope = TaskScope("t")
    total = run(qtbot, _count(api))
    m = CustomersModel(scope)
    m.reset(customers_fetch(api, page_size=7))
    assert m.loading
    # The guard: while a page is in flight there is nothing more to fetch.
    assert not m.canFetchMore(QModelIndex())
    qtbot.waitUntil(lambda: not m.loading, timeout=10000)
    assert m.rowCount() == min(7, total)
    while m.canFetchMore(QModelIndex()):
        m.fetchMore(QModelIndex())
        m.fetchMore(QModelIndex())  # a second call must not start a second load
        qtbot.waitUntil(lambda: not m.loading, timeout=10000)
    assert m.rowCount() == total
    ids = [m.row_object(r).id for r in range(m.rowCount())]
    assert len(set(ids)) == total  # no page loaded twice
    qtmodeltester.check(m)

    # A reset while a page is in flight drops that stale page (generation counter).
    gen = m.generation
    m.reset(customers_fetch(api, "Email", "nobody-at-all@example.com"))
    assert m.generation == gen + 1
    qtbot.waitUntil(lambda: not m.loading, timeout=10000)
    assert m.rowCount() == 0
    assert not m.canFetchMore(QModelIndex())
    run(qtbot, scope.aclose())


async def _count(api) -> int:
    return len([c async for c in api.iter_customers()])


def test_page_error_stops_paging_until_retry(qtbot):
    calls = {"n": 0}

    async def flaky(cursor):
        calls["n"] += 1
        if calls["n"] == 1:
            from desktop.oms import errors

            raise errors.ServerError("boom")
        return models.Page(data=(models.Customer(id="cst_a", first_name="A"),), has_more=False)

    scope = TaskScope("t")
    m = CustomersModel(scope)
    errs = []
    m.error_changed.connect(errs.append)
    m.reset(flaky)
    qtbot.waitUntil(lambda: m.error is not None, timeout=5000)
    assert not m.canFetchMore(QModelIndex())
    assert m.rowCount() == 0
    m.retry()
    qtbot.waitUntil(lambda: m.rowCount() == 1, timeout=5000)
    assert m.error is None and errs[-1] is None


@pytest.mark.parametrize("fail", [False, True], ids=["page", "error"])
def test_page_arriving_after_model_deleted_is_dropped(qtbot, monkeypatch, fail):
    """A page (or its failure) that comes back after the view deleted its model must not
    emit on it ("Signal source has been deleted")."""
    release = asyncio.Event()

    async def slow(cursor):
        await release.wait()
        if fail:
            raise errors.ServerError("boom")
        return models.Page(data=(models.Customer(id="cst_a", first_name="A"),), has_more=False)

    hooked = []
    monkeypatch.setattr(sys, "excepthook", lambda *a: hooked.append(a))
    scope = TaskScope("t")
    m = CustomersModel(scope)
    m.reset(slow)
    assert m.loading
    shiboken6.delete(m)
    release.set()
    qtbot.waitUntil(scope.is_idle, timeout=5000)
    assert hooked == []


def test_transactions_model_passes_modeltester(qtmodeltester):
    m = CustomerTransactionsModel()
    qtmodeltester.check(m)
    raw = {
        "id": "txn_x",
        "type": "cryptoToCrypto",
        "status": "failed",
        "subStatus": "rejected",
        "source": {"amountGross": "10.50", "asset": "usdc"},
        "error": {"code": "blockchain_rejected", "message": "no"},
        "createdAt": "2026-11-24T10:00:00.123Z",
    }
    m.set_transactions([models.parse_transaction(raw)])
    qtmodeltester.check(m)
    assert m.data(m.index(0, 3)) == "10.50 USDC"
    assert m.data(m.index(0, 2)) == "Failed — rejected by the network"  # words, one rule
    assert m.data(m.index(0, 1)) == "Send"
    assert m.data(m.index(0, 0), Qt.ItemDataRole.ToolTipRole).startswith("blockchain_rejected")


def test_data_returning_none_through_proxy_keeps_none_refcount(qtbot):
    """Regression for PySide6 6.12.0 on CPython 3.11 (DESIGN.md Known hazards)."""
    scope = TaskScope("t")
    m = CustomersModel(scope)

    async def one(cursor):
        return models.Page(
            data=tuple(models.Customer(id=f"cst_{i}", first_name=f"N{i}") for i in range(50))
        )

    m.reset(one)
    qtbot.waitUntil(lambda: m.rowCount() == 50, timeout=5000)
    for proxy in (QSortFilterProxyModel(), NameFilterProxy()):
        proxy.setSourceModel(m)
        before = sys.getrefcount(None)
        for i in range(20_000):
            # DecorationRole / an unused column: our data() returns None for these.
            assert proxy.data(proxy.index(i % 50, 0), Qt.ItemDataRole.DecorationRole) is None
        after = sys.getrefcount(None)
        assert after >= before - 100, (before, after)
