"""Qt test support: offscreen Qt, one qasync loop per session, an in-memory keyring.

The fixtures are registered by ``tests/conftest.py`` (session ones) and by the ``ui`` and
``flows`` conftests (the autouse ones, so client and sandbox tests never see them).

The session loop is created with ``already_running=True``: Qt's own event processing
(``qtbot.waitUntil`` / ``waitSignal``) runs asyncio callbacks. It is marked as *the*
running loop only while a UI test runs, so async tests elsewhere (pytest-asyncio)
never see it. Nothing here sleeps or calls ``QApplication.exit()``.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import asyncio
from types import SimpleNamespace

import keyring
import pytest
from keyring.backends import SecretService

from tests.support.sandbox import start_sandbox


class MemoryKeyring(SecretService.Keyring):
    """A keyring that lives in a dict (tests never touch the real one). It stands in for an
    OS keyring (Secret Service): the app trusts only OS keyrings (desktop.secrets)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.data:
            import keyring.errors

            raise keyring.errors.PasswordDeleteError(username)
        del self.data[(service, username)]


@pytest.fixture(scope="session")
def qasync_loop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)
    yield loop
    # to_thread workers (keyring, sandbox start) are QThreads here: end them before Qt.
    executor = getattr(loop, "_QEventLoop__default_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


@pytest.fixture(autouse=True)
def ui_loop(qasync_loop):
    """Make the session loop current (and running) for this test only."""
    prev_running = asyncio.events._get_running_loop()
    asyncio.set_event_loop(qasync_loop)
    asyncio.events._set_running_loop(qasync_loop)
    yield qasync_loop
    asyncio.events._set_running_loop(prev_running)


@pytest.fixture(autouse=True)
def memory_keyring():
    kr = MemoryKeyring()
    prev = keyring.get_keyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(prev)


@pytest.fixture
def desk_home(tmp_path, monkeypatch):
    """Config, data and logs of the app under tmp_path."""
    from desktop.config import default_paths
    from desktop.logs import setup_logging, teardown_logging

    monkeypatch.setenv("OMS_DESK_HOME", str(tmp_path / "home"))
    paths = default_paths().ensure()
    setup_logging(paths.log_file)  # the real log file, so tests can grep it
    yield paths
    teardown_logging()


def run(qtbot, coro, timeout: int = 15000):
    """Run a coroutine on the Qt-driven loop and return its result."""
    task = asyncio.get_event_loop().create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture(scope="session")
def demo_sandbox(tmp_path_factory):
    """A sandbox with the demo data set (shared; tests add uniquely named customers)."""
    sb = start_sandbox(tmp_path_factory.mktemp("demo-sandbox"), "--demo")
    yield sb
    sb.stop()


def make_ctx(sb, *, name: str = "Test sandbox", tracker=None, outbox=None):
    """A Session on ``sb`` as the app builds one (no tracker or outbox unless given)."""
    from desktop.app import make_client
    from desktop.config import Profile, ProfileKind
    from desktop.tasks import TaskScope
    from desktop.ui.session import Session

    profile = Profile(name, ProfileKind.CUSTOM, base_url=sb.base_url)
    client = make_client(sb.base_url, sb.api_key, sb.api_secret)
    # Probe like an embedded profile does: GET /sandbox/health.
    return Session(
        client=client,
        tracker=tracker(client) if callable(tracker) else tracker,
        outbox=outbox,
        scope=TaskScope("test"),
        is_sandbox=True,
        profile=profile,
        probe_fn=client.sandbox_health,
    )


@pytest.fixture
def window(qtbot, demo_sandbox, tmp_path):
    """A MainWindow connected to the demo sandbox, first page loaded and painted (start-up
    over: its Transactions and Developers tabs are built)."""
    from PySide6.QtCore import QSettings

    from desktop.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)  # not qtbot.addWidget: pytest-qt would delete it before
    ctx = make_ctx(demo_sandbox)
    w.set_session(ctx)
    w.show()
    qtbot.waitUntil(lambda: w.model.rowCount() > 0 and w.started, timeout=15000)
    yield w
    close_window(qtbot, w, ctx)  # drains its tasks before the widgets go


def close_window(qtbot, w, ctx) -> None:
    async def down():
        w.monitor.stop()
        await asyncio.gather(w.scope.drain(2), w.detail.scope.drain(2), w.monitor.scope.drain(2))
        await ctx.aclose()

    w.close()
    run(qtbot, down())
    w.deleteLater()


def ns(**kw):
    return SimpleNamespace(**kw)
