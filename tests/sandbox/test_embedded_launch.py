"""The desk's side of the sandbox launch (desktop.embedded, D20): a desk that adopted another
desk's sandbox starts its own when that one goes, on the same port; the files it writes in
the data dir are private."""

from __future__ import annotations

import asyncio
import os
import stat

import httpx

from desktop import embedded
from tests.support.sandbox import start_sandbox


def test_adopted_sandbox_gone_means_starting_our_own_on_its_port(tmp_path):
    data = tmp_path / "shared"
    first = start_sandbox(data)  # the first desk's sandbox
    second = embedded.EmbeddedSandbox(data, demo=False, extra=("--clock", "manual"))
    try:
        info = second.start_blocking()
        assert not info.owned and info.base_url == first.base_url and info.pid == first.pid
        assert asyncio.run(second.restart_if_dead()) is False  # alive: nothing to do
        assert first.stop() == 0  # the first desk quits, its sandbox with it
        assert asyncio.run(second.restart_if_dead()) is True
        assert second.info.owned and second.running
        assert second.info.base_url == first.base_url  # same URL: clients stay valid
        assert second.info.pid != first.pid
        r = httpx.get(f"{second.info.base_url}/sandbox/health", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
        assert asyncio.run(second.restart_if_dead()) is False
    finally:
        second.stop_blocking()
        first.stop()


def test_desk_written_files_are_private(tmp_path):
    data = tmp_path / "sb"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    sb = embedded.EmbeddedSandbox(data, demo=False, extra=("--clock", "manual"))
    try:
        sb.start_blocking()
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        log = data / "sandbox-stderr.log"
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
    finally:
        sb.stop_blocking()


def test_a_child_that_cannot_start_is_not_restarted_and_says_why(tmp_path):
    """Exit 4 after the ready line (a rail of a broken install fails to import): starting
    it again would fail the same way, so restart_if_dead raises what the child said."""
    import subprocess
    import sys

    import pytest

    from desktop.sandbox.__main__ import EXIT_START_FAILED

    assert embedded.EXIT_START_FAILED == EXIT_START_FAILED
    data = tmp_path / "sb"
    data.mkdir()
    (data / "sandbox-stderr.log").write_text(
        "earlier start\n"
        "oms-sandbox: cannot start: a sandbox module failed to import: NameError: x\n"
        "Traceback noise\n"
    )
    sb = embedded.EmbeddedSandbox(data, demo=False)
    sb.proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(4)"])
    sb.proc.wait(30)
    sb.info = embedded.SandboxInfo(
        base_url="http://127.0.0.1:9/v0.9",
        pid=sb.proc.pid,
        api_key="k",
        api_secret="s",
        owned=True,
    )
    proc = sb.proc
    with pytest.raises(embedded.SandboxStartError) as e:
        asyncio.run(sb.restart_if_dead())
    assert str(e.value) == (
        "the embedded sandbox stopped: cannot start: a sandbox module failed to import:"
        " NameError: x"
    )
    assert sb.proc is proc  # nothing was started again
    (data / "sandbox-stderr.log").write_text("")  # it said nothing: where to look
    with pytest.raises(embedded.SandboxStartError, match=r"see .*sandbox-stderr\.log"):
        asyncio.run(sb.restart_if_dead())
