"""`python -m desktop.sandbox` / `oms-sandbox`: the embedded OMS sandbox server (D20)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

EXIT_ALREADY_RUNNING = 3
EXIT_START_FAILED = 4
# The rails other than the first screen's are mounted once it is served, or this long after
# the server starts (env OMS_SANDBOX_MOUNT_AFTER, seconds: tests), whichever comes first.
MOUNT_RAILS_AFTER_S = 0.5
DEMO_SEEDED_META = "demo_seeded"  # demo.SEEDED_META (a test keeps them equal)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and value < 10**9):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="oms-sandbox", description="Offline OMS-compatible sandbox")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--demo", action="store_true", help="seed demo data into an empty database")
    p.add_argument(
        "--demo-customers",
        type=int,
        default=0,
        metavar="N",
        help="add N plain customers in bulk (benchmarks)",
    )
    p.add_argument(
        "--quote-ttl", type=_positive, default=30.0, help="quote lifetime, seconds (> 0)"
    )
    p.add_argument(
        "--token-ttl", type=_positive, default=3600.0, help="token lifetime, seconds (> 0)"
    )
    p.add_argument("--clock", choices=("real", "manual"), default="real")
    p.add_argument(
        "--parent-pid", type=int, default=None, help="exit cleanly when this process is gone"
    )
    p.add_argument("--log-level", default="warning")
    # D24 team mode.
    p.add_argument(
        "--database",
        default=os.environ.get("OMS_SANDBOX_DATABASE") or None,
        metavar="URL",
        help="postgresql://… (or env OMS_SANDBOX_DATABASE); default: SQLite in DIR",
    )
    p.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes (PostgreSQL only)"
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --host other than loopback (then use --tls-cert/--tls-key or a proxy)",
    )
    p.add_argument("--tls-cert", type=Path, default=None, help="serve https with this cert")
    p.add_argument("--tls-key", type=Path, default=None, help="… and this private key")
    p.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="R",
        help="requests per second per bearer token and worker (429 beyond; default: none,"
        " 50 with --allow-remote)",
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.database and not args.database.startswith(("postgresql://", "postgres://")):
        p.error("--database must be a postgresql:// URL")
    if not 1 <= args.workers <= 64:
        p.error("--workers must be between 1 and 64")
    if args.workers > 1 and not args.database:
        p.error("--workers N > 1 needs --database postgresql://… (SQLite is one process)")
    if args.workers > 1 and not hasattr(socket, "SO_REUSEPORT"):
        p.error("--workers N > 1 needs SO_REUSEPORT (Linux, macOS); run one worker per port")
    from desktop.rules import is_loopback_host

    if not is_loopback_host(args.host) and not args.allow_remote:
        p.error(f"--host {args.host} is not loopback: add --allow-remote to expose the sandbox")
    if (args.tls_cert is None) != (args.tls_key is None):
        p.error("--tls-cert and --tls-key go together")
    if args.rate_limit is None and args.allow_remote:  # exposed to a team: protect it
        args.rate_limit = 50.0
    return args


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("oms-desk", appauthor=False)) / "sandbox"


# The files of a data dir, private to this user (the database holds token hashes and full
# bank account numbers; credentials.json the API secret): the dir 0700, these 0600, whatever
# --data-dir is and whatever modes they had before.
PRIVATE_FILES = (
    "sandbox.db",
    "sandbox.db-wal",
    "sandbox.db-shm",
    "sandbox.db-journal",
    "credentials.json",
    "credentials.json.tmp",
    "sandbox.ready",
    "sandbox.ready.tmp",
    "sandbox.lock",
)


def make_private(data_dir: Path) -> None:
    """Create `data_dir` if needed; make it 0700 and the sandbox's files in it 0600."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "nt":  # POSIX modes do not apply; the profile directory is per user
        return
    os.chmod(data_dir, 0o700)
    names = set(PRIVATE_FILES) | {p.name for p in data_dir.glob("*.log*")}
    for name in names:
        path = data_dir / name
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o600)


class InstanceLock:
    """Exclusive lock on DIR/sandbox.lock. Only the holder writes DIR/sandbox.ready, and removes
    it when it exits; a line left by a killed holder is recognised as stale by its pid and port,
    never printed."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "sandbox.lock"
        self.ready_path = data_dir / "sandbox.ready"
        self.fh = open(self.path, "a+")  # noqa: SIM115 - held for the process lifetime
        self.held = False

    def acquire(self) -> bool:
        try:
            if os.name == "nt":
                import msvcrt

                self.fh.seek(0)
                msvcrt.locking(self.fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        self.held = True
        # Whatever line is there was left by a holder that did not exit cleanly.
        self.ready_path.unlink(missing_ok=True)
        return True

    def other_ready_line(self, wait_s: float | None = None) -> str | None:
        """The lock holder's ready line once it is live (its pid runs and its port answers),
        waiting up to `wait_s` for one; None if none turns up."""
        if wait_s is None:
            wait_s = float(os.environ.get("OMS_SANDBOX_READY_WAIT", "15"))
        deadline = time.monotonic() + wait_s
        warned = None
        while time.monotonic() < deadline:
            try:
                line = self.ready_path.read_text().strip()
            except OSError:
                line = ""
            if line:
                if ready_line_live(line):
                    return line
                if warned != line:
                    warned = line
                    print(
                        "oms-sandbox: sandbox.ready is stale (its process is gone or its port"
                        " does not answer); waiting for the lock holder",
                        file=sys.stderr,
                        flush=True,
                    )
            time.sleep(0.05)
        return None

    def publish(self, line: str) -> None:
        if not self.held:
            raise RuntimeError("only the lock holder publishes the ready line")
        tmp = self.ready_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(line + "\n")
        os.replace(tmp, self.ready_path)

    def release(self) -> None:
        try:
            if self.held:
                self.ready_path.unlink(missing_ok=True)
        finally:
            self.held = False
            self.fh.close()


def ready_line_live(line: str, timeout: float = 1.0) -> bool:
    """True if a ready line names a running process whose sandbox answers /sandbox/health."""
    import urllib.request

    try:
        ready = json.loads(line)
        pid, base_url = int(ready["pid"]), str(ready["baseUrl"])
    except (ValueError, KeyError, TypeError):
        return False
    if (
        ready.get("event") != "ready"
        or not base_url.startswith(("http://", "https://"))
        or not pid_alive(pid)
    ):
        return False
    handlers: list = [urllib.request.ProxyHandler({})]  # loopback: no proxy
    if base_url.startswith("https://"):  # our own holder's port: liveness, not identity
        import ssl

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        handlers.append(urllib.request.HTTPSHandler(context=ctx))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(f"{base_url}/sandbox/health", timeout=timeout) as r:
            return r.status == 200
    except (OSError, ValueError):
        return False


def pid_alive(pid: int) -> bool:
    if os.name == "nt":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))  # type: ignore[attr-defined]
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lean_imports() -> None:
    """Keep out of the server process what it never uses (start-up time and memory, issue 15):

    - trio: httpcore (the webhook sender's, imported on the first delivery) tries
      ``import trio``; the server runs on asyncio (trio and its dependencies: ~60 modules);
    - pydantic.v1: FastAPI imports it only to ask whether a route's model is a v1 one (ours
      are all v2): ~0.1 s and several MB measured.

    httpx itself (with httpcore and a TLS context) is imported by the webhook worker when a
    delivery is first due (``webhook_delivery._httpx``), not at start.
    """
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    # No cyclic GC while importing and building the app: that allocates long-lived objects
    # only, and each pass would walk them all (a full one, ~20 ms, used to land on the first
    # customers page). _gc_after_build() freezes them (never walked again) and turns the
    # collector back on; _serve does the same with what the rest of the start made (issue 15).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        (gc.enable if enabled else gc.disable)()


def _gc_after_build() -> None:
    gc.freeze()
    gc.enable()


def _main(argv: list[str] | None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    if raw[:1] == ["accounts"]:
        from .admin import accounts_main

        return accounts_main(raw[1:])
    args = parse_args(raw)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    data_dir: Path = (args.data_dir or default_data_dir()).resolve()
    if os.name != "nt":
        os.umask(0o077)  # every file this process creates (SQLite's WAL and SHM too): 0600
    if args.worker:  # one of a supervisor's workers: the supervisor owns DIR
        return _worker_main(args, data_dir)
    make_private(data_dir)
    lock = InstanceLock(data_dir)
    if not lock.acquire():
        line = lock.other_ready_line()
        if line:
            print(line, flush=True)
        else:
            print("another sandbox holds the lock but is not ready", file=sys.stderr)
        return EXIT_ALREADY_RUNNING

    try:  # the first screen's modules; the other rails are imported once it is served
        _lean_imports()
        from . import auth, settlement  # noqa: F401
        from .app import RailImportError, create_app
    except Exception as e:  # reported, then the process exits non-zero
        _import_failed(e)
        lock.release()
        return EXIT_START_FAILED
    try:
        store = _open_store(args, data_dir, migrate=True)
    except Exception as e:
        print(f"oms-sandbox: cannot open the database: {e}", file=sys.stderr, flush=True)
        lock.release()
        return EXIT_START_FAILED
    try:
        app = _runtime(args, data_dir, store, create_app)
        _gc_after_build()  # demo seeding and the rest run with the collector on
        _first_start(args, store, app)
    except RailImportError as e:  # rails mounted before the ready line (team mode, demo, jobs)
        _import_failed(e.__cause__ or e)
        store.close()
        lock.release()
        return EXIT_START_FAILED
    if args.workers > 1:
        store.close()
        try:
            return _supervise(args, data_dir, lock)
        finally:
            lock.release()

    sock = _listen(args.host, args.port, reuse_port=False)
    ready = _ready_line(args, sock.getsockname()[1], os.getpid())
    profile_path = os.environ.get("OMS_SANDBOX_PROFILE")  # developer aid: cProfile the server
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        return asyncio.run(_serve(app, sock, args, ready, lock))
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_path)
        store.close()
        lock.release()


def _import_failed(e: BaseException) -> None:
    logging.getLogger("desktop.sandbox").debug("import failed", exc_info=e)
    print(
        f"oms-sandbox: cannot start: a sandbox module failed to import: {type(e).__name__}: {e}",
        file=sys.stderr,
        flush=True,
    )


def _open_store(args, data_dir: Path, migrate: bool):
    if args.database:
        from .pgstore import PgStore

        return PgStore(args.database, migrate=migrate)
    from .store import Store

    return Store(str(data_dir / "sandbox.db"))


def _runtime(args, data_dir: Path, store, create_app):
    """Fill RT (store, clock, settings) and build the app (runs the rails' start-up steps)."""
    from . import auth
    from .clock import SandboxClock
    from .runtime import RT

    RT.store = store
    if args.database:
        from .pgstore import PgClock

        RT.clock = PgClock(store, args.clock)
    else:
        RT.clock = SandboxClock(store, args.clock)
    RT.quote_ttl_s = args.quote_ttl
    RT.token_ttl_s = args.token_ttl
    RT.data_dir = str(data_dir)
    RT.workers = args.workers
    RT.rate_limit = args.rate_limit
    # Team mode mounts every rail now; the embedded sandbox only the first screen's (the others
    # once it is served: __main__._serve).
    app = create_app(lazy=not args.database)
    RT.default_account = auth.ensure_default_account(store, data_dir, RT.now_ms())
    return app


def _first_start(args, store, app) -> None:
    """What the process that owns DIR does once per start (never a supervisor's workers)."""
    from . import auth, settlement
    from .runtime import RT

    auth.drop_plaintext_tokens(store)
    with store.tx() as tx:  # idempotency records are kept 24 h of real time (D3)
        tx.execute(
            "DELETE FROM idem WHERE created_real_ms < ?",
            (time.time_ns() // 1_000_000 - 24 * 3600 * 1000,),
        )
    bad = store.check_ledger()
    if bad:
        logging.getLogger("desktop.sandbox").error("ledger mismatch for wallets %s", bad)
    # The demo module is imported only while the database has not been seeded (first run).
    if args.demo_customers or (args.demo and store.get_meta(DEMO_SEEDED_META) is None):
        app.mount_rails()  # seeding uses the rails (and emits events: the webhook hook is on)
        from . import demo

        if args.demo:
            demo.seed_if_empty(store, RT.default_account, RT.now_ms())
        if args.demo_customers:
            demo.bulk_customers(store, RT.default_account, args.demo_customers, RT.now_ms())
    settlement.run_due(store, RT.now_ms())  # mounts the rails first if a job is due


def _listen(host: str, port: int, reuse_port: bool, listen: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP; without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if os.name != "nt":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # every worker listens on the one port; the kernel spreads connections
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
        sock.setblocking(False)
    return sock


def _ready_line(args, port: int, pid: int) -> str:
    """The D20 ready line; a non-loopback bind also says on stderr which URL desks use."""
    from desktop.rules import is_loopback_host

    scheme = "https" if args.tls_cert else "http"
    host = args.host
    # Listening everywhere: this machine answers on loopback.
    local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    fmt = f"[{local}]" if ":" in local else local
    if not is_loopback_host(host):
        public = socket.getfqdn() if host in ("0.0.0.0", "::") else host
        public = f"[{public}]" if ":" in public else public
        print(
            f"oms-sandbox: listening on {host}:{port}; desks use"
            f" {scheme}://{public}:{port}/v0.9"
            + ("" if args.tls_cert else " (plain http: trusted LAN only, or put TLS in front)"),
            file=sys.stderr,
            flush=True,
        )
    return json.dumps(
        {"event": "ready", "baseUrl": f"{scheme}://{fmt}:{port}/v0.9", "pid": pid},
        separators=(",", ":"),
    )


def _worker_main(args, data_dir: Path) -> int:
    """A worker of `--workers N`: serve the shared database on the one port (SO_REUSEPORT);
    its first stdout line tells the supervisor it listens."""
    _lean_imports()
    from .app import create_app

    store = _open_store(args, data_dir, migrate=False)
    app = _runtime(args, data_dir, store, create_app)
    _gc_after_build()
    sock = _listen(args.host, args.port, reuse_port=True)
    line = json.dumps({"event": "worker", "pid": os.getpid()}, separators=(",", ":"))
    try:
        return asyncio.run(_serve(app, sock, args, line, None))
    finally:
        store.close()


def _supervise(args, data_dir: Path, lock: InstanceLock) -> int:
    """`--workers N`: start N workers on one port, print the ready line once all listen,
    restart a worker that dies, stop them all on SIGTERM/SIGINT or when --parent-pid is gone."""
    import subprocess
    import threading

    holder = _listen(args.host, args.port, reuse_port=True, listen=False)  # picks the port
    port = holder.getsockname()[1]
    cmd = [sys.executable, "-m", "desktop.sandbox", "--worker", "--port", str(port)]
    cmd += ["--host", args.host, "--data-dir", str(data_dir), "--clock", args.clock]
    cmd += ["--quote-ttl", repr(args.quote_ttl), "--token-ttl", repr(args.token_ttl)]
    cmd += ["--workers", str(args.workers), "--log-level", args.log_level]
    cmd += ["--parent-pid", str(os.getpid())]
    if args.allow_remote:
        cmd.append("--allow-remote")
    if args.rate_limit is not None:
        cmd += ["--rate-limit", repr(args.rate_limit)]
    if args.tls_cert:
        cmd += ["--tls-cert", str(args.tls_cert), "--tls-key", str(args.tls_key)]
    env = dict(os.environ, OMS_SANDBOX_DATABASE=args.database)  # not on a command line
    stop = threading.Event()
    listening = threading.Semaphore(0)

    def spawn() -> subprocess.Popen:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)

        def relay() -> None:  # the first line says it listens; the rest is ignored
            first = proc.stdout.readline()
            if first.strip():
                listening.release()
            proc.stdout.read()

        threading.Thread(target=relay, daemon=True).start()
        return proc

    def on_signal(*_a) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    workers = [spawn() for _ in range(args.workers)]
    try:
        deadline = time.monotonic() + 60
        for _ in workers:
            while not listening.acquire(timeout=0.1):
                if (
                    stop.is_set()
                    or time.monotonic() > deadline
                    or any(w.poll() is not None for w in workers)
                ):
                    print("oms-sandbox: a worker did not start", file=sys.stderr, flush=True)
                    return EXIT_START_FAILED
        ready = _ready_line(args, port, os.getpid())
        lock.publish(ready)
        print(ready, flush=True)
        while not stop.wait(0.2):
            if args.parent_pid and not pid_alive(args.parent_pid):
                break
            for i, w in enumerate(workers):
                if w.poll() is not None and not stop.is_set():
                    logging.getLogger("desktop.sandbox").warning(
                        "worker %s exited (%s); starting another", w.pid, w.returncode
                    )
                    workers[i] = spawn()
        return 0
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            try:
                w.wait(15)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        holder.close()


async def _serve(app, sock, args, ready_line: str, lock: InstanceLock | None) -> int:
    """Serve until stopped; the exit code (EXIT_START_FAILED if a rail failed to import)."""
    import uvicorn

    from . import settlement
    from .app import RailImportError
    from .runtime import RT

    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=False,
        date_header=False,
        server_header=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        timeout_keep_alive=30,
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
    )
    server = uvicorn.Server(config)
    _gc_after_build()  # uvicorn and the rest of the start: out of the collector's walks
    RT.store.loop = asyncio.get_running_loop()  # from now on: group commit on this loop
    # Our own signal handling: SIGTERM/SIGINT end the server gracefully and the process exits 0.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]

    def stop(*_args) -> None:
        server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError):  # Windows
            signal.signal(sig, stop)

    async def announce():
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.005)
        if lock is not None:
            lock.publish(ready_line)
        print(ready_line, flush=True)

    async def watch_parent():
        while not server.should_exit:
            if not pid_alive(args.parent_pid):
                logging.getLogger("desktop.sandbox").info(
                    "parent %s gone; exiting", args.parent_pid
                )
                server.should_exit = True
                return
            await asyncio.sleep(0.5)

    async def settle_loop():
        # Real clock: apply due settlement steps a few times a second, in small batches so
        # requests are never held up for long.
        while not server.should_exit:
            try:
                RT.clock.refresh()
                now = RT.now_ms()
                due = settlement.next_due_ms(RT.store)  # a read: no write lock when idle
                n = 0
                if due is not None and due <= now:
                    n = settlement.run_due(RT.store, now, max_jobs=50)
            except Exception:
                logging.getLogger("desktop.sandbox").exception("settlement loop")
                n = 0
            await asyncio.sleep(0 if n >= 50 else 0.1)

    exit_code = 0

    async def mount_rails():
        # The rails the first screen does not use: once it is served (the desk's first page has
        # gone out) or soon after the start, whichever comes first; any other request mounts
        # them at once (app.SandboxMiddleware). Their start-up steps run then (the webhook
        # worker delivers what was pending). A rail that cannot be imported ends the process
        # as a failed start would (exit 4), with the same message.
        nonlocal exit_code
        with contextlib.suppress(TimeoutError):
            after = float(os.environ.get("OMS_SANDBOX_MOUNT_AFTER", MOUNT_RAILS_AFTER_S))
            await asyncio.wait_for(app.first_screen_served.wait(), after)
        await asyncio.sleep(0)  # the first page's response goes out first
        try:
            app.mount_rails()
        except RailImportError as e:
            _import_failed(e.__cause__ or e)
            exit_code = EXIT_START_FAILED
            server.should_exit = True

    tasks = [asyncio.create_task(announce())]
    if not app.rails_mounted:
        tasks.append(asyncio.create_task(mount_rails()))
    if args.parent_pid:
        tasks.append(asyncio.create_task(watch_parent()))
    if args.clock == "real":
        tasks.append(asyncio.create_task(settle_loop()))
    try:
        await server.serve(sockets=[sock])
    finally:
        for t in tasks:
            t.cancel()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
