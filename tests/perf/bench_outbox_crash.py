"""kill -9 of the desk between journal and answer, on the embedded profile, N times in a row
(issue 13 (1)): how many sends were lost or duplicated after the restarts.

Run: python -m tests.perf.bench_outbox_crash [--runs 20]
Each run is a real desk process (the app's paths, launcher, client and outbox) that starts
its embedded sandbox on a fresh port, recovers, sends, and is SIGKILLed — alternately just
before the request leaves and just after the server answered. A last clean run recovers and
lists what the server holds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.support.api import EXT_ADDR
from tests.support.crash import crash_loop
from tests.support.identity import IDENTITY


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="oms-crash-") as tmp:
        t0 = time.perf_counter()
        r = crash_loop(Path(tmp) / "home", args.runs, IDENTITY, EXT_ADDR)
        took = time.perf_counter() - t0
    print(f"kill -9 runs:            {args.runs} (half before the request left, half after)")
    print(f"sandbox ports seen:      {len(r.ports)}")
    print(f"sends started:           {len(r.quotes)}")
    print(f"transactions on server:  {len(r.transactions)}")
    print(f"lost:                    {len(r.lost)}")
    print(f"duplicated:              {len(r.duplicated)}")
    print(
        f"outbox entries done:     {sum(1 for e in r.entries if e[1] == 'done')}/{len(r.entries)}"
    )
    print(f"wall time:               {took:.1f} s")


if __name__ == "__main__":
    main()
