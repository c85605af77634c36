"""Where the app's memory goes at its first painted customer rows (run explicitly).

    python -m tests.perf.profile_memory [--sandbox-data DIR] [--top 20]

Runs ``python -m desktop`` in this process with tracemalloc on (Python allocations, by
module of the allocating line and by file) and, at the first painted row, prints the top
items plus the process's RSS split by mapping (``/proc/self/smaps``: Qt and other shared
libraries, the Python heap, anonymous memory), since most of the RSS is not Python objects.
tracemalloc itself adds memory: the RSS printed here is higher than without it.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import tracemalloc


def smaps_by_mapping(top: int) -> list[tuple[str, int]]:
    sizes: collections.Counter[str] = collections.Counter()
    name = "?"
    with open("/proc/self/smaps", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if not parts:
                continue
            if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
                path = parts[5] if len(parts) >= 6 else "[anon]"
                base = os.path.basename(path)
                if base.startswith("libQt6"):
                    base = base.split(".so")[0]
                elif ".cpython-" in base:
                    base = "python extension " + base.split(".cpython-")[0]
                name = base
            elif parts[0] == "Rss:":
                sizes[name] += int(parts[1])
    return sizes.most_common(top)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sandbox-data")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    tracemalloc.start(1)
    home = tempfile.mkdtemp(prefix="profile-memory-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["OMS_DESK_HOME"] = home
    os.environ["OMS_DESK_BENCH_FIRST_PAINT"] = "1"
    from desktop import __main__ as entry
    from desktop import app as app_mod

    done = [False]
    orig = app_mod.DeskApp.request_quit

    def request_quit(self) -> None:
        if not done[0] and self.first_rows_at is not None:
            done[0] = True
            report(args.top)
        orig(self)

    app_mod.DeskApp.request_quit = request_quit  # type: ignore[method-assign]
    data = args.sandbox_data or os.path.join(home, "sandbox")
    entry.main(["--sandbox-data", data])


def report(top: int) -> None:
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    traced, _peak = tracemalloc.get_traced_memory()
    by_mod: collections.Counter[str] = collections.Counter()
    for stat in snap.statistics("filename"):
        f = stat.traceback[0].filename
        key = f
        for marker in ("site-packages/", "/lib/python3"):
            if marker in f:
                key = f.split(marker, 1)[1]
                break
        if "/desktop/" in f:
            key = "desktop/" + f.split("/desktop/", 1)[1]
        top_pkg = key.split("/", 1)[0] if "/" in key else key
        by_mod[top_pkg] += stat.size
    with open("/proc/self/statm", encoding="ascii") as fh:
        rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    print(
        f"\nRSS {rss / 2**20:.1f} MB (with tracemalloc); Python heap traced {traced / 2**20:.1f} MB"
    )
    print(f"\n## RSS by mapping (/proc/self/smaps), top {top}")
    for name, kb in smaps_by_mapping(top):
        print(f"  {kb / 1024:7.1f} MB  {name}")
    print(f"\n## Python allocations by package (tracemalloc), top {top}")
    for name, size in by_mod.most_common(top):
        print(f"  {size / 2**20:7.2f} MB  {name}")
    print(f"\n## Python allocations by line (tracemalloc), top {top}")
    for stat in snap.statistics("lineno")[:top]:
        fr = stat.traceback[0]
        f = fr.filename.split("site-packages/")[-1].split("/lib/python3.11/")[-1]
        print(f"  {stat.size / 2**20:7.2f} MB  {stat.count:7d} blocks  {f}:{fr.lineno}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
