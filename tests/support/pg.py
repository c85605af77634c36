"""A throwaway PostgreSQL cluster for tests (the OS package `postgresql`, >= 15).

initdb refuses to run as root, and CI runs as root: then the cluster runs as the `postgres`
user (runuser), in a temp dir it owns, with its socket in that dir and TCP on 127.0.0.1 only.
Durability is off (fsync, synchronous_commit): the tests check behaviour, not crash safety of
the disk. `new_database()` makes an empty database per sandbox.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field

import psycopg


def _bindir() -> str:
    try:
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if os.path.exists(os.path.join(out, "initdb")):
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    return os.path.dirname(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgCluster:
    root: str
    port: int
    user: str = "postgres"
    _names: itertools.count = field(default_factory=itertools.count)

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def dsn(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, prefix: str = "sbx") -> str:
        """A new empty database; returns its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.dsn(name)

    def stop(self) -> None:
        _run_pg([os.path.join(_bindir(), "pg_ctl"), "stop", "-D", self.data, "-m", "immediate"])
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def data(self) -> str:
        return os.path.join(self.root, "data")


def _as_postgres() -> bool:
    return os.geteuid() == 0


def _run_pg(cmd: list[str]) -> None:
    if _as_postgres():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def start_cluster(durable: bool = False) -> PgCluster:
    """initdb + pg_ctl start. `durable`: fsync and synchronous_commit on (benchmarks)."""
    root = tempfile.mkdtemp(prefix="oms-pg-")
    if _as_postgres():
        shutil.chown(root, "postgres", "postgres")
    os.chmod(root, 0o700)
    data = os.path.join(root, "data")
    port = _free_port()
    bindir = _bindir()
    _run_pg(
        [
            os.path.join(bindir, "initdb"),
            "-D",
            data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
    opts += " -c shared_buffers=64MB"
    if not durable:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run_pg(
        [
            os.path.join(bindir, "pg_ctl"),
            "start",
            "-D",
            data,
            "-w",
            "-t",
            "60",
            "-o",
            opts,
            "-l",
            os.path.join(root, "log"),
        ]
    )
    return PgCluster(root=root, port=port)


_shared: PgCluster | None = None


def shared_cluster() -> PgCluster:
    """One cluster per test process, started on first use, stopped at exit."""
    global _shared
    if _shared is None:
        import atexit

        _shared = start_cluster()
        atexit.register(_shared.stop)
    return _shared
