"""`python -m desktop.sandbox` / `oms-sandbox`: the embedded OMS sandbox server (D20)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    return p.parse_args(argv)


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
    if ready.get("event") != "ready" or not base_url.startswith("http://") or not pid_alive(pid):
        return False
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    data_dir: Path = (args.data_dir or default_data_dir()).resolve()
    if os.name != "nt":
        os.umask(0o077)  # every file this process creates (SQLite's WAL and SHM too): 0600
    make_private(data_dir)
    lock = InstanceLock(data_dir)
    if not lock.acquire():
        line = lock.other_ready_line()
        if line:
            print(line, flush=True)
        else:
            print("another sandbox holds the lock but is not ready", file=sys.stderr)
        return EXIT_ALREADY_RUNNING

    try:  # every router is imported here (app.ROUTERS): a broken one stops the start
        from . import auth, settlement
        from .app import create_app
    except Exception as e:  # reported, then the process exits non-zero
        logging.getLogger("desktop.sandbox").debug("import failed", exc_info=True)
        print(
            f"oms-sandbox: cannot start: a sandbox module failed to import:"
            f" {type(e).__name__}: {e}",
            file=sys.stderr,
            flush=True,
        )
        lock.release()
        return EXIT_START_FAILED
    from .clock import SandboxClock
    from .runtime import RT
    from .store import Store

    store = Store(str(data_dir / "sandbox.db"))
    RT.store = store
    RT.clock = SandboxClock(store, args.clock)
    RT.quote_ttl_s = args.quote_ttl
    RT.token_ttl_s = args.token_ttl
    RT.data_dir = str(data_dir)
    app = create_app()  # imports every resource module (job handlers register here)
    RT.default_account = auth.ensure_default_account(store, data_dir, RT.now_ms())
    auth.drop_plaintext_tokens(store)
    with store.tx() as tx:  # idempotency records are kept 24 h of real time (D3)
        tx.execute(
            "DELETE FROM idem WHERE created_real_ms < ?",
            (time.time_ns() // 1_000_000 - 24 * 3600 * 1000,),
        )
    bad = store.check_ledger()
    if bad:
        logging.getLogger("desktop.sandbox").error("ledger mismatch for wallets %s", bad)
    if args.demo or args.demo_customers:
        from . import demo

        if args.demo:
            demo.seed_if_empty(store, RT.default_account, RT.now_ms())
        if args.demo_customers:
            demo.bulk_customers(store, RT.default_account, args.demo_customers, RT.now_ms())
    settlement.run_due(store, RT.now_ms())

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP; without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if os.name != "nt":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)
    sock.setblocking(False)
    port = sock.getsockname()[1]
    host_for_url = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    ready = json.dumps(
        {"event": "ready", "baseUrl": f"http://{host_for_url}:{port}/v0.9", "pid": os.getpid()},
        separators=(",", ":"),
    )
    profile_path = os.environ.get("OMS_SANDBOX_PROFILE")  # developer aid: cProfile the server
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        asyncio.run(_serve(app, sock, args, ready, lock))
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_path)
        store.close()
        lock.release()
    return 0


async def _serve(app, sock, args, ready_line: str, lock: InstanceLock) -> None:
    import uvicorn

    from . import settlement
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
    )
    server = uvicorn.Server(config)
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
                n = settlement.run_due(RT.store, RT.now_ms(), max_jobs=50)
            except Exception:
                logging.getLogger("desktop.sandbox").exception("settlement loop")
                n = 0
            await asyncio.sleep(0 if n >= 50 else 0.1)

    tasks = [asyncio.create_task(announce())]
    if args.parent_pid:
        tasks.append(asyncio.create_task(watch_parent()))
    if args.clock == "real":
        tasks.append(asyncio.create_task(settle_loop()))
    try:
        await server.serve(sockets=[sock])
    finally:
        for t in tasks:
            t.cancel()


if __name__ == "__main__":
    sys.exit(main())
