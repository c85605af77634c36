"""Start-to-first-customer-row time of one or more OMS Desk commands, side by side.

    python3 packaging/linux/time_first_rows.py [--runs N] NAME=COMMAND [NAME=COMMAND ...]

Each COMMAND (split like a shell would) is started with `--self-test` appended: the app
starts offscreen with a temporary embedded sandbox and prints one JSON line as soon as
the first page of customers is in its table. Measured per run: the wall time from spawning
the process to that line (includes interpreter / bootloader start, imports and the
sandbox child's start) and the app's own `firstRowsSeconds` (from its module import).
Commands are interleaved run by run so that machine load hits them alike. Prints the
median of each; exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time


def one_run(cmd: list[str], timeout: float) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "--self-test"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        for line in proc.stdout:
            if line.startswith("{") and '"selfTest"' in line:
                wall = time.perf_counter() - t0
                report = json.loads(line)
                if report.get("selfTest") != "ok":
                    raise RuntimeError(f"self-test said {report}")
                break
        else:
            raise RuntimeError(f"no self-test line (exit code {proc.wait(timeout)})")
        code = proc.wait(timeout)
        if code != 0:
            raise RuntimeError(f"exit code {code}")
        return wall, float(report["firstRowsSeconds"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = ap.parse_args(argv)
    cmds = {}
    for item in args.commands:
        name, _, command = item.partition("=")
        cmds[name] = shlex.split(command)
    results: dict[str, list[tuple[float, float]]] = {n: [] for n in cmds}
    failed = False
    for _ in range(args.runs):
        for name, cmd in cmds.items():
            try:
                results[name].append(one_run(cmd, args.timeout))
            except Exception as e:  # report and go on with the others
                print(f"time_first_rows: {name}: {e}", file=sys.stderr)
                failed = True
    for name, runs in results.items():
        if not runs:
            continue
        wall = statistics.median(r[0] for r in runs)
        inner = statistics.median(r[1] for r in runs)
        print(
            f"first customer rows: {name}: {wall:.2f} s from process start "
            f"(app's own firstRowsSeconds {inner:.2f} s), median of {len(runs)} runs; "
            f"all: {', '.join(f'{r[0]:.2f}' for r in runs)}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
