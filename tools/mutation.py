"""Mutation testing of the money-critical modules with Cosmic Ray (issue 19, item 4).

Run it with `tools/mutation.sh [module ...]` (see tools/mutation.toml for the modules, their
test selections and the sample size). Cosmic Ray writes each mutant into the file on disk and
runs the module's tests in a fresh pytest process, so the sandbox subprocess the tests start
(`python -m desktop.sandbox`, tests/support/sandbox.py) runs the mutant too. An in-process
tool (mutmut 3's trampolines, which pick a mutant's tests from in-process coverage) never sees
those tests reach the sandbox code.

Per module it prints: mutants measured, killed, timeouts (a hang counts as detected), survived,
equivalent (listed in tools/mutation-equivalents.toml, with why) and
score = (killed + timeouts) / (measured - equivalent), then every surviving non-equivalent
mutant as file:line and the change.

Not measured: mutants inside annotations (every module uses `from __future__ import
annotations`, so they are never evaluated: equivalent by construction).
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools" / "mutation.toml"
EQUIVALENTS = ROOT / "tools" / "mutation-equivalents.toml"
SESSIONS = ROOT / ".mutation"


@dataclass
class Target:
    path: str
    ranges: list[tuple[int, int]] | None  # None: the whole file


@dataclass
class Module:
    name: str
    targets: list[Target]
    tests: list[str]
    sample: int
    seed: int


@dataclass
class Row:
    name: str
    total: int = 0  # every mutant of the module (before sampling)
    measured: int = 0
    killed: int = 0
    timeouts: int = 0
    survived: int = 0
    equivalent: int = 0
    errors: int = 0  # the tool could not apply or run the mutant
    baseline_s: float = 0.0
    survivors: list[str] = field(default_factory=list)
    equivalents: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def score(self) -> float | None:
        denom = self.measured - self.equivalent - self.errors
        return (self.killed + self.timeouts) / denom if denom > 0 else None


def parse_target(spec: str) -> Target:
    path, _, lines = spec.partition(":")
    if not lines:
        return Target(path, None)
    ranges = []
    for part in lines.split(","):
        a, _, b = part.partition("-")
        ranges.append((int(a), int(b or a)))
    return Target(path, ranges)


def load_modules() -> tuple[dict, dict[str, Module]]:
    cfg = tomllib.loads(CONFIG.read_text())
    d = cfg["defaults"]
    sample = int(os.environ.get("MUTATION_SAMPLE", d["sample"]))
    seed = int(os.environ.get("MUTATION_SEED", d["seed"]))
    mods = {}
    for name, m in cfg["modules"].items():
        mods[name] = Module(
            name=name,
            targets=[parse_target(p) for p in m["paths"]],
            tests=list(m["tests"]),
            sample=int(os.environ.get("MUTATION_SAMPLE", m.get("sample", sample))),
            seed=seed,
        )
    return d, mods


def load_equivalents() -> list[dict]:
    if not EQUIVALENTS.exists():
        return []
    return tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", [])


def pytest_command(tests: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        *tests,
    ]


def annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    tree = ast.parse(path.read_text())
    spans = []
    for node in ast.walk(tree):
        anns = []
        if isinstance(node, ast.arg) and node.annotation is not None:
            anns.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            anns.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        for a in anns:
            spans.append(((a.lineno, a.col_offset), (a.end_lineno, a.end_col_offset)))
    return spans


def wanted(mutation, targets: dict[str, Target], spans: dict) -> bool:
    t = targets[str(mutation.module_path)]
    line = mutation.start_pos[0]
    if t.ranges is not None and not any(a <= line <= b for a, b in t.ranges):
        return False
    pos = tuple(mutation.start_pos)
    return not any(s <= pos < e for s, e in spans[t.path])


def changed_lines(diff: str) -> tuple[str, str]:
    old = [
        ln[1:].strip()
        for ln in diff.splitlines()
        if ln.startswith("-") and not ln.startswith("---")
    ]
    new = [
        ln[1:].strip()
        for ln in diff.splitlines()
        if ln.startswith("+") and not ln.startswith("+++")
    ]
    return " / ".join(old), " / ".join(new)


def is_equivalent(path: str, operator: str, diff: str, equivalents: list[dict]) -> str | None:
    old, new = changed_lines(diff)
    for e in equivalents:
        paths = e["path"] if isinstance(e["path"], list) else [e["path"]]
        if (
            path in paths
            and e["operator"] == operator
            and e["line"].strip() == old
            and e["mutated"].strip() == new
        ):
            return e["why"]
    return None


def run_module(mod: Module, defaults: dict, *, report_only: bool) -> Row:
    from cosmic_ray.commands import execute, init
    from cosmic_ray.config import ConfigDict
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    row = Row(mod.name)
    SESSIONS.mkdir(exist_ok=True)
    session = SESSIONS / f"{mod.name}.sqlite"
    targets = {t.path: t for t in mod.targets}

    if not report_only:
        t0 = time.monotonic()
        base = subprocess.run(pytest_command(mod.tests), capture_output=True, text=True)
        row.baseline_s = time.monotonic() - t0
        if base.returncode != 0:
            row.note = "baseline FAILED: the unmutated tests must pass\n" + base.stdout[-1500:]
            return row
        timeout = max(float(defaults["min_timeout"]), defaults["timeout_factor"] * row.baseline_s)
        config = ConfigDict(
            {
                "module-path": [t.path for t in mod.targets],
                "timeout": timeout,
                "excluded-modules": [],
                "test-command": " ".join(pytest_command(mod.tests)),
                "distributor": ConfigDict({"name": "local"}),
            }
        )
        session.unlink(missing_ok=True)
        with use_db(str(session), WorkDB.Mode.create) as db:
            init([Path(t.path) for t in mod.targets], db, {})
            spans = {t.path: annotation_spans(ROOT / t.path) for t in mod.targets}
            items = sorted(
                db.pending_work_items,
                key=lambda w: (
                    str(w.mutations[0].module_path),
                    tuple(w.mutations[0].start_pos),
                    w.mutations[0].operator_name,
                    w.mutations[0].occurrence,
                ),
            )
            keep = [w for w in items if wanted(w.mutations[0], targets, spans)]
            row.total = len(keep)
            if mod.sample and len(keep) > mod.sample:
                keep = random.Random(mod.seed).sample(keep, mod.sample)
            keep_ids = {w.job_id for w in keep}
            drop = [w.job_id for w in items if w.job_id not in keep_ids]
            if drop:
                db.set_multiple_results(
                    drop,
                    WorkResult(output="not measured", worker_outcome=WorkerOutcome.SKIPPED),
                )
            execute(db, config)

    if not session.exists():
        row.note = "no session: run it first"
        return row
    # Counted under the current config, so narrowing a module's lines and re-reading with
    # --report measures the sampled mutants that still belong to it.
    spans = {t.path: annotation_spans(ROOT / t.path) for t in mod.targets}
    equivalents = load_equivalents()
    with use_db(str(session), WorkDB.Mode.open) as db:
        row.total = sum(
            1
            for w in db.work_items
            if str(w.mutations[0].module_path) in targets and wanted(w.mutations[0], targets, spans)
        )
        for item, result in db.completed_work_items:
            m = item.mutations[0]
            if result.worker_outcome == WorkerOutcome.SKIPPED or not (
                str(m.module_path) in targets and wanted(m, targets, spans)
            ):
                continue
            row.measured += 1
            where = f"{m.module_path}:{m.start_pos[0]}"
            if result.worker_outcome != WorkerOutcome.NORMAL:
                row.errors += 1
                row.survivors.append(f"  ERROR {where} {m.operator_name}: {result.worker_outcome}")
                continue
            if result.test_outcome == "survived":
                old, new = changed_lines(result.diff or "")
                why = is_equivalent(
                    str(m.module_path), m.operator_name, result.diff or "", equivalents
                )
                line = f"  {where} {m.operator_name.removeprefix('core/')}: `{old}` -> `{new}`"
                if why:
                    row.equivalent += 1
                    row.equivalents.append(f"{line}  [equivalent: {why}]")
                else:
                    row.survived += 1
                    row.survivors.append(line)
            elif result.output == "timeout":
                row.timeouts += 1
            else:
                row.killed += 1
    row.survivors.sort(key=_line_key)
    row.equivalents.sort(key=_line_key)
    return row


def _line_key(s: str):
    where = s.split()[0] if not s.strip().startswith("ERROR") else s.split()[1]
    path, _, line = where.rpartition(":")
    return (path, int(line) if line.isdigit() else 0, s)


def table(rows: list[Row]) -> str:
    head = (
        f"{'module':<18} {'all':>5} {'measured':>8} {'killed':>6} {'timeout':>7} "
        f"{'survived':>8} {'equiv':>5} {'errors':>6} {'score':>7}"
    )
    out = [head, "-" * len(head)]
    for r in rows:
        score = f"{r.score:.0%}" if r.score is not None else "-"
        out.append(
            f"{r.name:<18} {r.total:>5} {r.measured:>8} {r.killed:>6} {r.timeouts:>7} "
            f"{r.survived:>8} {r.equivalent:>5} {r.errors:>6} {score:>7}"
        )
    return "\n".join(out)


def details(r: Row) -> str:
    out = [f"[{r.name}] baseline {r.baseline_s:.1f}s {r.note}".rstrip()]
    if r.survivors:
        out.append(" surviving (not equivalent):")
        out += r.survivors
    if r.equivalents:
        out.append(" surviving, judged equivalent:")
        out += r.equivalents
    return "\n".join(out)


def _stop(signum, frame):  # unwind so Cosmic Ray puts the unmutated file back
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "modules", nargs="*", help="module names from tools/mutation.toml (default: all)"
    )
    ap.add_argument("--report", action="store_true", help="only re-read the last sessions")
    ap.add_argument("--list", action="store_true", help="list the modules and exit")
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    defaults, mods = load_modules()
    if args.list:
        for m in mods.values():
            print(f"{m.name:<18} {' '.join(t.path for t in m.targets)}")
        return 0
    unknown = [n for n in args.modules if n not in mods]
    if unknown:
        print(f"unknown module(s): {', '.join(unknown)}; known: {', '.join(mods)}", file=sys.stderr)
        return 2
    chosen = [mods[n] for n in (args.modules or mods)]
    paths = sorted({t.path for m in chosen for t in m.targets})
    if not args.report and not os.environ.get("MUTATION_ALLOW_DIRTY"):
        dirty = subprocess.run(
            ["git", "diff", "--name-only", "--", *paths], capture_output=True, text=True
        ).stdout
        if dirty.strip():
            print(
                "refusing to run: these files differ from git (a leftover mutant?):\n"
                f"{dirty}restore them (git checkout -- FILE) or set MUTATION_ALLOW_DIRTY=1",
                file=sys.stderr,
            )
            return 2
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    )
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    sample = os.environ.get("MUTATION_SAMPLE", defaults["sample"])
    seed = os.environ.get("MUTATION_SEED", defaults["seed"])
    print(
        f"# mutation run {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())} "
        f"commit {_head()} sample {sample} seed {seed}",
        flush=True,
    )
    rows = []
    for m in chosen:
        t0 = time.monotonic()
        row = run_module(m, defaults, report_only=args.report)
        rows.append(row)
        print(table([row]).splitlines()[-1] + f"   ({time.monotonic() - t0:.0f}s)", flush=True)
        print(details(row), flush=True)
    print()
    print(table(rows))
    print("score = (killed + timeout) / (measured - equivalent - errors)")
    return 0


def _head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
