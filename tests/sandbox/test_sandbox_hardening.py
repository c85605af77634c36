"""Hostile and clumsy input, and the sandbox's own files (issue 13, points 6, 7, 9, 10; issue
12's explicit routers): every bad body gets D1's error and changes nothing, the data dir is
private whatever it was, tokens are never on disk, and launch never hands out a dead server."""

from __future__ import annotations

import json
import os
import select
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from desktop.sandbox.app import MAX_BODY_BYTES, MAX_JSON_ENTRIES, MAX_STRING_CHARS
from tests.support.api import EXT_ADDR, Api, assert_error
from tests.support.identity import IDENTITY
from tests.support.sandbox import start_sandbox


@pytest.fixture(scope="module")
def world(sandbox):
    api = Api.on_new_account(sandbox)
    c, w = api.funded("100.00")
    yield api, c, w
    api.close()


def _count(api: Api, path: str) -> int:
    return len(api.all_pages(path))


def _raw_request(base_url: str, head: str, body_chunks, read_after_each=True):
    """Send a request over a plain socket, stopping as soon as the server answers.
    Returns (the start of the response, body bytes sent)."""
    url = urlparse(base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    try:
        sock.sendall(head.encode())
        sent = 0
        for chunk in body_chunks:
            if read_after_each:  # a bounded look for the answer between chunks
                readable, _, _ = select.select([sock], [], [], 0.05)
                if readable:
                    break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        data = b""
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                if len(body) >= length:
                    return data, sent
            part = sock.recv(65536)
            if not part:
                return data, sent
            data += part
    finally:
        sock.close()


def _status_and_body(response: bytes) -> tuple[int, dict]:
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip() else {}


# -- 6: body size and field lengths ---------------------------------------------------------------
def test_declared_huge_body_is_413_before_it_is_read(sandbox, world):
    api, _c, _w = world
    before = _count(api, "/customers")
    path = urlparse(sandbox.base_url).path
    head = (
        f"POST {path}/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.token}\r\n"
        "Idempotency-Key: big-1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {64 * 1024 * 1024}\r\n\r\n"
    )
    response, sent = _raw_request(sandbox.base_url, head, [b"{" + b" " * 65535] * 1024)
    status, body = _status_and_body(response)
    assert status == 413
    assert body["error"]["code"] == "request_too_large" and body["error"]["param"] is None
    assert body["error"]["requestId"].startswith("req_")
    assert sent < 4 * 1024 * 1024  # answered long before 64 MB went out
    assert _count(api, "/customers") == before


def test_unauthenticated_token_exchange_streams_and_stops(sandbox):
    """A chunked 64 MB body to /auth/token (no token needed there) is counted as it arrives
    and refused once past the limit; the server never reads it all."""
    path = urlparse(sandbox.base_url).path
    head = (
        f"POST {path}/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"a" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    response, sent = _raw_request(sandbox.base_url, head, [chunk] * 1024)
    status, body = _status_and_body(response)
    assert status == 413 and body["error"]["code"] == "request_too_large"
    assert sent < 8 * 1024 * 1024


def test_body_just_under_the_limit_is_read(world):
    """The limit is on bytes, not a refusal of anything sizeable: a padded body under it is
    parsed and answered on its merits."""
    api, _c, _w = world
    padding = " " * (MAX_BODY_BYTES - 2000)
    r = api.http.post(
        "/customers",
        content=json.dumps(IDENTITY) + padding,
        headers={"Idempotency-Key": "padded", "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"firstName": "J" * (MAX_STRING_CHARS + 1)}, "firstName"),
        (
            {"residentialAddress": {**IDENTITY["residentialAddress"], "line1": "x" * 5000}},
            "residentialAddress.line1",
        ),
        ({"metadata": {f"k{i}": "v" for i in range(MAX_JSON_ENTRIES + 1)}}, "metadata"),
        ({"metadata": {"note": "n" * (MAX_STRING_CHARS + 1)}}, "metadata.note"),
    ],
)
def test_field_lengths_are_400_with_param(world, change, param):
    api, _c, _w = world
    before = _count(api, "/customers")
    assert_error(api.post("/customers", {**IDENTITY, **change}), 400, "invalid_request", param)
    assert _count(api, "/customers") == before


def test_a_short_field_is_fine(world):
    api, _c, _w = world
    api.customer(firstName="J" * MAX_STRING_CHARS)


# -- 9: every bad body gets D1's 400 --------------------------------------------------------------
def _deep(n: int) -> str:
    return "[" * n + "]" * n


@pytest.mark.parametrize("depth", [100_000, 1_000])
def test_deeply_nested_json_is_400(world, depth):
    api, _c, _w = world
    before = _count(api, "/customers")
    for method, path, key in [
        ("POST", "/customers", "deep-c"),
        ("POST", "/quotes", "deep-q"),
        ("PATCH", f"/customers/{world[1]['id']}", None),  # no key: the framework parses it
        ("POST", "/sandbox/clock/advance", None),
    ]:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = f"{key}-{depth}"
        r = api.http.request(method, path, content=_deep(depth), headers=headers)
        assert_error(r, 400, "invalid_request")
    r = api.http.post(
        "/auth/token", content=_deep(depth), headers={"Content-Type": "application/json"}
    )
    assert_error(r, 400, "invalid_request")
    assert _count(api, "/customers") == before


@pytest.mark.parametrize(
    "amount",
    ["1" * 5000, "1." + "0" * 5000, "1" * 999, "10.5\n", "10\n", "\n10", "10 ", "1e3", "١٠"],
    ids=[
        "5000-digits",
        "5000-places",
        "999-digits",
        "10.5-newline",
        "10-newline",
        "newline-10",
        "space",
        "exponent",
        "arabic-digits",
    ],
)
def test_bad_amount_text_is_400_invalid_amount(world, amount):
    api, c, w = world
    body = api.quote_body(c, w, amount="1.00")
    body["source"]["amount"] = amount
    assert_error(api.post("/quotes", body), 400, "invalid_amount", "source.amount")
    r = api.post(f"/sandbox/wallets/{w['id']}/deposit", {"amount": amount})
    assert_error(r, 400, "invalid_amount", "amount")
    assert api.balance(w["id"]) == "100.00"


def _escaped(method: str, api: Api, path: str, body: dict, key: str | None = None):
    """Send `body` as ASCII JSON: a lone surrogate goes out as the escape \\ud800, valid JSON
    text that no UTF-8 string can hold."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return api.http.request(method, path, content=json.dumps(body), headers=headers)


def test_lone_surrogate_in_a_name_is_400(world):
    api, c, _w = world
    before = _count(api, "/customers")
    r = _escaped("POST", api, "/customers", {**IDENTITY, "firstName": "Ja\ud800ne"}, "sur-1")
    assert b"\\ud800" in r.request.content
    assert_error(r, 400, "invalid_request", "firstName")
    r = _escaped("PATCH", api, f"/customers/{c['id']}", {"lastName": "\udfff"})
    assert_error(r, 400, "invalid_request", "lastName")
    r = _escaped("POST", api, "/customers", {**IDENTITY, "metadata": {"\ud800": "x"}}, "sur-2")
    assert_error(r, 400, "invalid_request", "metadata")
    assert _count(api, "/customers") == before
    assert api.ok(api.get(f"/customers/{c['id']}"))["lastName"] == "Smith"


def test_address_with_a_trailing_newline_is_400(world):
    api, c, w = world
    body = api.quote_body(c, w, to=EXT_ADDR + "\n")
    assert_error(
        api.post("/quotes", body), 400, "invalid_address", "destination.wallet.blockchainAddress"
    )


# -- 7: private files, hashed tokens --------------------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_is_0700_and_files_0600_whatever_existed(tmp_path):
    data = tmp_path / "shared"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "sandbox-stderr.log").write_text("old log\n")
    os.chmod(data / "sandbox-stderr.log", 0o644)
    old_umask = os.umask(0o022)
    try:
        sb = start_sandbox(data, backend="sqlite")  # sandbox.db modes
    finally:
        os.umask(old_umask)
    try:
        api = Api.of(sb)
        api.funded("10.00")  # the database and its WAL are written
        names = {p.name for p in data.iterdir()}
        assert {"sandbox.db", "credentials.json", "sandbox.ready", "sandbox.lock"} <= names
        assert _mode(data) == 0o700
        for p in data.iterdir():
            assert _mode(p) == 0o600, (p.name, oct(_mode(p)))
        # Tokens exist on disk only as SHA-256 hashes.
        conn = sqlite3.connect(f"file:{data / 'sandbox.db'}?mode=ro", uri=True)
        stored = [r[0] for r in conn.execute("SELECT token FROM tokens")]
        conn.close()
        assert stored and api.token not in stored
        import hashlib

        assert hashlib.sha256(api.token.encode()).hexdigest() in stored
        assert api.get("/customers").status_code == 200  # and the token still works
        api.close()
    finally:
        sb.stop()
    # A restart with a loosened dir tightens it again.
    os.chmod(data, 0o755)
    os.chmod(data / "sandbox.db", 0o644)
    sb = start_sandbox(data, backend="sqlite")
    try:
        assert _mode(data) == 0o700 and _mode(data / "sandbox.db") == 0o600
    finally:
        sb.stop()


# -- 10: launch and lock --------------------------------------------------------------------------
def _sandbox_cmd(data: Path) -> list[str]:
    return [sys.executable, "-m", "desktop.sandbox", "--port", "0", "--data-dir", str(data)]


def test_loser_of_the_lock_race_never_prints_a_dead_ready_line(tmp_path, sandbox):
    import fcntl

    data = tmp_path / "d"
    dead = start_sandbox(data)
    dead_line = (data / "sandbox.ready").read_text().strip()
    dead.kill()  # kill -9: its ready line stays behind
    assert (data / "sandbox.ready").read_text().strip() == dead_line
    # Another starter holds the lock and is not ready yet.
    holder = open(data / "sandbox.lock", "a+")  # noqa: SIM115
    fcntl.flock(holder.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMS_SANDBOX_READY_WAIT="20")
    loser = subprocess.Popen(
        _sandbox_cmd(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        # It saw the stale line, said so, and went on waiting.
        assert "stale" in loser.stderr.readline()
        assert loser.poll() is None
        # The holder becomes ready (a live sandbox: its pid runs, its port answers).
        live = json.dumps({"event": "ready", "baseUrl": sandbox.base_url, "pid": sandbox.pid})
        (data / "sandbox.ready").write_text(live + "\n")
        out, _err = loser.communicate(timeout=30)
    finally:
        if loser.poll() is None:
            loser.kill()
            loser.wait()
        holder.close()
    assert loser.returncode == 3
    assert json.loads(out.splitlines()[0]) == json.loads(live)
    assert dead_line not in out


def test_loser_gives_up_without_printing_when_no_live_holder_appears(tmp_path):
    import fcntl

    data = tmp_path / "d"
    data.mkdir()
    (data / "sandbox.ready").write_text(
        json.dumps({"event": "ready", "baseUrl": "http://127.0.0.1:9/v0.9", "pid": 2**22 + 7})
        + "\n"
    )
    holder = open(data / "sandbox.lock", "a+")  # noqa: SIM115
    fcntl.flock(holder.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        env = dict(os.environ, OMS_SANDBOX_READY_WAIT="1")
        out = subprocess.run(
            _sandbox_cmd(data), capture_output=True, text=True, env=env, timeout=60
        )
    finally:
        holder.close()
    assert out.returncode == 3
    assert out.stdout == ""
    assert "not ready" in out.stderr


def test_ready_line_is_the_holders_and_goes_with_it(tmp_path):
    data = tmp_path / "d"
    sb = start_sandbox(data)
    line = json.loads((data / "sandbox.ready").read_text())
    assert line == {"event": "ready", "baseUrl": sb.base_url, "pid": sb.pid}
    assert sb.stop() == 0
    assert not (data / "sandbox.ready").exists()
    # Killed: the next holder clears the stale line before it is ready, then writes its own.
    sb = start_sandbox(data)
    sb.kill()
    sb2 = start_sandbox(data)
    try:
        again = json.loads((data / "sandbox.ready").read_text())
        assert again["pid"] == sb2.pid != sb.pid
    finally:
        sb2.stop()


def test_demo_with_a_short_quote_ttl_seeds_everything(tmp_path):
    sb = start_sandbox(tmp_path / "demo", "--demo", "--quote-ttl", "1")
    try:
        api = Api.of(sb)
        assert len(api.all_pages("/customers")) == 25
        assert len(api.all_pages("/transactions")) >= 20
        api.close()
    finally:
        sb.stop()


def test_demo_seeding_is_all_or_nothing(tmp_path):
    """A seeding that fails half-way leaves nothing behind, and the next --demo seeds."""
    data = tmp_path / "demo"
    code = (
        "import sys, runpy\n"
        "import desktop.sandbox.demo as demo\n"
        "real = demo.create_transaction\n"
        "calls = []\n"
        "def failing(*a, **k):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 10:\n"
        "        raise RuntimeError('disk on fire')\n"
        "    return real(*a, **k)\n"
        "demo.create_transaction = failing\n"
        "sys.argv = ['oms-sandbox', '--port', '0', '--data-dir', sys.argv[1], '--demo']\n"
        "runpy.run_module('desktop.sandbox', run_name='__main__')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode != 0 and "disk on fire" in out.stderr
    conn = sqlite3.connect(f"file:{data / 'sandbox.db'}?mode=ro", uri=True)
    counts = {
        kind: n for kind, n in conn.execute("SELECT kind, COUNT(*) FROM resources GROUP BY kind")
    }
    seeded = conn.execute("SELECT value FROM meta WHERE key='demo_seeded'").fetchone()
    conn.close()
    assert counts == {} and seeded is None
    sb = start_sandbox(data, "--demo", backend="sqlite")
    try:
        api = Api.of(sb)
        assert len(api.all_pages("/customers")) == 25
        api.close()
    finally:
        sb.stop()


# -- issue 12: the routers are listed; a broken one stops the server ----------------------------
# A first screen's module (customers) is imported before the ready line: never ready. Another
# rail (payouts) is imported once the first screen is served, or shortly after the ready line
# (issue 15): the process then ends the same way, exit 4 with the same message, and removes
# its ready line.
@pytest.mark.parametrize(
    ("module", "ready_first"),
    [("desktop.sandbox.payouts", True), ("desktop.sandbox.customers", False)],
    ids=["rail", "first-screen"],
)
def test_a_rail_that_fails_to_import_stops_the_server(tmp_path, module, ready_first):
    code = (
        "import sys, importlib.abc, runpy\n"
        "class Broken(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            raise NameError(\"name 'routing_ok' is not defined\")\n"
        "        return None\n"
        "sys.meta_path.insert(0, Broken())\n"
        "sys.argv = ['oms-sandbox', '--port', '0', '--data-dir', sys.argv[1]]\n"
        "runpy.run_module('desktop.sandbox', run_name='__main__')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 4, (out.returncode, out.stderr[-2000:])
    if ready_first:
        assert json.loads(out.stdout)["event"] == "ready"  # one line: the ready line
    else:
        assert out.stdout == ""  # never ready
    assert "cannot start: a sandbox module failed to import" in out.stderr
    assert "routing_ok" in out.stderr
    assert not (tmp_path / "d" / "sandbox.ready").exists()


def test_a_broken_rail_fails_the_request_that_needs_it_and_ends_the_server(tmp_path):
    """A request for a lazily mounted rail that cannot be imported gets a D1 500, never a
    wrong answer; the token exchange before it is served; the process then exits 4."""
    code = (
        "import sys, importlib.abc, runpy\n"
        "class Broken(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'desktop.sandbox.wallets':\n"
        "            raise NameError(\"name 'routing_ok' is not defined\")\n"
        "        return None\n"
        "sys.meta_path.insert(0, Broken())\n"
        "sys.argv = ['oms-sandbox', '--port', '0', '--data-dir', sys.argv[1]]\n"
        "runpy.run_module('desktop.sandbox', run_name='__main__')\n"
    )
    data = tmp_path / "d"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, OMS_SANDBOX_MOUNT_AFTER="60"),  # only a request mounts the rails
    )
    try:
        base = json.loads(proc.stdout.readline())["baseUrl"]
        creds = json.loads((data / "credentials.json").read_text())
        with httpx.Client(base_url=base, timeout=10) as http:
            r = http.post("/auth/token", json=creds)
            assert r.status_code == 200, r.text
            r = http.get("/openapi.json")
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
        assert proc.wait(30) == 4
        assert "routing_ok" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_every_listed_router_is_served(sandbox):
    from desktop.sandbox.app import FIRST_ROUTERS, RAILS, rail_modules

    api = Api.of(sandbox)
    paths = set(api.ok(api.get("/openapi.json"))["paths"])
    api.close()
    modules = rail_modules()[: len(RAILS)]
    assert [m.__name__.rsplit(".", 1)[1] for m in modules] == list(RAILS)
    for router in (*FIRST_ROUTERS, *(m.router for m in modules)):
        assert router.routes
        for route in router.routes:
            assert "/v0.9" + route.path in paths, route.path


# -- 11: contract slips ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        {"asset": "usd", "network": "cash", "amount": "100.00"},
        {"asset": "usd", "network": "ach", "amount": "100.00"},
        {"asset": "usdc", "network": "cash", "amount": "100.00"},
    ],
    ids=["usd-cash", "usd-ach", "cash-network"],
)
def test_fiat_source_without_wallet_is_d19_unsupported_asset(world, source):
    api, c, _w = world
    body = {
        "customerId": c["id"],
        "source": source,
        "destination": {
            "wallet": {"blockchainAddress": EXT_ADDR},
            "asset": "usdc",
            "network": "polygon",
        },
    }
    assert_error(api.post("/quotes", body), 400, "unsupported_asset", "source.asset")


def test_crypto_source_without_wallet_is_400_naming_it(world):
    api, c, w = world
    body = api.quote_body(c, w)
    del body["source"]["walletId"]
    assert_error(api.post("/quotes", body), 400, "invalid_request", "source.walletId")


def test_cash_in_amounts_follow_d6(world):
    api, c, w = world
    ci = api.cash_in(c["id"], w["id"], "40.00")
    assert ci["sponsorGasCost"] == "0.00"
    commit = api.deposit_cash(ci, "40.00")
    txn = api.ok(api.get(f"/transactions/{commit['transactionId']}"))
    assert txn["sponsorGasCost"] == "0.00"
