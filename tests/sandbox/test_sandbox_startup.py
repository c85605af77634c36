"""A lighter sandbox start (issue 15.2): no schema work on an existing database, the demo
module only while unseeded, and neither httpx nor trio nor pydantic.v1 in a started server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.request

import httpx

from desktop.sandbox import __main__ as sandbox_main
from desktop.sandbox import app, demo, store


def test_the_demo_marker_is_the_one_demo_sets():
    assert sandbox_main.DEMO_SEEDED_META == demo.SEEDED_META


def test_a_new_database_gets_the_schema_and_its_version_and_an_existing_one_keeps_it(tmp_path):
    path = str(tmp_path / "s.db")
    s = store.Store(path)
    s.close()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        db.execute("DROP INDEX idem_age")  # would come back if the script ran again
        db.commit()
    finally:
        db.close()
    store.Store(path).close()  # same version: the script is not run
    db = sqlite3.connect(path)
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "idem_age" not in names
        db.execute("PRAGMA user_version=1")  # an older schema: the script runs again
        db.commit()
    finally:
        db.close()
    store.Store(path).close()
    db = sqlite3.connect(path)
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "idem_age" in names
        assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    finally:
        db.close()


def _start_and_list_imports(data_dir, first_page: bool = True, **env: str) -> set[str]:
    """Start the sandbox with ``-X importtime``, send the desk's first requests (token,
    first customers page; or health instead of the page), stop it: the modules it imported."""
    log = data_dir.parent / f"{data_dir.name}-imports.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-X", "importtime", "-m", "desktop.sandbox", "--port", "0"),
                *("--data-dir", str(data_dir), "--demo"),
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1", **env),
        )
        try:
            ready = json.loads(proc.stdout.readline())
            base = ready["baseUrl"]
            creds = json.loads((data_dir / "credentials.json").read_text())
            body = json.dumps({"apiKey": creds["apiKey"], "apiSecret": creds["apiSecret"]})
            req = urllib.request.Request(
                f"{base}/auth/token", body.encode(), {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(req, timeout=30) as r:
                token = json.loads(r.read())["accessToken"]
            if first_page:
                req = urllib.request.Request(
                    f"{base}/customers?limit=100", headers={"Authorization": f"Bearer {token}"}
                )
                with urllib.request.urlopen(req, timeout=30) as r:
                    assert json.loads(r.read())["data"]
            else:
                with urllib.request.urlopen(f"{base}/sandbox/health", timeout=30) as r:
                    assert json.loads(r.read())["status"] == "ok"
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    names = set()
    for line in log.read_text().splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_a_start_imports_neither_httpx_trio_pydantic_v1_keccak_nor_demo_once_seeded(tmp_path):
    first = _start_and_list_imports(tmp_path / "sb")
    assert "desktop.sandbox.demo" in first  # a first run seeds the demo data
    again = _start_and_list_imports(tmp_path / "sb")
    assert "fastapi" in again and "desktop.sandbox.app" in again  # the listing works
    # (an import refused by a None in sys.modules is listed too: look for a submodule)
    for name in ("desktop.sandbox.demo", "httpx._client", "httpcore._api", "trio._core"):
        assert name not in again, name
    assert "pydantic.v1.main" not in again
    assert "Crypto.Hash.keccak" not in again  # loads cffi and pycparser: on first use


RAIL_MODULES = {f"desktop.sandbox.{name}" for name in app.RAILS}


def test_the_first_screen_is_served_before_the_other_rails_are_imported(tmp_path):
    """Issue 15: the token exchange and health need only the first screen's modules; the
    other rails are imported once the first customers page has been served."""
    _start_and_list_imports(tmp_path / "sb")  # the first run seeds (it uses the rails)
    # No first page and no timer (OMS_SANDBOX_MOUNT_AFTER): nothing asks for the rails.
    lean = _start_and_list_imports(tmp_path / "sb", first_page=False, OMS_SANDBOX_MOUNT_AFTER="60")
    assert {"desktop.sandbox.auth", "desktop.sandbox.customers"} <= lean
    assert not RAIL_MODULES & lean, RAIL_MODULES & lean
    assert "desktop.sandbox.webhook_delivery" not in lean
    # The first page served: the rest is imported right after it, with no timer and no other
    # request (read from -X importtime's lines as they come).
    proc = subprocess.Popen(
        [
            *(sys.executable, "-X", "importtime", "-m", "desktop.sandbox", "--port", "0"),
            *("--data-dir", str(tmp_path / "sb")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", OMS_SANDBOX_MOUNT_AFTER="60"),
    )
    missing = set(RAIL_MODULES)

    def read_imports() -> None:
        for line in proc.stderr:
            missing.discard(line.rsplit("|", 1)[-1].strip())
            if not missing:
                return

    try:
        base = json.loads(proc.stdout.readline())["baseUrl"]
        creds = json.loads((tmp_path / "sb" / "credentials.json").read_text())
        with httpx.Client(base_url=base, timeout=30) as http:
            token = http.post("/auth/token", json=creds).json()["accessToken"]
            reader = threading.Thread(target=read_imports, daemon=True)
            reader.start()
            page = http.get(
                "/customers", params={"limit": 100}, headers={"Authorization": f"Bearer {token}"}
            )
            assert page.status_code == 200
        reader.join(30)
        assert not missing, missing
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
