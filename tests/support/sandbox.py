"""Start and stop a real sandbox process for tests (contract D20).

Tests talk to the sandbox only over HTTP, exactly as the app does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT_S = 30.0


@dataclass
class SandboxProcess:
    data_dir: Path
    base_url: str
    pid: int
    proc: subprocess.Popen
    api_key: str
    api_secret: str
    args: list[str] = field(default_factory=list)

    @property
    def root_url(self) -> str:
        """Base URL without the version segment, e.g. http://127.0.0.1:1234."""
        return self.base_url.rsplit("/", 1)[0]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        return self.proc.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def default_backend() -> str:
    """The sandboxes' backend when a test does not choose: env OMS_TEST_DATABASE
    (`sqlite`, the default, or `postgresql`: a throwaway cluster, one database per sandbox)."""
    backend = os.environ.get("OMS_TEST_DATABASE", "sqlite") or "sqlite"
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"OMS_TEST_DATABASE must be sqlite or postgresql, not {backend!r}")
    return backend


def start_sandbox(
    data_dir: Path, *extra: str, clock: str = "manual", backend: str | None = None
) -> SandboxProcess:
    """Launch `python -m desktop.sandbox` on a free port and wait for its ready line.

    backend "postgresql" adds `--database` with a new database on the tests' cluster."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    # One database per data dir, so a test that restarts its sandbox finds its data.
    marker = data_dir.parent / f".{data_dir.name}.database"
    if backend is None and marker.exists():
        backend = "postgresql"
    if (backend or default_backend()) == "postgresql" and "--database" not in extra:
        from tests.support.pg import shared_cluster

        if not marker.exists():
            marker.write_text(shared_cluster().new_database())
        extra = ("--database", marker.read_text(), *extra)
    args = [
        sys.executable,
        "-m",
        "desktop.sandbox",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--clock",
        clock,
        *extra,
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    line_box: list[str] = []

    def read_first_line() -> None:
        line_box.append(proc.stdout.readline())

    reader = threading.Thread(target=read_first_line, daemon=True)
    reader.start()
    reader.join(READY_TIMEOUT_S)
    if not line_box or not line_box[0].strip():
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"sandbox did not become ready: {err[-2000:]}")
    ready = json.loads(line_box[0])
    assert ready["event"] == "ready", ready
    # Drain the pipes so a chatty server never blocks on a full pipe.
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=stream.read, daemon=True).start()
    creds = json.loads((data_dir / "credentials.json").read_text())
    return SandboxProcess(
        data_dir=data_dir,
        base_url=ready["baseUrl"],
        pid=ready["pid"],
        proc=proc,
        api_key=creds["apiKey"],
        api_secret=creds["apiSecret"],
        args=args,
    )
