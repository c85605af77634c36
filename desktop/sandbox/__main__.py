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
    p.add_argument("--quote-ttl", type=float, default=30.0, help="quote lifetime, seconds")
    p.add_argument("--token-ttl", type=float, default=3600.0, help="token lifetime, seconds")
    p.add_argument("--clock", choices=("real", "manual"), default="real")
    p.add_argument(
        "--parent-pid", type=int, default=None, help="exit cleanly when this process is gone"
    )
    p.add_argument("--log-level", default="warning")
    return p.parse_args(argv)


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("oms-desk", appauthor=False)) / "sandbox"


class InstanceLock:
    """Exclusive lock on DIR/sandbox.lock; the holder's ready line lives in DIR/sandbox.ready."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "sandbox.lock"
        self.ready_path = data_dir / "sandbox.ready"
        self.fh = open(self.path, "a+")  # noqa: SIM115 - held for the process lifetime

    def acquire(self) -> bool:
        try:
            if os.name == "nt":
                import msvcrt

                self.fh.seek(0)
                msvcrt.locking(self.fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def other_ready_line(self, wait_s: float = 15.0) -> str | None:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                line = self.ready_path.read_text().strip()
                if line:
                    return line
            except OSError:
                pass
            time.sleep(0.05)
        return None

    def publish(self, line: str) -> None:
        tmp = self.ready_path.with_suffix(".tmp")
        tmp.write_text(line + "\n")
        os.replace(tmp, self.ready_path)

    def release(self) -> None:
        try:
            self.ready_path.unlink(missing_ok=True)
        finally:
            self.fh.close()


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
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = InstanceLock(data_dir)
    if not lock.acquire():
        line = lock.other_ready_line()
        if line:
            print(line, flush=True)
        else:
            print("another sandbox holds the lock but is not ready", file=sys.stderr)
        return EXIT_ALREADY_RUNNING

    from . import auth, settlement
    from .app import create_app
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
