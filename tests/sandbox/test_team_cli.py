"""Team sandbox launch and admin (D24): flag checks, `accounts create`, hashed secrets,
concurrent migrations, rate limits (D2 429), TLS. PostgreSQL is a real throwaway cluster."""

from __future__ import annotations

import hashlib
import json
import ssl
import subprocess
import sys
import threading

import httpx
import psycopg
import pytest

from desktop.sandbox import pg_migrations
from desktop.sandbox.pgstore import PgStore
from tests.support.api import Api, assert_error
from tests.support.pg import shared_cluster
from tests.support.sandbox import start_sandbox


def _sandbox(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop.sandbox", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "--allow-remote"),
        (["--workers", "2"], "needs --database"),
        (["--database", "mysql://x/y"], "postgresql://"),
        (["--tls-cert", "c.pem"], "go together"),
    ],
)
def test_unsafe_or_impossible_flags_are_refused_before_anything_starts(tmp_path, args, message):
    r = _sandbox("--data-dir", str(tmp_path / "d"), *args)
    assert r.returncode == 2 and message in r.stderr
    assert not (tmp_path / "d").exists()  # refused before touching DIR


def test_accounts_create_prints_the_secret_once_and_stores_its_hash(tmp_path):
    dsn = shared_cluster().new_database()
    r = _sandbox("accounts", "create", "--name", "Team-A", "--database", dsn)
    assert r.returncode == 0, r.stderr
    creds = json.loads(r.stdout)
    assert creds["name"] == "Team-A" and creds["apiKey"].startswith("sk_sdbx_")
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT name, secret_hash FROM accounts WHERE api_key=%s", (creds["apiKey"],)
        ).fetchone()
        dump = " ".join(str(v) for r_ in conn.execute("SELECT * FROM accounts") for v in r_)
    assert row[0] == "Team-A"
    assert row[1] == hashlib.sha256(creds["apiSecret"].encode()).hexdigest()
    assert creds["apiSecret"] not in dump
    listing = _sandbox("accounts", "list", "--database", dsn)
    assert "Team-A" in listing.stdout and creds["apiSecret"] not in listing.stdout
    # The team's key works on a sandbox started on that database.
    sb = start_sandbox(tmp_path / "sb", "--database", dsn)
    try:
        team = Api(sb.base_url, creds["apiKey"], creds["apiSecret"])
        assert team.ok(team.get("/customers"))["data"] == []
        team.close()
    finally:
        sb.stop()


def test_concurrent_first_starts_migrate_once():
    dsn = shared_cluster().new_database()
    stores: list[PgStore] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        try:
            barrier.wait(30)
            stores.append(PgStore(dsn))
        except BaseException as e:  # recorded, asserted below
            errors.append(e)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(stores) == 4
    rows = stores[0].all("SELECT version FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [v for v, _ in pg_migrations.MIGRATIONS]
    for s in stores:
        s.close()


def test_rate_limit_per_token_is_429_with_retry_after(tmp_path):
    sb = start_sandbox(tmp_path / "rl", "--rate-limit", "1")
    try:
        api = Api.of(sb)
        answers = [api.get("/customers") for _ in range(4)]  # a burst of 2, then refused
        codes = [r.status_code for r in answers]
        assert codes[:2] == [200, 200] and 429 in codes[2:]
        refused = next(r for r in answers if r.status_code == 429)
        assert_error(refused, 429, "rate_limited", None)
        assert int(refused.headers["retry-after"]) >= 1
        assert api.get("/sandbox/health").status_code == 200  # no token, not limited
        api.close()
    finally:
        sb.stop()


def test_tls_option_serves_https(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    make += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        [*make, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    sb = start_sandbox(tmp_path / "tls", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert sb.base_url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=sb.base_url, verify=trust) as h:
            assert h.get("/sandbox/health").json()["status"] == "ok"
        plain = httpx.Client(base_url=sb.base_url.replace("https", "http"))
        with plain, pytest.raises(httpx.HTTPError):
            plain.get("/sandbox/health")
    finally:
        sb.stop()
