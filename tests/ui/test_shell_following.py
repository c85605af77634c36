"""Issue 14: the banner for work found in flight when the desk starts says only what is
true. On a first start (the demo's in-flight send, an empty outbox) there was no earlier
run: nothing may claim a "last start" or a "restart"; only what the outbox re-sent was
interrupted by an earlier run."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from desktop.oms.models import parse_transaction
from desktop.oms.outbox import Outbox
from desktop.oms.tracker import Tracker
from desktop.ui.main_window import MainWindow
from tests.support.qt import close_window, make_ctx
from tests.support.sandbox import start_sandbox


def test_first_start_banner_and_result_notice_claim_no_earlier_run(qtbot, tmp_path):
    sb = start_sandbox(tmp_path / "sb", "--demo")  # manual clock: the send stays in flight
    w = MainWindow(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    ctx = make_ctx(sb, tracker=Tracker, outbox=Outbox(tmp_path / "outbox.sqlite3"))
    try:
        w.set_session(ctx)
        w.show()
        ctx.resume()
        qtbot.waitUntil(lambda: w.banners.has("following"), timeout=15000)
        text = w.banners.get("following").text
        assert text == "Following 1 transaction found in flight at start."
        (txn_id,) = [i for k, i in ctx.hub._resumed if k == "transaction"]
        ctx.scope.spawn(ctx.client.sandbox_advance_clock(30))  # the send settles
        key = f"notice:done:{txn_id}"
        qtbot.waitUntil(lambda: w.banners.has(key), timeout=20000)
        done = w.banners.get(key).text
        assert done.endswith("found in flight at start is completed.")
        assert "restart" not in done and "last start" not in done
        qtbot.waitUntil(lambda: not w.banners.has("following"), timeout=5000)
    finally:
        close_window(qtbot, w, ctx)
        sb.stop()


def test_only_an_outbox_resend_is_called_resumed_after_a_restart(qtbot):
    from desktop.ui.hub import ChangeHub

    class _Tracker:
        def watch(self, kind, ident, cb):
            return type("H", (), {"cancel": lambda self: None})()

    class _Session:
        tracker = _Tracker()

    hub = ChangeHub(_Session())
    texts = []
    hub.notice.connect(lambda n: texts.append(n.text))
    base = {
        "object": "transaction",
        "type": "cryptoToCrypto",
        "status": "completed",
        "source": {"amountGross": "5.00", "asset": "usdc"},
    }
    hub.follow_resumed("transaction", "txn_a", interrupted=True)
    hub.follow_resumed("transaction", "txn_b")
    assert hub.following() == (2, 0)
    hub._landed("transaction", parse_transaction({**base, "id": "txn_a"}))
    hub._landed("transaction", parse_transaction({**base, "id": "txn_b"}))
    assert "resumed after a restart is completed" in texts[0]
    assert "found in flight at start is completed" in texts[1]
    assert hub.following() == (0, 0)


def test_what_the_desk_saw_is_timed_on_the_servers_clock(qtbot):
    """A sandbox whose clock was advanced answers with its own Date: the timeline's "seen by
    the desk" steps are put on that clock, so the desk never sees an end before it happened."""
    from datetime import UTC, datetime, timedelta

    from desktop.ui.hub import ChangeHub

    class _Client:
        server_time_offset = timedelta(hours=2)

    class _Session:
        client = _Client()

    hub = ChangeHub(_Session())
    before = datetime.now(UTC)
    hub.publish_transaction(
        parse_transaction({"id": "txn_c", "object": "transaction", "status": "completed"})
    )
    (seen,) = hub.seen["txn_c"]
    assert before + timedelta(hours=2) <= seen.at <= datetime.now(UTC) + timedelta(hours=2)
    _Session.client = None  # no answer with a Date yet: the desk's own clock
    hub.publish_transaction(
        parse_transaction({"id": "txn_d", "object": "transaction", "status": "completed"})
    )
    assert hub.seen["txn_d"][0].at <= datetime.now(UTC)
