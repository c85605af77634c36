"""Issue 13 (1): with the embedded sandbox (the default profile), a send interrupted by
kill -9 is completed exactly once by the next start — although the sandbox listens on a new
port every time. (The 20-run figure: ``python -m tests.perf.bench_outbox_crash``.)"""

from __future__ import annotations

from tests.support.api import EXT_ADDR
from tests.support.crash import crash_loop
from tests.support.identity import IDENTITY


def test_sends_killed_mid_flight_are_completed_once_after_restart(tmp_path):
    result = crash_loop(tmp_path / "home", runs=4, identity=IDENTITY, address=EXT_ADDR)
    assert len(result.quotes) == 4
    assert len(result.ports) >= 2  # the embedded sandbox really moved between runs
    assert result.lost == [] and result.duplicated == []
    assert sorted(q for _t, q in result.transactions) == sorted(result.quotes)
    assert {state for _k, state, _q in result.entries} == {"done"}
    assert sorted(q for _k, _s, q in result.entries) == sorted(result.quotes)
