"""Start-up benchmark (run explicitly; prints figures, asserts nothing).

    python -m tests.perf.bench_startup [--runs 5] [--tree before=/work/main --tree after=.]
                                       [--platforms offscreen,xvfb] [--from-source]

Times, in one run and alternating (round-robin, so machine load hits every variant alike):

- the floor: a bare PySide6 window with a table (process start → first rows painted);
- the app to first customer rows painted with the sandbox already running (the app's
  child exits 3 and the app reuses it);
- the app to first rows with the embedded sandbox started by the app, on an existing
  data dir and on a first run (a fresh data dir, demo data seeded);
- RSS of the app and of its sandbox child at that moment (read by this process as soon
  as the first-paint line arrives);
- the sandbox on its own: process start → ready line, existing and fresh data dir;

- the reference: Electrum (the Python Qt desktop wallet, ``apt-get install electrum``),
  process start → its wallet window painted, on an offline testnet wallet made once
  non-interactively (``electrum --testnet --offline create``), with its RSS then. The
  probe is ``tests/perf/electrum_probe/sitecustomize.py`` on Electrum's PYTHONPATH: the
  first Paint of the window's widgets, reported after that paint, as the desk's own probe;

each as a median, as a ratio to the floor and to Electrum of the same round (the issue's
aim: first rows in ≤ 0.5× Electrum's time to window, app RSS below Electrum's), offscreen
and under Xvfb (``Xvfb :99 -noreset``) when it is installed, with the 1-minute load
average while each variant ran. Several ``--tree LABEL=PATH`` run the same variants
against different checkouts (e.g. main and a branch) in the same rounds. Finally
``python -X importtime`` top 15 for the app and the sandbox child.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]

FLOOR = r"""
import json, sys, time
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QTableView
app = QApplication([])
class M(QAbstractTableModel):
    def rowCount(self, p=QModelIndex()): return 0 if p.isValid() else 100
    def columnCount(self, p=QModelIndex()): return 0 if p.isValid() else 6
    def data(self, i, r=Qt.ItemDataRole.DisplayRole):
        return f"Customer {i.row()} {i.column()}" if r == Qt.ItemDataRole.DisplayRole else None
v = QTableView(); m = M(); v.setModel(m); v.resize(1200, 800)
class P(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            o.removeEventFilter(self)
            def report():
                print(json.dumps({"event": "firstRowPainted", "wall": time.time()}), flush=True)
                sys.stdin.read(); app.quit()
            QTimer.singleShot(0, report)
        return False
p = P(); v.viewport().installEventFilter(p); v.show(); app.exec()
"""


def _rss_mb(pid: int | None) -> float | None:
    if not pid:
        return None
    try:
        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except psutil.Error:
        return None


def _read_lines_until(proc, pred, timeout: float) -> list[dict]:
    out: list[dict] = []
    done = threading.Event()

    def reader() -> None:
        for line in proc.stdout:
            if line.startswith("{"):
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                out.append(d)
                if pred(d):
                    break
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    return out


def run_floor(env: dict) -> dict:
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-c", FLOOR],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = _read_lines_until(proc, lambda d: d.get("event") == "firstRowPainted", 60)
    rss = _rss_mb(proc.pid)
    proc.stdin.close()
    proc.wait(30)
    return {"s": lines[-1]["wall"] - t0, "app_mb": rss, "child_mb": None}


ELECTRUM_PROBE = Path(__file__).resolve().parent / "electrum_probe"


def setup_electrum(home: Path) -> Path | None:
    """An offline testnet wallet, no password, no first-run questions; None if Electrum is
    not installed. One warm-up start so every timed start finds the same files."""
    exe = shutil.which("electrum")
    if exe is None:
        return None
    base = [exe, "--testnet", "--offline", "-D", str(home)]
    run = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=True)
    subprocess.run([*base, "create", "-W", ""], **run)
    subprocess.run([*base, "setconfig", "check_updates", "false"], **run)
    subprocess.run([*base, "setconfig", "dont_show_testnet_warning", "true"], **run)
    return home


def run_electrum(home: Path, env: dict) -> dict | None:
    env = dict(env, PYTHONPATH=str(ELECTRUM_PROBE))
    t0 = time.time()
    proc = subprocess.Popen(
        [shutil.which("electrum") or "electrum", "--testnet", "--offline", "-D", str(home)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = _read_lines_until(proc, lambda d: d.get("event") == "windowPainted", 120)
    rss = _rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    if not lines or lines[-1].get("event") != "windowPainted":
        print("  (Electrum did not paint its window)", flush=True)
        return None
    return {"s": lines[-1]["wall"] - t0, "app_mb": rss, "child_mb": None}


def run_app(tree: Path, env: dict, home: Path, data: Path, reused_pid: int | None) -> dict:
    env = dict(
        env,
        OMS_DESK_HOME=str(home),
        OMS_DESK_BENCH_FIRST_PAINT="1",
        OMS_DESK_ANNOUNCE="1",
        PYTHONPATH=str(tree),
    )
    t0 = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--sandbox-data", str(data)],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(home.parent / f"{home.name}.stderr", "w"),  # noqa: SIM115
        text=True,
    )
    lines = _read_lines_until(proc, lambda d: d.get("event") == "firstRowPainted", 120)
    if not lines or lines[-1].get("event") != "firstRowPainted":
        proc.kill()
        proc.wait(10)
        err = (home.parent / f"{home.name}.stderr").read_text()[-500:]
        print(f"  (no first paint from {tree}: {lines} {err})", flush=True)
        return None
    app_mb = _rss_mb(proc.pid)
    sb_pid = next((d.get("sandboxPid") for d in lines if d.get("event") == "session"), None)
    child_mb = _rss_mb(sb_pid)
    proc.wait(60)
    return {
        "s": lines[-1]["wall"] - t0,
        "app_mb": app_mb,
        "child_mb": child_mb,
        "marks": lines[-1].get("marks"),
        "reused": reused_pid is not None and sb_pid == reused_pid,
    }


def start_running_sandbox(tree: Path, data: Path):
    """The tree's sandbox on ``data``, once its ready line is out (raises if it never is)."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop.sandbox", "--port", "0", "--data-dir", str(data), "--demo"],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if not _read_lines_until(proc, lambda d: d.get("event") == "ready", 60):
        proc.kill()
        proc.wait(10)
        raise RuntimeError(f"sandbox in {tree} did not start")
    return proc


def run_sandbox_alone(tree: Path, data: Path) -> dict:
    t0 = time.time()
    proc = start_running_sandbox(tree, data)
    dt = time.time() - t0
    rss = _rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    return {"s": dt, "app_mb": None, "child_mb": rss}


def importtime_top(cmd: list[str], tree: Path, env: dict, until: str, n: int = 15) -> str:
    """Run ``cmd`` with -X importtime until a JSON line with event ``until``; top n by self
    time and the top-level packages by cumulative time."""
    env = dict(env, PYTHONPATH=str(tree), PYTHONUNBUFFERED="1")
    err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (read after the process ends)
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", *cmd],
        cwd=tree,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
    )
    _read_lines_until(proc, lambda d: d.get("event") == until, 120)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    err.seek(0)
    rows = []
    for line in err:
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = line[len("import time:") :].split("|")
        name = parts[2].rstrip("\n")
        rows.append((int(parts[0]), int(parts[1]), name.strip(), len(name) - len(name.lstrip())))
    # An import refused by a None in sys.modules (the desk and the sandbox keep trio and
    # pydantic.v1 out that way) is listed at each attempt: count each name once.
    total = sum(r[0] for r in rows)
    by_self = sorted(rows, reverse=True)[:n]
    top_level = sorted((r for r in rows if r[3] <= 1), key=lambda r: -r[1])[:n]
    out = [f"  imports: {len({r[2] for r in rows})} modules, {total / 1e6:.3f} s self total"]
    out.append("  top by self time:            top-level by cumulative time:")
    for a, b in zip(by_self, top_level, strict=False):
        out.append(f"  {a[0] / 1000:7.1f} ms {a[2][:24]:24s}   {b[1] / 1000:7.1f} ms {b[2][:30]}")
    return "\n".join(out)


def _start_xvfb() -> tuple[subprocess.Popen | None, str | None]:
    if not shutil.which("Xvfb"):
        return None, None
    for disp in (":99", ":98", ":97"):
        proc = subprocess.Popen(
            ["Xvfb", disp, "-noreset", "-screen", "0", "1920x1080x24"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sock = Path(f"/tmp/.X11-unix/X{disp[1:]}")
        for _ in range(50):
            if sock.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        if proc.poll() is None and sock.exists():
            return proc, disp
        proc.kill()
    return None, None


def byte_compile(tree: Path) -> None:
    """Write the tree's ``.pyc`` files before timing, as an installed app has them (``pip
    install`` compiles a package's modules, the .deb and the frozen builds ship them, and
    Electrum's apt package is compiled by dpkg). Without them, and with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the build machine), every start compiles the
    desk's ~120 modules from source again: ~60 ms of the app's and the child's start."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "desktop")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _fmt(vals: list[float]) -> str:
    return f"{statistics.median(vals):6.3f}"


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tree", action="append", default=[], help="LABEL=PATH (repeatable)")
    ap.add_argument("--platforms", default="offscreen,xvfb")
    ap.add_argument("--no-importtime", action="store_true")
    ap.add_argument("--no-electrum", action="store_true")
    ap.add_argument(
        "--from-source",
        action="store_true",
        help="do not byte-compile the trees first (every start compiles the desk's modules)",
    )
    args = ap.parse_args()
    trees = [(t.split("=", 1)[0], Path(t.split("=", 1)[1]).resolve()) for t in args.tree] or [
        ("this", ROOT)
    ]
    load = os.getloadavg()
    print(
        f"# OMS Desk start-up benchmark ({os.cpu_count()} CPUs, load {load[0]:.2f} "
        f"{load[1]:.2f} {load[2]:.2f} at start, {time.strftime('%H:%M UTC', time.gmtime())})"
    )
    if args.from_source:
        print("# the trees' modules are not byte-compiled first (--from-source)")
    else:
        for _label, tree in trees:
            byte_compile(tree)
        print("# each tree byte-compiled first (compileall), as an installed app is")
    xvfb = None
    platforms = []
    for p in args.platforms.split(","):
        if p == "xvfb":
            xvfb, disp = _start_xvfb()
            if xvfb is None:
                print("# Xvfb not available: offscreen only")
                continue
            platforms.append(("xvfb", dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=disp)))
        else:
            platforms.append((p, dict(os.environ, QT_QPA_PLATFORM=p)))
    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    running = {}
    try:
        electrum = None if args.no_electrum else setup_electrum(tmp / "electrum")
        if electrum is None:
            print("# Electrum not installed (apt-get install electrum): no reference column")
        else:
            version = subprocess.run(
                ["electrum", "version", "--offline"], capture_output=True, text=True
            ).stdout.strip()
            print(f"# reference: Electrum {version}, offline testnet wallet, to window painted")
            run_electrum(electrum, platforms[0][1] if platforms else dict(os.environ))  # warm-up
        for label, tree in trees:  # one long-running sandbox per tree, and a seeded data dir
            running[label] = start_running_sandbox(tree, tmp / f"running-{label}")
            run_sandbox_alone(tree, tmp / f"own-{label}")  # seed once
        results: dict[tuple[str, str, str], list[dict]] = {}
        seq = 0
        for _round in range(args.runs):
            for plat, env in platforms:
                floor = run_floor(env)
                floor.update(ratio=1.0, load=_load())
                results.setdefault((plat, "", "floor: bare PySide6 window + table"), []).append(
                    floor
                )
                ref = run_electrum(electrum, env) if electrum is not None else None
                if ref is not None:
                    ref.update(ratio=ref["s"] / floor["s"], vs_ref=1.0, load=_load())
                    results.setdefault((plat, "", "Electrum: to wallet window painted"), []).append(
                        ref
                    )
                for label, tree in trees:
                    seq += 1
                    h = tmp / f"home{seq}"
                    variants = [
                        ("app, sandbox already running", "a", "running-", running[label].pid),
                        ("app + embedded sandbox, existing data", "b", "own-", None),
                        ("app + embedded sandbox, first run", "c", f"fresh{seq}-", None),
                    ]
                    for name, home, data, reuse in variants:
                        h.mkdir(parents=True, exist_ok=True)
                        res = run_app(tree, env, h / home, tmp / f"{data}{label}", reuse)
                        if res is None:
                            continue
                        res["ratio"] = res["s"] / floor["s"]
                        res["load"] = _load()
                        if ref is not None:
                            res["vs_ref"] = res["s"] / ref["s"]
                        results.setdefault((plat, label, name), []).append(res)
                        if os.environ.get("BENCH_VERBOSE"):
                            print(plat, label, name, round(res["s"], 3), res.get("marks"))
            if "offscreen" in args.platforms or not platforms:
                for label, tree in trees:
                    seq += 1
                    a = run_sandbox_alone(tree, tmp / f"own-{label}")
                    a["load"] = _load()
                    b = run_sandbox_alone(tree, tmp / f"fresh-alone{seq}")
                    b["load"] = _load()
                    results.setdefault(("-", label, "sandbox alone → ready, existing"), []).append(
                        a
                    )
                    results.setdefault(("-", label, "sandbox alone → ready, first run"), []).append(
                        b
                    )
        print(
            "\nTimes are process start → first customer rows painted (the desk), → window painted"
            "\n(floor, Electrum), → ready line (sandbox alone). ×floor and ×Electrum are medians of"
            "\nper-round ratios (aim: first rows ≤ 0.50 ×Electrum; app MB below Electrum's MB)."
        )
        print(
            f"\n{'platform':9s} {'tree':7s} {'variant':40s} {'median s':>8s} {'×floor':>7s} "
            f"{'×Electr':>7s} {'app MB':>7s} {'child MB':>8s} {'load':>5s}   (n={args.runs})"
        )

        def med(rs: list[dict], key: str, fmt: str, width: int) -> str:
            vals = [r[key] for r in rs if r.get(key) is not None]
            return format(statistics.median(vals), fmt) if vals else " " * width

        for (plat, label, name), rs in results.items():
            print(
                f"{plat:9s} {label:7s} {name:40s} {_fmt([r['s'] for r in rs]):>8s} "
                f"{med(rs, 'ratio', '7.2f', 7)} {med(rs, 'vs_ref', '7.2f', 7)} "
                f"{med(rs, 'app_mb', '7.1f', 7)} {med(rs, 'child_mb', '8.1f', 8)} "
                f"{med(rs, 'load', '5.2f', 5)}"
            )
            if any(r.get("reused") is False for r in rs) and "running" in name:
                print("          (warning: the app did not reuse the running sandbox)")
        load = os.getloadavg()
        print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        if os.cpu_count() and load[0] > os.cpu_count() / 2:
            print("(a busy machine: absolute times are noisy; compare the ratios of one round)")
        if not args.no_importtime:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
            for label, tree in trees:
                print(f"\n## python -X importtime, app to first paint ({label})")
                e = dict(
                    env,
                    OMS_DESK_HOME=str(tmp / f"it-{label}"),
                    OMS_DESK_BENCH_FIRST_PAINT="1",
                )
                print(
                    importtime_top(
                        ["-m", "desktop", "--sandbox-data", str(tmp / f"running-{label}")],
                        tree,
                        e,
                        "firstRowPainted",
                    )
                )
                print(f"\n## python -X importtime, sandbox to ready ({label})")
                print(
                    importtime_top(
                        [
                            "-m",
                            "desktop.sandbox",
                            "--port",
                            "0",
                            "--data-dir",
                            str(tmp / f"own-{label}"),
                            "--demo",
                        ],
                        tree,
                        env,
                        "ready",
                    )
                )
    finally:
        for p in running.values():
            p.send_signal(signal.SIGTERM)
            p.wait(30)
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
