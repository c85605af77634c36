"""QApplication + qasync loop, start-up and orderly shutdown.

One ``amain()`` coroutine opens the session (starting the embedded sandbox child
when the profile says so), shows the window, waits for an ``asyncio.Event`` set by
the window's ``closed`` / ``aboutToQuit``, then closes every task scope, the HTTP
client and the child sandbox. If Qt leaves ``exec()`` first, ``run_until_complete``
raises: we re-enter the loop so the cleanup still runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop import __version__
from desktop.config import (
    EMBEDDED_PROFILE_NAME,
    Environment,
    Paths,
    Profile,
    ProfileError,
    ProfileKind,
    ProfileStore,
    default_paths,
    embedded_profile,
    resolve_profile,
)
from desktop.embedded import EmbeddedSandbox, SandboxStartError
from desktop.logs import register_secret, setup_logging
from desktop.secrets import ApiKeyPair, SecretStore
from desktop.tasks import TaskScope

if TYPE_CHECKING:  # Qt is imported after the sandbox has started (start-up time)
    from desktop.ui.session import Session

log = logging.getLogger(__name__)

_T0 = time.perf_counter()
_WALL0 = time.time()
KEYRING_PROBE_DELAY_S = 2.0  # after the first rows, when the profile needs no secret
MARKS: dict[str, float] = {}  # start-up phases, seconds since this module was imported


def mark(name: str) -> None:
    MARKS.setdefault(name, round(time.perf_counter() - _T0, 3))


def tune_gc() -> None:
    """The GC policy once the first screen is up: one place, ``desktop.gc_policy``."""
    from desktop import gc_policy

    gc_policy.apply_after_startup()


def account_locator(profile: Profile, base_url: str, sandbox_dir: Path) -> str:
    """Where a profile's account lives, stable across restarts (the outbox files its
    submissions under it): the embedded sandbox's data dir, else the server's URL."""
    from desktop.oms.accounts import embedded_locator

    if profile.kind is ProfileKind.EMBEDDED:
        return embedded_locator(profile.data_dir or sandbox_dir)
    return base_url


def make_client(
    base_url: str,
    api_key: str,
    api_secret: str,
    *,
    locator: str | None = None,
    label: str | None = None,
    **client_options: Any,
):
    from desktop.oms.accounts import account_scope_for
    from desktop.oms.client import Credentials, OmsClient, RetryPolicy

    register_secret(api_secret)
    # Few, quick retries: the offline banner and its own backoff take over after that.
    return OmsClient(
        base_url,
        Credentials(api_key, api_secret),
        retry=RetryPolicy(attempts=3, base=0.2, cap=1.0, deadline=4.0),
        user_agent=f"OMS-Desk/{__version__}",
        account_id=account_scope_for(locator or base_url, api_key),
        account_label=label,
        **client_options,
    )


class DeskApp:
    """The application object: owns the window, the session and its resources."""

    def __init__(
        self,
        qapp,
        paths: Paths,
        *,
        profile_name: str | None = None,
        sandbox_data: str | None = None,
        secrets: SecretStore | None = None,
        self_test: bool = False,
        sandbox_extra: tuple[str, ...] = (),
        prestarted: tuple[EmbeddedSandbox, Any] | None = None,
    ) -> None:
        from PySide6.QtCore import QSettings

        from desktop.ui.main_window import MainWindow

        self.qapp = qapp
        self.paths = paths
        self.store = ProfileStore.load(paths.profiles_file)
        self.secrets = secrets or SecretStore()
        self.scope = TaskScope("application")
        self.session: Session | None = None
        self.sandbox: EmbeddedSandbox | None = None
        self.outbox = None
        self.self_test = self_test
        self.sandbox_extra = sandbox_extra
        self.prestarted = prestarted
        self.quit_event = asyncio.Event()
        self._switching: asyncio.Task | None = None
        self.first_rows_at: float | None = None
        self._start_up_over = False  # the first rows are painted (GC policy applied)
        self._start_up_done = asyncio.Event()  # the same, for the session's deferred work
        self.exit_code = 0
        self._initial = (profile_name, sandbox_data)

        self.qsettings = QSettings(str(paths.qsettings_file), QSettings.Format.IniFormat)
        self.window = MainWindow(self.qsettings, profile_names=self.profile_names)
        self.window.closed.connect(self.request_quit)
        self.window.settings_requested.connect(self.open_settings)
        self.window.profile_switch_requested.connect(self.switch_profile)
        self.window.model.page_loaded.connect(self._on_first_page)
        # Start-up is over once the first customer rows are on screen: the GC policy's full
        # collection and freeze (16 ms measured) run then, not between the first page and
        # its paint. (The benchmark's probe, installed below, reports that paint first.)
        self.window.start_up_over.connect(self._after_first_rows_painted)
        if os.environ.get("OMS_DESK_BENCH_FIRST_PAINT"):
            self._install_first_paint_probe()
        self.secrets.on_persistence_changed(lambda ok: self.window.set_keyring_warning(not ok))
        qapp.aboutToQuit.connect(self.request_quit)

    # ---- lifecycle -------------------------------------------------------------------

    def request_quit(self) -> None:
        self.quit_event.set()

    async def amain(self) -> int:
        mark("amain")
        self.window.show()
        self.window.clamp_to_screen()
        try:
            profile = resolve_profile(self.store, *self._initial)
        except ProfileError as e:
            self.window.show_session_error(str(e), [("Settings…", self.open_settings)])
            profile = None
        self.scope.spawn(self._gc_back_at_the_latest(), name="gc.deadline")
        if profile is not None:
            if profile.needs_credentials:
                self.scope.spawn(self._probe_keyring(), name="keyring.probe")
            await self.open_profile(profile)
        await self.quit_event.wait()
        await self.shutdown()
        return self.exit_code

    async def _gc_back_at_the_latest(self) -> None:
        """The collector is off until the first rows are painted (``desktop.gc_policy``);
        if that never happens (no profile opens), it comes back after a while anyway."""
        from desktop import gc_policy

        await asyncio.sleep(gc_policy.STARTUP_PAUSE_MAX_S)
        if not self._start_up_over:
            tune_gc()

    async def _probe_keyring(self, delay: float = 0.0) -> None:
        if delay:
            # Importing keyring and its D-Bus backend costs ~10 MB and CPU: not while the
            # first rows are being painted, when no profile of this session needs it.
            await asyncio.sleep(delay)
        ok = await self.secrets.probe()
        self.window.set_keyring_warning(not ok)

    async def shutdown(self) -> None:
        log.info("shutting down")
        if self.window.isVisible():
            self.window.save_state()
            self.window.hide()
        await self._drain_views()
        await self.scope.aclose()
        await self.close_session()
        if self.outbox is not None:
            try:
                self.outbox.close()
            except Exception:
                pass
            self.outbox = None
        self.window.monitor.stop()
        await asyncio.gather(
            self.window.scope.aclose(1.0),
            self.window.detail.scope.aclose(1.0),
            self.window.monitor.scope.aclose(1.0),
        )
        log.info("shutdown complete")

    # ---- profiles --------------------------------------------------------------------

    def profile_names(self) -> list[str]:
        names = self.store.names()
        return names if EMBEDDED_PROFILE_NAME in names else [EMBEDDED_PROFILE_NAME, *names]

    def switch_profile(self, name: str, *, confirmed: bool = False) -> None:
        p = self.store.get(name) or (embedded_profile() if name == EMBEDDED_PROFILE_NAME else None)
        if p is None:
            return
        current = self.session.profile.name if self.session is not None else None
        if p.environment is Environment.PRODUCTION and not confirmed and current != name:
            # Real money: one click is not enough. Nothing changes until confirmed.
            self.window.confirm_production(name, lambda: self.switch_profile(name, confirmed=True))
            return
        self.store.active = name
        try:
            self.store.save()
        except OSError:
            log.exception("could not save profiles")
        if self._switching is not None and not self._switching.done():
            self._switching.cancel()
        self._switching = self.scope.spawn(self.open_profile(p), name="open_profile")

    async def open_profile(self, profile: Profile) -> Session | None:
        """Close the current session, connect to ``profile`` and hand it to the window."""
        await self.close_session(keep_sandbox_for=profile)
        w = self.window
        w.clear_session(f"Connecting to {profile.name}…")
        w.loading_rows.set_connecting(True)  # placeholder rows until the first page
        w.profile_name, w.environment = profile.name, str(profile.environment)
        w._update_title()
        try:
            return await self._connect(profile)
        finally:
            w.loading_rows.set_connecting(False)

    async def _connect(self, profile: Profile) -> Session | None:
        w = self.window
        try:
            if profile.kind is ProfileKind.EMBEDDED:
                data_dir = Path(profile.data_dir) if profile.data_dir else self.paths.sandbox_dir
                pre, self.prestarted = self.prestarted, None
                if pre is not None and pre[0].data_dir == data_dir and self.sandbox is None:
                    # Started in a thread while Qt was still importing (faster start-up).
                    self.sandbox = pre[0]
                    await asyncio.wrap_future(pre[1])
                elif pre is not None:
                    await asyncio.wrap_future(pre[1])
                    await pre[0].stop()
                if (
                    self.sandbox is None
                    or self.sandbox.data_dir != data_dir
                    or not (
                        self.sandbox.info and (self.sandbox.running or not self.sandbox.info.owned)
                    )
                ):
                    if self.sandbox is not None:
                        await self.sandbox.stop()
                    self.sandbox = EmbeddedSandbox(data_dir, demo=True, extra=self.sandbox_extra)
                    await self.sandbox.start()
                info = self.sandbox.info
                client = make_client(
                    info.base_url,
                    info.api_key,
                    info.api_secret,
                    locator=account_locator(profile, info.base_url, self.paths.sandbox_dir),
                    label=profile.name,
                    **self._prefetched_transport(),
                )
            else:
                pair = await self.secrets.get(profile.name)
                if pair is None:
                    w.clear_session()
                    w.show_session_error(
                        f"No API key is stored for “{profile.name}”. Enter it in Settings.",
                        [("Settings…", self.open_settings)],
                    )
                    return None
                client = make_client(
                    profile.url,
                    pair.api_key,
                    pair.api_secret,
                    locator=account_locator(profile, profile.url, self.paths.sandbox_dir),
                    label=f"{profile.name} ({profile.url})",
                )
        except asyncio.CancelledError:
            raise
        except (SandboxStartError, OSError, ValueError) as e:
            log.exception("could not open profile %s", profile.name)
            w.clear_session()
            w.show_session_error(
                f"Could not connect to “{profile.name}”: {e}",
                [
                    ("Retry", lambda: self.switch_profile(profile.name)),
                    ("Settings…", self.open_settings),
                ],
            )
            return None
        session = self._build_session(profile, client)
        mark("connected")
        self.session = session
        w.set_session(session)
        # Recovery is the session's: re-file this account's legacy outbox entries and say
        # which belong to other accounts, then replay and follow what is still in flight.
        # Both wait until the first rows are on screen: sent at once, their requests reached
        # the embedded sandbox while it was still answering the prefetched first page
        # (measured: that answer took 2-4 times as long).
        self.scope.spawn(
            self._after_start_up(lambda: self._recover(session)), name="session.recover"
        )
        if session.is_sandbox:  # an endpoint a crash left registered goes now
            session.scope.spawn(
                self._after_start_up(session.webhooks.cleanup),  # type: ignore[attr-defined]
                name="webhooks.cleanup",
                on_error=lambda e: log.warning("webhook endpoint cleanup failed: %s", e),
            )
        log.info("session open: %s (%s) %s", profile.name, profile.environment, client.base_url)
        if os.environ.get("OMS_DESK_ANNOUNCE"):  # for process-level tests and benchmarks
            info = self.sandbox.info if self.sandbox else None
            print(
                json.dumps(
                    {
                        "event": "session",
                        "profile": profile.name,
                        "sandboxPid": info.pid if info else None,
                    }
                ),
                flush=True,
            )
        return session

    def _prefetched_transport(self) -> dict[str, Any]:
        """The embedded sandbox's first requests, already sent when its ready line came
        (``desktop.prefetch``): the new client's transport answers them from there, once."""
        pre, self.sandbox.prefetched = self.sandbox.prefetched, None
        if pre is None:
            return {}
        from desktop import prefetch

        def marks(_fut) -> None:  # start-up phases for the benchmark's marks
            for name, t in (("prefetch_sent", pre.started_at), ("prefetch_done", pre.done_at)):
                if t is not None:
                    MARKS.setdefault(name, round(t - _T0, 3))

        pre.first_page.add_done_callback(marks)
        return {"transport": prefetch.transport(pre)}

    def _build_session(self, profile: Profile, client) -> Session:
        """The one session of this profile: client, tracker, outbox, scope and change hub."""
        from desktop.oms.outbox import Outbox
        from desktop.oms.tracker import Tracker
        from desktop.receiver.desk import DeskWebhooks, log_path_for
        from desktop.ui.session import Session

        if self.outbox is None:
            self.outbox = Outbox(self.paths.data_dir / "outbox.sqlite3")
        embedded = profile.kind is ProfileKind.EMBEDDED

        async def probe() -> object:
            if embedded:
                if self.sandbox is not None:
                    await self.sandbox.restart_if_dead()  # the child crashed: bring it back
                return await client.sandbox_health()
            return await client.list_customers(limit=1)

        session = Session(
            client=client,
            tracker=Tracker(client),
            outbox=self.outbox,
            scope=TaskScope(f"session:{profile.name}"),
            is_sandbox=profile.is_sandbox,
            profile=profile,
            probe_fn=probe,
        )
        # Webhooks (issue 16): the profile's event log and the live console's receiver.
        session.webhooks = DeskWebhooks(  # type: ignore[attr-defined]
            client,
            session.tracker,
            log_path_for(self.paths.data_dir, profile.name),
            publish=session.hub.publish,
            can_listen=profile.is_sandbox,
        )
        return session

    async def _after_start_up(self, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``work()`` once start-up is over (at once after that)."""
        await self._start_up_done.wait()
        return await work()

    async def _recover(self, session: Session) -> None:
        try:
            await self._show_unresolved_elsewhere(session)
        finally:
            if self.session is session:
                session.resume()

    async def _show_unresolved_elsewhere(self, session: Session) -> None:
        """Submissions journalled for another account wait until that profile opens: say
        so, never hide them (only a client of their own account may finish them)."""
        if session.outbox is None:
            return
        scope = await session.client.account_scope()
        # This account's entries of the first scope format are re-filed first.
        await asyncio.to_thread(
            session.outbox.adopt_legacy, scope, session.client.base_url, session.client.api_key
        )
        others = await asyncio.to_thread(session.outbox.unresolved_elsewhere, scope)
        if not others or self.session is not session:
            return
        from desktop.display import plural

        where = sorted({e.label or "an account no longer configured" for e in others})
        self.window.banners.set(
            "outbox-elsewhere",
            f"{plural(len(others), 'money submission')} started under {', '.join(where)} "
            f"{'is' if len(others) == 1 else 'are'} not finished. Open that profile to complete "
            "them; nothing is re-sent from here.",
            "warning",
        )

    async def _drain_views(self) -> None:
        await self.window.drain(2.0)

    async def close_session(self, keep_sandbox_for: Profile | None = None) -> None:
        s, self.session = self.session, None
        if s is not None:
            await self._drain_views()
            if getattr(s, "webhooks", None) is not None:  # the endpoint goes first (issue 16)
                await s.webhooks.aclose()
            await s.aclose()
        keep = (
            keep_sandbox_for is not None
            and keep_sandbox_for.kind is ProfileKind.EMBEDDED
            and self.sandbox is not None
            and self.sandbox.data_dir
            == (
                Path(keep_sandbox_for.data_dir)
                if keep_sandbox_for.data_dir
                else self.paths.sandbox_dir
            )
        )
        if self.sandbox is not None and not keep:
            sb, self.sandbox = self.sandbox, None
            await sb.stop()

    # ---- settings --------------------------------------------------------------------

    def open_settings(self) -> None:
        from desktop.ui.settings_dialog import SettingsDialog

        dlg = SettingsDialog(
            self.store,
            self.secrets,
            self.test_connection,
            current=self.session.profile.name if self.session else None,
            parent=self.window,
        )
        dlg.switch_requested.connect(self.switch_profile)
        dlg.open()
        self.window.settings_dialog = dlg

    async def test_connection(self, profile: Profile, pair: ApiKeyPair | None) -> str:
        from desktop.oms import errors

        if profile.kind is ProfileKind.EMBEDDED:
            if self.sandbox is not None and self.sandbox.info is not None:
                return f"The embedded sandbox is running at {self.sandbox.info.base_url}."
            return "The embedded sandbox starts when this profile is used."
        assert pair is not None
        client = make_client(profile.url, pair.api_key, pair.api_secret)
        try:
            await client.authenticate()
            page = await client.list_customers(limit=1)
        except errors.AuthError as e:
            raise RuntimeError(f"Credentials rejected: {e}") from None
        except errors.OmsError as e:
            raise RuntimeError(str(e)) from None
        finally:
            await client.aclose()
        kind = "sandbox" if "_sdbx_" in pair.api_key else "live"
        return (
            f"Connected to {profile.url}: token issued for a {kind} key"
            f"{'' if page.data else ' (no customers yet)'}."
        )

    # ---- first rows (self-test, benchmarks) --------------------------------------------

    def _install_first_paint_probe(self) -> None:
        """Benchmarks: print the wall time when the first customer row is painted, quit."""
        from PySide6.QtCore import QEvent, QObject

        desk = self

        class Probe(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint and desk.window.proxy.rowCount() > 0:
                    obj.removeEventFilter(self)
                    from PySide6.QtCore import QTimer

                    def report() -> None:  # after this paint has finished
                        mark("first_paint")
                        line = {
                            "event": "firstRowPainted",
                            "wall": time.time(),
                            "importedAtWall": _WALL0,
                            "marks": MARKS,
                        }
                        print(json.dumps(line), flush=True)
                        desk.request_quit()

                    QTimer.singleShot(0, report)
                return False

        self._paint_probe = Probe()
        self.window.table.viewport().installEventFilter(self._paint_probe)

    def _after_first_rows_painted(self) -> None:
        if self._start_up_over or self.quit_event.is_set():
            return
        self._start_up_over = True
        self._start_up_done.set()
        tune_gc()
        self._start_idle_gc()

    def _on_first_page(self, _n: int) -> None:
        if self.first_rows_at is not None:
            return
        self.first_rows_at = time.perf_counter()
        mark("first_page")
        if self.secrets._persistent is None:  # not needed to start: check it soon, off-thread
            self.scope.spawn(self._probe_keyring(delay=KEYRING_PROBE_DELAY_S), name="keyring.probe")
        log.info("first customers loaded %.3fs after start", self.first_rows_at - _T0)
        if self.self_test:
            self.scope.spawn(self._finish_self_test(), name="self-test")

    def _start_idle_gc(self) -> None:
        """Now and then, while the user is elsewhere (no active window of ours), let the GC
        policy run its full collection of long-lived objects (a pause nobody sees)."""
        from PySide6.QtCore import QTimer

        from desktop import gc_policy

        def tick() -> None:
            if self.qapp.activeWindow() is None:
                gc_policy.collect_when_idle()

        self._gc_timer = QTimer(self.window)
        self._gc_timer.setInterval(30_000)
        self._gc_timer.timeout.connect(tick)
        self._gc_timer.start()

    async def _finish_self_test(self) -> None:
        rows = self.window.model.rowCount()
        info = self.sandbox.info if self.sandbox else None
        self.window.repaint()
        print(
            json.dumps(
                {
                    "selfTest": "ok" if rows > 0 else "no customers",
                    "customers": rows,
                    "firstRowsSeconds": round(self.first_rows_at - _T0, 3),
                    "sandboxPid": info.pid if info else None,
                    "version": __version__,
                }
            ),
            flush=True,
        )
        self.exit_code = 0 if rows > 0 else 1
        self.request_quit()


# ---------------------------------------------------------------------------- run


def _install_signal_handlers(desk: DeskApp, qapp) -> None:
    from PySide6.QtCore import QTimer

    def on_signal(_signum, _frame) -> None:
        desk.request_quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, on_signal)
        except (ValueError, OSError):  # pragma: no cover
            pass
    # Let the interpreter run now and then so Python signal handlers fire during exec().
    timer = QTimer(qapp)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
    desk._signal_timer = timer


def _prestart_sandbox(paths: Paths, profile_name, sandbox_data, extra):
    """Start the embedded sandbox before Qt is imported (it starts in parallel); used when
    ``desktop.__main__`` did not already (the self-test, callers of ``run``)."""
    try:
        profile = resolve_profile(
            ProfileStore.load(paths.profiles_file), profile_name, sandbox_data
        )
    except ProfileError:
        return None
    if profile.kind is not ProfileKind.EMBEDDED:
        return None
    sb = EmbeddedSandbox(
        Path(profile.data_dir) if profile.data_dir else paths.sandbox_dir, demo=True, extra=extra
    )
    return sb, sb.start_in_background(prefetch=True)


def _import_before_qt() -> None:
    """Import the Qt-free modules the first screen needs before PySide6 is loaded.

    Once PySide6 is imported, its import hook reads the source of every module imported
    after it (looking for ``from __feature__``) and leaves it in ``linecache``: measured
    13 MB of source lines and CPU time for nothing. httpx's command-line client (click,
    rich, pygments) is never used by the app: its import is skipped.
    """
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    try:
        import httpx  # noqa: F401
    finally:
        if sys.modules.get("httpx._main", False) is None:
            del sys.modules["httpx._main"]
    # httpcore tries ``import trio`` (installed here for tests): the desk runs on asyncio
    # only, and trio with its dependencies is ~60 modules on the first request's path.
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    # What the first request imports (httpx imports httpcore lazily), before Qt rather
    # than on the first page's path: measured 137 modules imported after ``amain``.
    import anyio._backends._asyncio  # noqa: F401
    import httpcore
    import httpcore._backends.anyio  # noqa: F401

    import desktop.display
    import desktop.flows.explain
    import desktop.oms.accounts
    import desktop.oms.client
    import desktop.oms.feed  # the session's transaction feed (was imported after Qt)
    import desktop.oms.outbox
    import desktop.oms.tracker
    import desktop.receiver.desk  # noqa: F401


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(exc_type, exc, tb) -> None:
        log.error("unhandled exception", exc_info=(exc_type, exc, tb))
        previous(exc_type, exc, tb)

    sys.excepthook = hook


def run(args, prestarted: tuple[EmbeddedSandbox, Any] | None = None) -> int:
    """Start the GUI. ``args`` comes from ``desktop.__main__``'s parser; ``prestarted`` is
    the embedded sandbox it launched before importing us (start-up overlap), if any."""
    tmp = None
    if args.self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        tmp = tempfile.TemporaryDirectory(prefix="oms-desk-selftest-")
        os.environ["OMS_DESK_HOME"] = tmp.name
    os.environ.setdefault("QT_API", "pyside6")
    paths = default_paths().ensure()
    setup_logging(paths.log_file)
    log.info("OMS Desk %s starting (python %s)", __version__, sys.version.split()[0])

    _import_before_qt()
    import qasync  # imports PySide6

    sandbox_data = str(Path(tmp.name) / "sandbox") if args.self_test else args.sandbox_data
    if prestarted is None:
        prestarted = _prestart_sandbox(
            paths,
            None if args.self_test else args.profile,
            sandbox_data,
            tuple(getattr(args, "sandbox_args", ()) or ()),
        )
    else:
        log.info("embedded sandbox launched at start-up, before Qt")

    from PySide6.QtWidgets import QApplication  # Qt before qasync

    mark("qt_imported")

    from desktop.ui import theme

    qapp = QApplication.instance() or QApplication([sys.argv[0], *getattr(args, "qt_args", [])])
    qapp.setApplicationName("OMS Desk")
    qapp.setOrganizationName("OMS Desk")
    qapp.setApplicationVersion(__version__)
    qapp.setDesktopFileName("oms-desk")
    qapp.setWindowIcon(theme.app_icon())
    qapp.setQuitOnLastWindowClosed(False)
    from PySide6.QtCore import QSettings

    mode = str(
        QSettings(str(paths.qsettings_file), QSettings.Format.IniFormat).value("theme", "system")
    )
    theme.apply_theme(qapp, mode)

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    desk = DeskApp(
        qapp,
        paths,
        profile_name=None if args.self_test else args.profile,
        sandbox_data=sandbox_data,
        self_test=args.self_test,
        sandbox_extra=tuple(getattr(args, "sandbox_args", ()) or ()),
        prestarted=prestarted,
    )
    _install_signal_handlers(desk, qapp)
    _install_excepthook()
    code = 1
    try:
        with loop:
            try:
                code = loop.run_until_complete(desk.amain())
            except RuntimeError:
                # Qt left exec() before amain finished (e.g. the session ended): clean up.
                log.info("event loop stopped early; finishing shutdown")
                desk.request_quit()
                loop.run_until_complete(desk.shutdown())
                code = desk.exit_code
    finally:
        if desk.prestarted is not None:  # never adopted (e.g. quit during start-up)
            try:
                desk.prestarted[1].result(30)
            except Exception:
                pass
            desk.prestarted[0].stop_blocking()
        if desk.sandbox is not None:  # belt and braces: never leave an orphan child
            desk.sandbox.stop_blocking()
        if tmp is not None:
            tmp.cleanup()
    log.info("exit %s", code)
    return code
