"""Pure logic of the shell: profiles, validators, go-to parsing, redaction, tasks, secrets."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import date

import keyring
import pytest
from hypothesis import given
from hypothesis import strategies as st
from keyring.backend import KeyringBackend
from keyring.backends import SecretService, chainer, fail, null

from desktop import embedded
from desktop.config import (
    EMBEDDED_PROFILE_NAME,
    OMS_PRODUCTION_URL,
    Environment,
    Profile,
    ProfileError,
    ProfileKind,
    ProfileStore,
    embedded_profile,
    resolve_profile,
)
from desktop.logs import redact, setup_logging, teardown_logging
from desktop.secrets import ApiKeyPair, SecretStore, backend_usable
from desktop.tasks import TaskScope
from desktop.ui import validation as v
from desktop.ui.goto import Target, parse_target

# ---------------------------------------------------------------- profiles


def test_profile_environments_and_https_rule():
    assert Profile("a", ProfileKind.OMS_PRODUCTION).environment is Environment.PRODUCTION
    assert Profile("a", ProfileKind.OMS_PRODUCTION).url == OMS_PRODUCTION_URL
    assert Profile("a", ProfileKind.OMS_SANDBOX).environment is Environment.SANDBOX
    assert embedded_profile().environment is Environment.SANDBOX
    with pytest.raises(ProfileError, match="https") as e:
        Profile(
            "p", ProfileKind.CUSTOM, base_url="http://127.0.0.1:9/v0.9", production=True
        ).validate()
    assert e.value.field == "base_url"
    with pytest.raises(ProfileError, match="this computer"):
        Profile("p", ProfileKind.CUSTOM, base_url="http://example.com/v0.9").validate()
    Profile("p", ProfileKind.CUSTOM, base_url="http://127.0.0.1:9/v0.9").validate()
    Profile("p", ProfileKind.CUSTOM, base_url="https://x.example/v0.9", production=True).validate()
    with pytest.raises(ProfileError):
        Profile(" ", ProfileKind.OMS_SANDBOX).validate()


def test_profile_store_roundtrip_is_private_and_has_no_secrets(tmp_path):
    path = tmp_path / "cfg" / "profiles.json"
    s = ProfileStore.load(path)
    s.upsert(Profile("A", ProfileKind.OMS_SANDBOX))
    s.upsert(Profile("B", ProfileKind.CUSTOM, base_url="https://h/v0.9", production=True))
    s.active = "B"
    s.save()
    assert os.stat(path).st_mode & 0o777 == 0o600
    t = ProfileStore.load(path)
    assert t.names() == ["A", "B"] and t.active_profile().name == "B"
    assert t.get("B").environment is Environment.PRODUCTION
    t.upsert(Profile("C", ProfileKind.OMS_SANDBOX), old_name="A")  # rename
    assert t.names() == ["C", "B"]
    with pytest.raises(ProfileError, match="already exists"):
        t.upsert(Profile("B", ProfileKind.OMS_SANDBOX), old_name="C")
    t.remove("B")
    # Removing the active profile never promotes another saved one (it could be production).
    assert t.active is None
    assert "secret" not in path.read_text().lower()
    assert resolve_profile(t, None, None).kind is ProfileKind.EMBEDDED
    assert resolve_profile(t, None, "/x").kind is ProfileKind.EMBEDDED
    with pytest.raises(ProfileError, match="No profile"):
        resolve_profile(t, "nope", None)
    assert (
        resolve_profile(ProfileStore(tmp_path / "none.json"), None, None).kind
        is ProfileKind.EMBEDDED
    )


def test_the_last_explicit_choice_opens_next_and_never_falls_back_to_production(tmp_path):
    """Issue 13 (2): profiles.json said "active": "Embedded sandbox" (never a saved profile),
    and the app restarted into the first saved profile — production."""
    path = tmp_path / "profiles.json"
    s = ProfileStore.load(path)
    s.upsert(Profile("Live", ProfileKind.OMS_PRODUCTION))
    s.upsert(Profile("Staging", ProfileKind.OMS_SANDBOX))
    for choice, expected in (
        ("Staging", "Staging"),
        ("Live", "Live"),
        (EMBEDDED_PROFILE_NAME, EMBEDDED_PROFILE_NAME),
        ("Deleted meanwhile", EMBEDDED_PROFILE_NAME),
        (None, EMBEDDED_PROFILE_NAME),
    ):
        s.active = choice
        s.save()
        opened = resolve_profile(ProfileStore.load(path), None, None)
        assert opened.name == expected, choice
        if expected == EMBEDDED_PROFILE_NAME:
            assert opened.kind is ProfileKind.EMBEDDED
            assert opened.environment is Environment.SANDBOX


def test_profile_form_uses_the_one_loopback_rule():
    for host in ("127.evil.example", "localhost.evil.example"):
        with pytest.raises(ProfileError, match="this computer"):
            Profile("p", ProfileKind.CUSTOM, base_url=f"http://{host}:9/v0.9").validate()
    for host in ("127.0.0.2", "[::1]", "localhost"):
        Profile("p", ProfileKind.CUSTOM, base_url=f"http://{host}:9/v0.9").validate()


# ---------------------------------------------------------------- validators

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("email", "a@b.co", True),
        ("email", "a@b", False),
        ("email", "a b@c.de", False),
        ("phone", "+12125551234", True),
        ("phone", "12125551234", False),
        ("phone", "+0123456789", False),
        ("nationality", "US", True),
        ("nationality", "XX", False),
        ("nationality", "us", False),
        ("birthDate", "1990-02-28", True),
        ("birthDate", "1990-02-30", False),
        ("birthDate", "2020-01-01", False),  # under 18
        ("birthDate", "2030-01-01", False),
        ("birthDate", "02/03/1990", False),
        ("ipAddress", "203.0.113.7", True),
        ("ipAddress", "999.1.1.1", False),
        ("ipAddress", "2001:db8::1", True),
    ],
)
def test_field_validators(field, value, ok):
    errs = v.validate({field: value}, today=TODAY)
    assert (field not in errs) is ok, errs


def test_address_and_document_need_their_parts():
    errs = v.validate({"residentialAddress.city": "X", "identifyingInformation.number": "12"})
    assert {
        "residentialAddress.line1",
        "residentialAddress.country",
        "residentialAddress.zipCode",
        "identifyingInformation.type",
        "identifyingInformation.issuingCountry",
    } <= set(errs)
    errs = v.validate(
        {
            "identifyingInformation.type": "ssn",
            "identifyingInformation.issuingCountry": "US",
            "identifyingInformation.number": "12-34",
        }
    )
    assert "9 digits" in errs["identifyingInformation.number"]


def test_create_body_has_only_filled_fields_and_normalises():
    body = v.build_create_body(
        {
            "firstName": " Ada ",
            "email": "",
            "nationality": "gb",
            "residentialAddress.line1": "1 A",
            "residentialAddress.country": "gb",
            "identifyingInformation.type": "ssn",
            "identifyingInformation.issuingCountry": "us",
            "identifyingInformation.number": "123-45-6789",
            "endorsements.basic": True,
            "endorsements.usd": False,
            "signedAgreement": True,
        }
    )
    assert body == {
        "type": "individual",
        "firstName": "Ada",
        "nationality": "GB",
        "residentialAddress": {"line1": "1 A", "country": "GB"},
        "identifyingInformation": [{"type": "ssn", "issuingCountry": "US", "number": "123456789"}],
        "signedAgreement": True,
        "endorsements": ["basic"],
    }


def test_patch_body_follows_contract_rules():
    original = {
        "firstName": "Ada",
        "lastName": "L",
        "email": "a@b.co",
        "signedAgreement": True,
        "endorsements": [
            {"name": "basic", "status": "ACTIVE"},
            {"name": "usd", "status": "INACTIVE"},
        ],
    }
    same = {
        "firstName": "Ada",
        "lastName": "L",
        "email": "a@b.co",
        "signedAgreement": True,
        "endorsements.basic": True,
    }
    assert v.build_patch_body(original, same) == {}
    changed = {
        **same,
        "email": "new@b.co",
        "lastName": "",
        "endorsements.usd": True,
        "birthDate": "1970-01-01",
    }
    assert v.build_patch_body(original, changed) == {
        "email": "new@b.co",
        "birthDate": "1970-01-01",
        "endorsements": ["usd"],
    }  # clearing lastName is not sent; basic already requested; agreement one-way


def test_field_for_param():
    known = [
        "email",
        "residentialAddress.line1",
        "residentialAddress.city",
        "identifyingInformation.number",
    ]
    assert (
        v.field_for_param("identifyingInformation.0.number", known)
        == "identifyingInformation.number"
    )
    assert (
        v.field_for_param("identifyingInformation[0].number", known)
        == "identifyingInformation.number"
    )
    assert v.field_for_param("residentialAddress", known) == "residentialAddress.line1"
    assert v.field_for_param("email.domain", known) == "email"
    assert v.field_for_param("source.amount", known) is None
    assert v.field_for_param(None, known) is None


FUZZED = (
    "email",
    "phone",
    "birthDate",
    "nationality",
    "ipAddress",
    "residentialAddress.country",
    "identifyingInformation.number",
)


@given(st.text(max_size=30))
def test_validators_never_raise_and_refuse_what_is_not_an_email(text):
    errs = v.validate({k: text for k in FUZZED})
    # Errors name fields of the form, each with a message a person can read ...
    related = {f"residentialAddress.{f}" for f in v.ADDRESS_FIELDS}
    related |= {f"identifyingInformation.{f}" for f in v.DOC_FIELDS}
    assert set(errs) <= set(FUZZED) | related
    assert all(isinstance(m, str) and m.strip() for m in errs.values())
    # ... and a validator that accepted everything would fail here.
    if text.strip() and "@" not in text:
        assert "email" in errs
    if text.strip():  # a number without a document type is never silently dropped
        assert "identifyingInformation.type" in errs


def test_new_customer_needs_a_name_and_an_id_type_needs_a_number():
    assert v.validate({}, creating=True) == {"firstName": "Required.", "lastName": "Required."}
    assert v.validate({}) == {}  # editing: the server keeps what it has
    errs = v.validate({"identifyingInformation.type": "ssn"})
    assert "identifyingInformation.number" in errs
    assert "identifyingInformation.issuingCountry" in errs


# ---------------------------------------------------------------- go to


def test_parse_target_routes_on_prefix_only():
    assert parse_target(" cst_01abc ") == Target("customer", "cst_01abc")
    assert parse_target("wlt_x") == Target("wallet", "wlt_x")
    assert parse_target("txn_9") == Target("transaction", "txn_9")
    assert parse_target("qt_1") == Target("quote", "qt_1")
    assert parse_target("ci_1") == Target("cashIn", "ci_1")
    addr = "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"
    assert parse_target(addr) == Target("address", addr)
    for bad in ("", "cst_", "cst_a b", "0x123", "hello", "evt_1"):
        assert parse_target(bad) is None


# ---------------------------------------------------------------- logs


def test_redaction_of_secrets_and_account_numbers():
    text = redact(
        'Authorization: Bearer eyJabc.def.ghi {"apiKey": "sk_sdbx_abcdefghijklmnop", '
        '"apiSecret": "s3cr3t-value", "accountNumber": "123456789012"} whsec_00112233445566778899'
    )
    for secret in (
        "eyJabc.def.ghi",
        "abcdefghijklmnop",
        "s3cr3t-value",
        "12345678",
        "00112233445566",
    ):
        assert secret not in text, text
    assert "9012" in text


def test_log_file_is_private_rotating_and_redacted(tmp_path):
    f = tmp_path / "logs" / "oms-desk.log"
    setup_logging(f)
    try:
        logging.getLogger("t").warning("token %s", "Bearer abcdefghijkl123")
        logging.getLogger("t").warning('{"apiSecret": "hunter22-secret"}')
    finally:
        teardown_logging()
    assert os.stat(f).st_mode & 0o777 == 0o600
    body = f.read_text()
    assert "abcdefghijkl123" not in body and "hunter22-secret" not in body
    assert "token Bearer ***" in body


def test_a_huge_record_is_cut_and_rotation_still_holds(tmp_path, monkeypatch):
    from desktop import logs
    from desktop.logs import BACKUPS, MAX_RECORD_CHARS

    max_bytes = 200_000  # a smaller rotation size keeps the test quick; the rule is the same
    monkeypatch.setattr(logs, "MAX_BYTES", max_bytes)
    f = tmp_path / "logs" / "oms-desk.log"
    setup_logging(f)
    log = logging.getLogger("t.huge")
    try:
        # 3 MB in one message, a secret right at the cut, then enough to rotate twice.
        huge = "x" * (MAX_RECORD_CHARS - 10) + "apiSecret=hunter22-secret " + "y" * 3_000_000
        log.warning("server said: %s", huge)
        for i in range(2 * max_bytes // MAX_RECORD_CHARS + 10):
            log.warning("filler %d %s", i, "z" * (MAX_RECORD_CHARS * 2))
    finally:
        teardown_logging()
    files = sorted(f.parent.iterdir())
    assert 2 <= len(files) <= BACKUPS + 1  # rotated
    for path in files:
        assert path.stat().st_size <= max_bytes + MAX_RECORD_CHARS + 500
        for line in path.read_text().splitlines():
            assert len(line) <= MAX_RECORD_CHARS + 200
    text = "".join(p.read_text() for p in files)
    assert "hunter22-secret" not in text and "y" * 1000 not in text
    assert "[cut: the record had" in text


# ---------------------------------------------------------------- tasks


async def test_task_scope_cancels_and_routes_errors(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *a: seen.append(a[1]))
    scope = TaskScope("t")
    started = asyncio.Event()

    async def forever():
        started.set()
        await asyncio.Event().wait()

    async def boom():
        raise ValueError("x")

    t = scope.spawn(forever())
    scope.spawn(boom())
    errs = []
    scope.spawn(boom(), on_error=errs.append)
    await started.wait()
    await asyncio.sleep(0)
    assert isinstance(seen[0], ValueError) and isinstance(errs[0], ValueError)
    assert not scope.is_idle()
    await scope.aclose()
    assert t.cancelled() and scope.is_idle()
    with pytest.raises(RuntimeError):
        scope.spawn(forever())


# ---------------------------------------------------------------- secrets


class _Mem(SecretService.Keyring):
    """An in-memory stand-in for an OS keyring (a Secret Service keyring, as far as the
    app's rule can tell: only OS keyrings count)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.d = {}

    def get_password(self, s, u):
        return self.d.get((s, u))

    def set_password(self, s, u, p):
        self.d[(s, u)] = p

    def delete_password(self, s, u):
        self.d.pop((s, u))


async def test_secret_store_keyring_and_memory_fallback():
    mem = _Mem()
    s = SecretStore(backend=mem)
    pair = ApiKeyPair("sk_sdbx_key", "the-secret")
    assert await s.set("p", pair) is True and s.persistent
    assert await s.get("p") == pair
    assert "the-secret" not in repr(pair)
    await s.rename("p", "q")
    assert await s.get("p") is None and await s.get("q") == pair
    await s.delete("q")
    assert mem.d == {}

    changes = []
    f = SecretStore(backend=fail.Keyring())
    f.on_persistence_changed(changes.append)
    assert not backend_usable(fail.Keyring())
    assert await f.set("p", pair) is False
    assert changes == [False] and not f.persistent
    assert await f.get("p") == pair  # kept in memory for the session


async def test_secret_store_falls_back_when_the_backend_breaks():
    class Broken(_Mem):
        def set_password(self, s, u, p):
            raise keyring.errors.KeyringLocked("locked")

    s = SecretStore(backend=Broken())
    assert await s.set("p", ApiKeyPair("k", "v")) is False
    assert not s.persistent and (await s.get("p")).api_secret == "v"


async def test_a_keyring_whose_read_raises_falls_back_to_memory_with_the_banner():
    class ReadBroken(_Mem):
        def get_password(self, s, u):
            raise keyring.errors.KeyringLocked("the wallet is locked")

    s = SecretStore(backend=ReadBroken())
    banner: list[bool] = []
    s.on_persistence_changed(banner.append)
    assert await s.get("p") is None  # no crash
    assert banner[-1] is False and not s.persistent  # memory mode, banner shown
    # the session goes on in memory
    assert await s.set("p", ApiKeyPair("k", "v")) is False
    assert (await s.get("p")).api_secret == "v"


class _Plaintext(KeyringBackend):
    """Looks like keyrings.alt's PlaintextKeyring: a file on disk, secret base64-encoded."""

    priority = 0.5  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.d = {}

    def get_password(self, s, u):
        return self.d.get((s, u))

    def set_password(self, s, u, p):
        self.d[(s, u)] = p

    def delete_password(self, s, u):
        self.d.pop((s, u))


_Plaintext.__module__ = "keyrings.alt.file"
_Plaintext.__qualname__ = _Plaintext.__name__ = "PlaintextKeyring"


class _Chain(chainer.ChainerBackend):
    def __init__(self, members):
        super().__init__()
        self._members = members

    @property
    def backends(self):  # type: ignore[override]
        return self._members


@pytest.mark.parametrize(
    ("backend", "usable"),
    [
        pytest.param(_Mem(), True, id="secret-service"),
        pytest.param(_Plaintext(), False, id="keyrings.alt-plaintext"),
        pytest.param(fail.Keyring(), False, id="fail"),
        pytest.param(null.Keyring(), False, id="null"),
        pytest.param(_Chain([_Mem(), _Mem()]), True, id="chainer-of-os-keyrings"),
        pytest.param(_Chain([_Mem(), _Plaintext()]), False, id="chainer-with-plaintext"),
        pytest.param(_Chain([]), False, id="empty-chainer"),
    ],
)  # fmt: skip
def test_only_os_keyrings_count(backend, usable):
    assert backend_usable(backend) is usable


async def test_a_plaintext_keyring_means_memory_mode_and_the_banner():
    plain = _Plaintext()
    s = SecretStore(backend=plain)
    banner: list[bool] = []
    s.on_persistence_changed(banner.append)
    assert await s.set("p", ApiKeyPair("k", "the-api-secret")) is False
    assert plain.d == {}  # nothing written to the plaintext file
    assert banner == [False] and not s.persistent
    assert (await s.get("p")).api_secret == "the-api-secret"


# ---------------------------------------------------------------- embedded launch


def test_sandbox_command_plain_and_frozen(monkeypatch, tmp_path):
    cmd = embedded.sandbox_command(tmp_path)
    assert cmd[:3] == [sys.executable, "-m", "desktop.sandbox"]
    assert cmd[cmd.index("--port") + 1] == "0" and "--demo" in cmd
    assert cmd[cmd.index("--parent-pid") + 1] == str(os.getpid())
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    frozen = embedded.sandbox_command(tmp_path, demo=False)
    assert frozen[:2] == [sys.executable, "--run-sandbox"] and "--demo" not in frozen


def test_main_routes_run_sandbox_before_qt(monkeypatch):
    import desktop.__main__ as m
    import desktop.sandbox.__main__ as sm

    got = []
    monkeypatch.setattr(sm, "main", lambda argv: got.append(argv) or 0)
    assert m.main(["--run-sandbox", "--port", "0"]) == 0
    assert got == [["--port", "0"]]


def test_embedded_sandbox_that_cannot_start_reports_why(tmp_path):
    sb = embedded.EmbeddedSandbox(tmp_path / "sb", extra=("--no-such-flag",), ready_timeout=60)
    with pytest.raises(embedded.SandboxStartError, match=r"sandbox-stderr\.log"):
        sb.start_blocking()
    assert not sb.running
    assert "no-such-flag" in (tmp_path / "sb" / "sandbox-stderr.log").read_text()


def test_what_runs_before_the_sandbox_is_launched_stays_light(tmp_path):
    """``desktop.__main__`` launches the embedded sandbox before Qt: up to that ``Popen``,
    nothing may pull in Qt, the HTTP client, python-stdnum (pydoc, ssl: 13 ms),
    platformdirs (not needed when OMS_DESK_HOME is set) or logging."""
    import subprocess

    code = f"""
import os, subprocess, sys
os.environ["OMS_DESK_HOME"] = {str(tmp_path / "home")!r}
heavy = ("PySide6", "httpx", "stdnum", "platformdirs", "logging")

def launch(self, *a, **k):
    print(sorted(m for m in heavy if m in sys.modules), flush=True)
    raise OSError("not launched in this test")

subprocess.Popen.__init__ = launch
from desktop.__main__ import build_parser, launch_sandbox_early
args = build_parser().parse_args(["--sandbox-data", {str(tmp_path / "data")!r}])
sb, fut = launch_sandbox_early(args)
print(type(fut.exception()).__name__)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["[]", "OSError"]
