"""The embedded sandbox as a child process (contract D20).

``python -m desktop.sandbox --port 0 --data-dir DIR [--demo] --parent-pid PID``; a
frozen build re-runs its own executable with ``--run-sandbox``. The first stdout
line is the ready line; it is read with a timeout in a worker thread. If another
live instance owns DIR, the child prints that instance's ready line and exits 3:
we reuse that server and own no child; if that instance goes away (its desk quit), the
next probe starts our own on the same port. On stop we terminate our own child and wait.
DIR is private (0700) and the files we write there 0600, as the sandbox keeps its own.
No Qt in here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import concurrent.futures

# Light on purpose: ``desktop.__main__`` imports this module to launch the child before
# Qt and the UI are imported (start-up time); asyncio and the sandbox come when used.


class _Log:
    """This module's logger, ``logging`` imported at first use: ``desktop.__main__``
    imports this module before it launches the child, which does not need ``logging``
    (2.5 ms of imports before the child starts, measured)."""

    def __getattr__(self, name: str):
        import logging

        return getattr(logging.getLogger(__name__), name)


log = _Log()

READY_TIMEOUT_S = 30.0
EXIT_ALREADY_RUNNING = 3
#: The child cannot start (a module that failed to import, a database it cannot open):
#: ``desktop.sandbox.__main__.EXIT_START_FAILED`` (a test keeps them equal).
EXIT_START_FAILED = 4


class SandboxStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class SandboxInfo:
    base_url: str
    pid: int
    api_key: str
    api_secret: str
    owned: bool  # False when we reuse another app instance's sandbox

    def __repr__(self) -> str:
        return f"SandboxInfo(base_url={self.base_url!r}, pid={self.pid}, owned={self.owned})"


def sandbox_command(data_dir: Path, *, demo: bool = True, extra: tuple[str, ...] = ()) -> list[str]:
    flags = ["--port", "0", "--data-dir", str(data_dir)]
    if demo:
        flags.append("--demo")
    flags += [*extra, "--parent-pid", str(os.getpid())]
    if getattr(sys, "frozen", False):
        return [sys.executable, "--run-sandbox", *flags]
    return [sys.executable, "-m", "desktop.sandbox", *flags]


class EmbeddedSandbox:
    def __init__(
        self,
        data_dir: Path,
        *,
        demo: bool = True,
        extra: tuple[str, ...] = (),
        ready_timeout: float = READY_TIMEOUT_S,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.demo = demo
        self.extra = extra
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.info: SandboxInfo | None = None
        self._stderr_file = None
        #: the first requests, sent once the ready line came (``desktop.prefetch``)
        self.prefetched = None

    # ---- start -------------------------------------------------------------------

    async def start(self) -> SandboxInfo:
        import asyncio

        return await asyncio.to_thread(self.start_blocking)

    def start_blocking(self) -> SandboxInfo:
        self.launch()
        return self.wait_ready()

    def start_in_background(
        self, *, prefetch: bool = False
    ) -> concurrent.futures.Future[SandboxInfo]:
        """Launch the child now and wait for its ready line in a thread: the returned
        future holds the ``SandboxInfo`` or the ``SandboxStartError``. With ``prefetch``,
        that thread then sends the session's first requests (``desktop.prefetch``) and
        leaves them in ``self.prefetched`` (set before the future resolves)."""
        try:
            self.launch()
            error = None
        except BaseException as e:  # e.g. OSError: the interpreter could not be run
            error = e
        import concurrent.futures  # after the launch: it imports logging

        fut: concurrent.futures.Future[SandboxInfo] = concurrent.futures.Future()
        if error is not None:
            fut.set_exception(error)
            return fut
        if prefetch:
            # Imported here, in the calling thread, while the child starts: the worker
            # thread must not import anything while the main thread imports Qt and the UI.
            import encodings.idna  # noqa: F401 (socket.getaddrinfo's codec, used there)

            from desktop.prefetch import Prefetch

        def work() -> None:
            try:
                info = self.wait_ready()
            except BaseException as e:
                fut.set_exception(e)
                return
            pre = None
            if prefetch:
                pre = self.prefetched = Prefetch(info.base_url, info.api_key, info.api_secret)
            fut.set_result(info)
            if pre is not None:
                pre.run()

        threading.Thread(target=work, name="sandbox-ready", daemon=True).start()
        return fut

    def launch(self) -> subprocess.Popen[str]:
        """Start the child process; does not wait for it."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name != "nt":
            os.chmod(self.data_dir, 0o700)
        cmd = sandbox_command(self.data_dir, demo=self.demo, extra=self.extra)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # The child's diagnostics go to a file next to its data, never to a pipe we
        # might stop reading (a full pipe would block the server).
        log_path = self.data_dir / "sandbox-stderr.log"
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name != "nt":
            os.chmod(log_path, 0o600)
        self._stderr_file = os.fdopen(fd, "ab")
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            text=True,
            env=env,
        )
        self.proc = proc
        log.info("started embedded sandbox (pid %s): %s", proc.pid, " ".join(cmd[1:]))
        return proc

    def wait_ready(self) -> SandboxInfo:
        """Read the child's ready line (with a timeout); reuse another live instance (exit 3)."""
        proc = self.proc
        if proc is None:
            raise SandboxStartError("the embedded sandbox was not launched")
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.ready_timeout)
        line = box[0].strip() if box else ""
        if not line:
            code = proc.poll()
            self._kill()
            raise SandboxStartError(
                f"the embedded sandbox did not start (exit code {code}); "
                f"see {self.data_dir / 'sandbox-stderr.log'}"
            )
        try:
            ready = json.loads(line)
            if ready.get("event") != "ready":
                raise ValueError(line)
        except ValueError as e:
            self._kill()
            raise SandboxStartError(f"unexpected first line from the sandbox: {line[:200]}") from e
        owned = int(ready.get("pid", -1)) == proc.pid
        if not owned:
            try:
                code = proc.wait(10)
            except subprocess.TimeoutExpired:
                self._kill()
                code = None
            log.info(
                "another instance runs the sandbox (exit %s): reusing %s", code, ready["baseUrl"]
            )
            self.proc = None
        else:
            threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
        creds = json.loads((self.data_dir / "credentials.json").read_text(encoding="utf-8"))
        self.info = SandboxInfo(
            base_url=ready["baseUrl"],
            pid=int(ready["pid"]),
            api_key=creds["apiKey"],
            api_secret=creds["apiSecret"],
            owned=owned,
        )
        log.info("embedded sandbox ready: %r", self.info)
        return self.info

    async def restart_if_dead(self) -> bool:
        """Our own child died (crash, killed), or the instance we adopted from another desk is
        gone (that desk quit): start our own on the same port, so the base URL and every
        client stay valid. Returns True when it was (re)started."""
        if self.info is None:
            return False
        if self.info.owned:
            if self.running:
                return False
            code = self.proc.poll() if self.proc else None
            if code == EXIT_START_FAILED:
                # It said why it cannot start (a rail of a broken install fails to import
                # just after the ready line): starting it again would fail the same way.
                raise SandboxStartError(f"the embedded sandbox stopped: {self._said_why()}")
            why = f"embedded sandbox exited (code {code})"
        else:
            from desktop.sandbox.__main__ import pid_alive

            if pid_alive(self.info.pid):
                return False
            why = f"the adopted sandbox (pid {self.info.pid}) is gone"
        port = self.info.base_url.rsplit(":", 1)[1].split("/", 1)[0]
        log.warning("%s: starting our own on port %s", why, port)
        extra = self.extra
        self.extra = (*extra, "--port", port)
        try:
            self.stop_blocking(1.0)
            await self.start()
        finally:
            self.extra = extra
        return True

    def _said_why(self) -> str:
        """The child's last ``oms-sandbox:`` line in its stderr log, else where to look."""
        log_path = self.data_dir / "sandbox-stderr.log"
        try:
            with open(log_path, "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
                tail = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            tail = []
        said = [ln.strip() for ln in tail if ln.startswith("oms-sandbox:")]
        return said[-1].removeprefix("oms-sandbox:").strip() if said else f"see {log_path}"

    # ---- stop --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def stop(self, timeout: float = 10.0) -> int | None:
        import asyncio

        return await asyncio.to_thread(self.stop_blocking, timeout)

    def stop_blocking(self, timeout: float = 10.0) -> int | None:
        proc = self.proc
        code = None
        if proc is not None:
            if proc.poll() is None:
                try:
                    if os.name == "nt":
                        proc.terminate()
                    else:
                        proc.send_signal(signal.SIGTERM)
                except OSError:
                    pass
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    log.warning("sandbox did not stop in %.0fs; killing it", timeout)
                    proc.kill()
                    proc.wait(5)
            code = proc.returncode
            log.info("embedded sandbox stopped (exit %s)", code)
            if proc.stdout:
                try:
                    proc.stdout.close()
                except OSError:
                    pass
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None
        self.proc = None
        return code

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None


def _drain(stream) -> None:
    try:
        for _ in stream:
            pass
    except (OSError, ValueError):
        pass
