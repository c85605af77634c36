"""Team sandbox benchmark (D24; not part of the pass/fail suite; prints figures).

Run: python -m tests.perf.bench_team [--seconds 5] [--clients 8] [--durable]

For SQLite in one process, PostgreSQL with 1 worker and PostgreSQL with 2 workers: POST
/quotes + POST /transactions pairs/s with p50/p99 pair latency, the same server's
GET /sandbox/health rate and their ratio, and on PostgreSQL the database's commits per pair
(pg_stat_database.xact_commit over the pair rounds, settlement included).

PostgreSQL is a throwaway cluster (tests.support.pg) on this machine, so it shares the two
cores with the sandbox and the load generator. By default it runs with fsync and
synchronous_commit off (like the tests); --durable turns both on (a commit waits for its
WAL flush, as a real team server would).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import psutil
import psycopg

from tests.perf.bench_sandbox import pct, run_health, run_pairs, setup
from tests.support.pg import start_cluster
from tests.support.sandbox import start_sandbox


def _commits(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


async def measure(sb, args, dsn: str | None) -> dict:
    u = urlparse(sb.base_url)
    host, port, prefix = u.hostname, u.port, u.path
    creds = {"apiKey": sb.api_key, "apiSecret": sb.api_secret}
    token, wallets = await setup(host, port, prefix, creds, args.clients)
    await run_pairs(host, port, prefix, token, wallets, 0.5)  # warm-up
    await run_health(host, port, prefix, args.clients, 0.5)
    procs = [psutil.Process(sb.pid), *psutil.Process(sb.pid).children()]

    def cpu() -> float:
        return sum(p.cpu_times().user + p.cpu_times().system for p in procs)

    lat: list[float] = []
    pair_time = health_count = health_time = 0.0
    health_cpu = pair_cpu = 0.0
    commits = errors = 0
    slot = args.seconds / args.rounds
    for _ in range(args.rounds):
        c0 = cpu()
        rate = await run_health(host, port, prefix, args.clients, slot)
        health_cpu += cpu() - c0
        health_count += rate * slot
        health_time += slot
        await asyncio.sleep(6)  # the previous round's sends settle (D21: 5 s), untimed
        before = _commits(dsn) if dsn else 0
        c0 = cpu()
        r_lat, elapsed, errs = await run_pairs(host, port, prefix, token, wallets, slot)
        await asyncio.sleep(6)  # ... and these sends' settlement counts with them
        pair_cpu += cpu() - c0
        if dsn:
            await asyncio.sleep(1)  # statistics reach pg_stat_database within a second
            commits += _commits(dsn) - before
        lat += r_lat
        pair_time += elapsed
        errors += errs
    pairs = len(lat) / pair_time
    health = health_count / health_time
    return {
        "pairs": pairs,
        "p50": 1000 * statistics.median(lat),
        "p99": 1000 * pct(lat, 99),
        "health": health,
        "ratio": pairs / health,
        "errors": errors,
        "commits_per_pair": commits / len(lat) if dsn else None,
        "cpu_ratio": (health_cpu / health_count) / (pair_cpu / max(1, len(lat))),
    }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--durable", action="store_true", help="PostgreSQL with fsync on")
    args = p.parse_args()
    cluster = start_cluster(durable=args.durable)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as d:
            for label, backend, workers in (
                ("SQLite, 1 process", "sqlite", 1),
                ("PostgreSQL, 1 worker", "postgresql", 1),
                ("PostgreSQL, 2 workers", "postgresql", 2),
            ):
                dsn = cluster.new_database("bench") if backend == "postgresql" else None
                extra = ("--database", dsn, "--workers", str(workers)) if dsn else ()
                sb = start_sandbox(Path(d) / label.replace(" ", "_"), *extra, clock="real")
                try:
                    rows.append((label, asyncio.run(measure(sb, args, dsn))))
                finally:
                    sb.stop()
    finally:
        cluster.stop()
    print(
        f"clients {args.clients}, {args.seconds:.0f} s per load in {args.rounds} rounds,"
        f" PostgreSQL {'durable (fsync on)' if args.durable else 'fsync off'}"
    )
    for label, r in rows:
        cpp = "" if r["commits_per_pair"] is None else f"  commits/pair {r['commits_per_pair']:.2f}"
        print(
            f"{label:22s} pairs {r['pairs']:7.1f}/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
            f"  health {r['health']:7.1f}/s  pairs/health {100 * r['ratio']:5.1f} %"
            f"  CPU-bound ratio {100 * r['cpu_ratio']:5.1f} %  errors {r['errors']}{cpp}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
