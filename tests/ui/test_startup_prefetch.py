"""Start-up overlap (issue 15): the window shows placeholder rows until the first customers
arrive, and the embedded sandbox's token exchange and first page, sent as soon as its
ready line came, are the ones the table uses (one request each, not two)."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3

import httpx
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication

from desktop import app, prefetch
from desktop.__main__ import launch_sandbox_early
from desktop.app import DeskApp
from desktop.oms import errors, models
from desktop.ui import customers
from tests.support.qt import close_window, make_ctx


def test_the_prefetched_page_is_the_table_s_first_page():
    assert prefetch.FIRST_PAGE_LIMIT == customers.PAGE_SIZE


def _gated_window(qtbot, tmp_path, demo_sandbox):
    from desktop.ui.main_window import MainWindow

    w = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    ctx = make_ctx(demo_sandbox)
    w.show()
    return w, ctx


def test_placeholder_rows_show_until_the_first_page_arrives(qtbot, tmp_path, demo_sandbox):
    w, ctx = _gated_window(qtbot, tmp_path, demo_sandbox)
    rows = w.loading_rows
    try:
        assert not rows.isVisible()  # nothing is coming yet: no placeholders
        rows.set_connecting(True)  # a profile is being opened
        assert rows.isVisible() and rows.accessibleName() == "Loading customers…"
        assert w.model.rowCount() == 0  # placeholders are not rows: counts stay true
        assert rows.geometry() == w.table.viewport().rect()
        gate: asyncio.Future = asyncio.get_event_loop().create_future()
        real = customers.customers_fetch(ctx.client)

        async def fetch(cursor):
            await gate
            return await real(cursor)

        w.set_session(ctx)
        w.model.reset(fetch)
        rows.set_connecting(False)  # connected: the page is loading, still placeholders
        assert w.model.loading and rows.isVisible()
        img = w.table.viewport().grab().toImage()  # they paint
        assert img.width() > 0
        gate.set_result(None)
        qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=15000)
        assert not rows.isVisible()
    finally:
        close_window(qtbot, w, ctx)


def test_placeholder_rows_give_way_to_the_error_banner_and_retry(qtbot, tmp_path, demo_sandbox):
    w, ctx = _gated_window(qtbot, tmp_path, demo_sandbox)
    try:
        w.set_session(ctx)
        calls = []

        async def failing(cursor):
            calls.append(cursor)
            if len(calls) == 1:
                raise errors.NetworkError("The sandbox did not answer.", maybe_sent=False)
            return models.Page()

        w.model.reset(failing)
        qtbot.waitUntil(lambda: w.banners.has("customers"), timeout=15000)
        assert not w.loading_rows.isVisible()
        assert "did not answer" in w.banners.get("customers").text
        w.model.retry()  # the banner's Retry
        qtbot.waitUntil(lambda: not w.model.loading and len(calls) == 2, timeout=15000)
        assert not w.loading_rows.isVisible()  # an empty result: no placeholders left
    finally:
        close_window(qtbot, w, ctx)


def test_first_requests_are_sent_at_ready_and_used_once(
    qtbot, desk_home, ui_loop, tmp_path, monkeypatch
):
    """The app's client never sends the token exchange or the first page itself: the
    thread that read the ready line did, once; the table shows that page."""
    network: list[tuple[str, str, dict, int]] = []  # ..., row frames painted by then
    original = httpx.AsyncHTTPTransport.handle_async_request

    async def spy(self, request):
        network.append((request.method, request.url.path, dict(request.url.params), len(painted)))
        return await original(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", spy)
    painted: list[int] = []  # rows on screen each time the table paints
    gc_applied_after: list[int] = []  # painted row frames when the GC policy ran

    monkeypatch.setattr(app, "tune_gc", lambda: gc_applied_after.append(len(painted)))
    data = tmp_path / "sb"
    args = argparse.Namespace(
        self_test=False, profile=None, sandbox_data=str(data), sandbox_args=[]
    )
    early = launch_sandbox_early(args)  # as desktop.__main__ does, before the window
    desk = DeskApp(QApplication.instance(), desk_home, sandbox_data=str(data), prestarted=early)

    class PaintSpy(QObject):  # installed last: Qt calls it before the app's own filters
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and desk.window.proxy.rowCount() > 0:
                painted.append(desk.window.proxy.rowCount())
            return False

    paint_spy = PaintSpy()
    desk.window.table.viewport().installEventFilter(paint_spy)
    task = ui_loop.create_task(desk.amain())
    try:
        qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=60000)
        # Start-up's full collection waits until the first rows are on screen, once.
        qtbot.waitUntil(lambda: bool(gc_applied_after), timeout=10000)
        assert gc_applied_after[0] >= 1 and len(gc_applied_after) == 1
        # The session's background work (webhook clean-up, recovery) waited for those rows:
        # sent earlier, it reached the sandbox while it answered the first page.
        qtbot.waitUntil(
            lambda: (
                any(r[1].endswith("/webhooks") for r in network)
                and any(r[1].endswith("/cash-ins") for r in network)
            ),
            timeout=10000,
        )
        late = [r for r in network if r[1].endswith(("/webhooks", "/cash-ins"))]
        assert all(r[3] >= 1 for r in late), late
        pre_page = early[0].prefetched
        assert pre_page is None  # handed to the session's client, once
        transport = desk.session.client._http._transport
        assert transport.served == ["token", "page"]
        assert not [r for r in network if r[0] == "POST" and r[1].endswith("/auth/token")]
        first = [r for r in network if r[1].endswith("/customers") and "startingAfter" not in r[2]]
        assert first == []
        assert not desk.window.loading_rows.isVisible()
        db = sqlite3.connect(data / "sandbox.db")
        try:
            assert db.execute("SELECT count(*) FROM tokens").fetchone()[0] == 1  # one exchange
        finally:
            db.close()
    finally:
        desk.window.close()
        qtbot.waitUntil(task.done, timeout=30000)
        desk.window.deleteLater()


def test_a_failed_prefetch_leaves_the_requests_to_the_client(qtbot):
    """A prefetch that failed is not an answer: the client asks the network itself."""
    pre = prefetch.Prefetch("http://127.0.0.1:9/v0.9", "sk_sdbx_x", "secret")
    err = ConnectionRefusedError()
    pre.token.set_exception(err)
    pre.first_page.set_exception(err)
    seen = []

    class Inner(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            seen.append(request.url.path)
            return httpx.Response(503, json={"error": {"code": "down"}}, request=request)

    t = prefetch.transport(pre, Inner())

    async def go():
        req = httpx.Request(
            "POST", "http://127.0.0.1:9/v0.9/auth/token", json={"apiKey": "sk_sdbx_x"}
        )
        r1 = await t.handle_async_request(req)
        r2 = await t.handle_async_request(req)
        return r1.status_code, r2.status_code

    task = asyncio.get_event_loop().create_task(go())
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.result() == (503, 503)
    assert seen == ["/v0.9/auth/token", "/v0.9/auth/token"] and t.served == []


def test_the_sandbox_transport_loads_no_trust_anchors_and_trusts_nothing():
    """The embedded sandbox is plain HTTP on loopback: its transport skips loading certifi's
    CA bundle (18-40 ms at start-up), and its TLS context, never used, would refuse any
    certificate rather than accept one."""
    import ssl

    pre = prefetch.Prefetch("http://127.0.0.1:9/v0.9", "sk_sdbx_x", "secret")
    ctx = prefetch.transport(pre).inner._pool._ssl_context
    assert ctx.verify_mode is ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] == 0
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_secondary_tabs_are_named_at_once_and_built_when_opened(qtbot, tmp_path, demo_sandbox):
    """During start-up the Transactions and Developers tabs are there by name and icon, and
    their views are built when start-up ends or the tab is opened, in the same place."""
    w, ctx = _gated_window(qtbot, tmp_path, demo_sandbox)
    try:
        w.set_session(ctx)
        names = [w.tabs.tabText(i) for i in range(w.tabs.count())]
        assert names == ["Customers", "Transactions", "Developers"]
        assert w._transactions_view is None and w._developers_view is None  # not built yet
        assert not w.tabs.tabIcon(1).isNull()
        w.tabs.setCurrentIndex(2)  # opening the tab (click, keyboard) builds it in place
        view = w.tabs.widget(2)
        assert view is w._developers_view and w.tabs.currentIndex() == 2
        assert w.tabs.tabText(2) == "Developers" and w._transactions_view is None
        assert w.transactions_view is w.tabs.widget(1)  # asking for it builds it too
        assert [w.tabs.tabText(i) for i in range(w.tabs.count())] == names
        assert w.tabs.currentIndex() == 2
        qtbot.waitUntil(lambda: w.started, timeout=5000)  # the fallback ends start-up
    finally:
        close_window(qtbot, w, ctx)


def test_start_up_ends_after_the_first_rows_paint_and_builds_the_tabs(
    qtbot, tmp_path, demo_sandbox, monkeypatch
):
    from desktop.ui import main_window

    monkeypatch.setattr(main_window, "START_UP_FALLBACK_MS", 120_000)  # the paint, not it
    w, ctx = _gated_window(qtbot, tmp_path, demo_sandbox)
    try:
        ended = []
        w.start_up_over.connect(lambda: ended.append(w.model.rowCount()))
        at_first_page = []  # the first customer's detail waits for the rows' first paint
        w.model.page_loaded.connect(lambda _n: at_first_page.append(w.detail.customer))
        w.set_session(ctx)
        qtbot.waitUntil(lambda: bool(ended), timeout=15000)
        assert ended[0] > 0 and len(ended) == 1
        assert at_first_page[0] is None
        assert w.detail.customer is not None  # then the first row is selected and shown
        assert w.table.currentIndex().row() == 0
        assert w.detail.customer.id == w.model.index(0, 0).data(customers.ROLE_ID)
        assert w._transactions_view is not None and w._developers_view is not None
        assert w.tabs.widget(1) is w._transactions_view
    finally:
        close_window(qtbot, w, ctx)
