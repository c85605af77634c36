"""The app's webhook wiring (issue 16): closing the app removes the console's endpoint, and
an endpoint a crash left registered is removed when the profile next opens."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from desktop.app import DeskApp
from tests.support.qt import run


def _start(qtbot, desk_home, ui_loop, sandbox_dir):
    desk = DeskApp(QApplication.instance(), desk_home, sandbox_data=str(sandbox_dir))
    task = ui_loop.create_task(desk.amain())
    qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=60000)
    return desk, task


def _stop(qtbot, desk, task) -> None:
    w = desk.window
    w.close()
    qtbot.waitUntil(task.done, timeout=30000)
    assert task.result() == 0
    w.deleteLater()


def test_endpoint_removed_on_quit_and_crash_leftovers_on_next_start(
    qtbot, desk_home, ui_loop, tmp_path
):
    desk, task = _start(qtbot, desk_home, ui_loop, tmp_path / "sb")
    session = desk.session
    view = desk.window.developers_view
    assert not view.built  # nothing of it until the operator opens the tab
    desk.window.tabs.setCurrentWidget(view)
    view.tabs.setCurrentWidget(view.console)  # opening the console registers its endpoint
    qtbot.waitUntil(lambda: session.webhooks.running, timeout=20000)
    client = session.webhooks.client
    token = run(qtbot, session.webhooks.event_log()).token
    own = session.webhooks.listener.endpoint_id
    # What a crash leaves: an endpoint of this desk that nobody removed.
    leftover = run(qtbot, client.create_webhook(f"http://127.0.0.1:9/oms-desk/{token}", []))
    ids = {h.id for h in run(qtbot, client.list_webhooks()).data}
    assert {own, leftover.id} <= ids
    a_customer = desk.window.model.row_object(0).id
    _stop(qtbot, desk, task)

    desk, task = _start(qtbot, desk_home, ui_loop, tmp_path / "sb")
    client = desk.session.client

    def remaining() -> set[str]:
        return {h.id for h in run(qtbot, client.list_webhooks()).data}

    # The same account (its data survived), without the console's own endpoint (gone on
    # quit); the leftover goes when the profile opens, and the log says so.
    assert run(qtbot, client.get_customer(a_customer)).id == a_customer
    assert own not in remaining()
    qtbot.waitUntil(lambda: leftover.id not in remaining(), timeout=20000)
    qtbot.waitUntil(
        lambda: "left by an earlier run" in desk_home.log_file.read_text(), timeout=5000
    )
    _stop(qtbot, desk, task)
