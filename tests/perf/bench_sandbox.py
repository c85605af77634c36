"""Sandbox benchmark (not part of the pass/fail suite; prints figures).

Run: python -m tests.perf.bench_sandbox [--seconds 5] [--clients 8] [--customers 100000]

1. 8 concurrent keep-alive clients doing POST /quotes + POST /transactions pairs:
   pairs/s, p50/p99 pair latency; the same server's GET /sandbox/health rate; their ratio
   (target: pairs >= 25 % of the health rate). A second reference in the same run: the same
   pairs against a minimal FastAPI app doing one SQLite insert per request
   (tests/perf/reference_app.py), so the ratio cannot flatter by a slow health route.
2. GET /customers first page vs a deep page (startingAfter near the end) with 100,000
   customers (target: deep <= 2 x first).

The load generator is a minimal HTTP/1.1 client on asyncio streams, so that on a small machine
the client's own cost does not hide the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import psutil

from tests.support.sandbox import start_sandbox

EXT_ADDR = "0xabC1230000000000000000000000000000DEf456"
IDENTITY = {
    "type": "individual",
    "firstName": "Bench",
    "lastName": "Mark",
    "birthDate": "1990-01-01",
    "residentialAddress": {
        "line1": "1 Main St",
        "city": "Austin",
        "state": "TX",
        "country": "US",
        "zipCode": "73301",
    },
    "identifyingInformation": [{"type": "ssn", "issuingCountry": "US", "number": "123456789"}],
}


class Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int, token: str | None = None):
        self.host, self.port, self.token = host, port, token
        self.reader = self.writer = None

    async def open(self) -> Conn:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def request(self, method: str, path: str, body=None, idem: bool = False):
        payload = json.dumps(body).encode() if body is not None else b""
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(payload)}",
        ]
        if payload:
            head.append("Content-Type: application/json")
        if self.token:
            head.append(f"Authorization: Bearer {self.token}")
        if idem:
            head.append(f"Idempotency-Key: {uuid.uuid4()}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            if k.lower() == "content-length":
                length = int(v)
        data = await self.reader.readexactly(length)
        return status, data

    def close(self):
        if self.writer:
            self.writer.close()


async def setup(host, port, prefix, creds, clients: int):
    c = await Conn(host, port).open()
    st, data = await c.request("POST", f"{prefix}/auth/token", creds)
    token = json.loads(data)["accessToken"]
    c.token = token
    wallets = []
    for _ in range(clients):
        _, data = await c.request("POST", f"{prefix}/customers", IDENTITY, idem=True)
        cust = json.loads(data)
        _, data = await c.request(
            "POST",
            f"{prefix}/customers/{cust['id']}/wallets",
            {"asset": "usdc", "chain": "polygon"},
            idem=True,
        )
        w = json.loads(data)
        st, _ = await c.request(
            "POST", f"{prefix}/sandbox/wallets/{w['id']}/deposit", {"amount": "100000000.00"}
        )
        assert st == 201
        wallets.append((cust["id"], w["id"]))
    c.close()
    return token, wallets


async def run_pairs(host, port, prefix, token, wallets, seconds):
    latencies: list[float] = []
    errors = [0]
    stop_at = time.perf_counter() + seconds

    async def worker(cust_id, wallet_id):
        c = await Conn(host, port, token).open()
        body = {
            "customerId": cust_id,
            "source": {
                "walletId": wallet_id,
                "asset": "usdc",
                "network": "polygon",
                "amount": "1.00",
            },
            "destination": {
                "wallet": {"blockchainAddress": EXT_ADDR},
                "asset": "usdc",
                "network": "polygon",
            },
            "sponsorGas": True,
        }
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            st, data = await c.request("POST", f"{prefix}/quotes", body, idem=True)
            if st != 201:
                errors[0] += 1
                continue
            qid = json.loads(data)["id"]
            st, _ = await c.request("POST", f"{prefix}/transactions", {"quoteId": qid}, idem=True)
            if st != 201:
                errors[0] += 1
                continue
            latencies.append(time.perf_counter() - t0)
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c, w) for c, w in wallets))
    elapsed = time.perf_counter() - t0
    return latencies, elapsed, errors[0]


async def run_health(host, port, prefix, clients, seconds):
    count = [0]
    stop_at = time.perf_counter() + seconds

    async def worker():
        c = await Conn(host, port).open()
        while time.perf_counter() < stop_at:
            st, _ = await c.request("GET", f"{prefix}/sandbox/health")
            assert st == 200
            count[0] += 1
        c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return count[0] / (time.perf_counter() - t0)


async def page_latency(host, port, prefix, token, params: str, n: int) -> list[float]:
    c = await Conn(host, port, token).open()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        st, data = await c.request("GET", f"{prefix}/customers?{params}")
        out.append(time.perf_counter() - t0)
        assert st == 200, data
    c.close()
    return out


async def reference_pairs_rate(tmp: Path, wallets, args) -> float:
    """The same pair load against tests/perf/reference_app.py, in the same interleaved way."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.reference_app", str(tmp / "reference.db")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        port = json.loads(proc.stdout.readline())["port"]
        await run_pairs("127.0.0.1", port, "/v0.9", None, wallets, 0.5)  # warm-up
        done = elapsed_all = 0.0
        for _ in range(args.rounds):
            lat, elapsed, _errs = await run_pairs(
                "127.0.0.1", port, "/v0.9", None, wallets, args.seconds / args.rounds
            )
            done += len(lat)
            elapsed_all += elapsed
        return done / elapsed_all
    finally:
        proc.terminate()
        proc.wait(10)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def main_async(args, sb) -> None:
    u = urlparse(sb.base_url)
    host, port, prefix = u.hostname, u.port, u.path
    creds = {"apiKey": sb.api_key, "apiSecret": sb.api_secret}
    token, wallets = await setup(host, port, prefix, creds, args.clients)

    # warm-up
    await run_pairs(host, port, prefix, token, wallets, 0.5)
    await run_health(host, port, prefix, args.clients, 0.5)

    # Interleave the two loads (the machine may be shared): rounds of health then pairs,
    # each for seconds/rounds; the figures are over all rounds.
    # The server's own CPU time per request is also measured (psutil): on a shared machine it
    # is a steadier figure than wall-clock rates.
    proc = psutil.Process(sb.pid)

    def cpu() -> float:
        t = proc.cpu_times()
        return t.user + t.system

    lat: list[float] = []
    pair_time = health_count = health_time = health_cpu = pair_cpu = 0.0
    errors = 0
    slot = args.seconds / args.rounds
    for _ in range(args.rounds):
        c0 = cpu()
        rate = await run_health(host, port, prefix, args.clients, slot)
        health_cpu += cpu() - c0
        health_count += rate * slot
        health_time += slot
        await asyncio.sleep(6)  # let the previous round's sends settle (D21: 5 s) untimed
        c0 = cpu()
        r_lat, elapsed, errs = await run_pairs(host, port, prefix, token, wallets, slot)
        await asyncio.sleep(6)  # ...and count the settlement of these sends in their CPU
        pair_cpu += cpu() - c0
        lat += r_lat
        pair_time += elapsed
        errors += errs
    pairs_rate = len(lat) / pair_time
    health_rate = health_count / health_time
    ref_rate = await reference_pairs_rate(sb.data_dir.parent, wallets, args)
    print(
        f"clients: {args.clients}, {args.seconds:.0f} s per load in {args.rounds} interleaved"
        f" rounds, clock {args.clock}"
    )
    print(
        f"quote+transaction pairs: {pairs_rate:8.1f} pairs/s  ({2 * pairs_rate:.1f} req/s)"
        f"  p50 {1000 * statistics.median(lat):6.1f} ms  p99 {1000 * pct(lat, 99):6.1f} ms"
        f"  errors {errors}"
    )
    print(f"GET /sandbox/health:     {health_rate:8.1f} req/s")
    ratio = pairs_rate / health_rate
    print(
        f"ratio pairs/health:      {100 * ratio:8.1f} %  (target >= 25 %)"
        f"  {'OK' if ratio >= 0.25 else 'BELOW TARGET'}"
    )
    print(
        f"reference (FastAPI + one SQLite insert per request): {ref_rate:8.1f} pairs/s;"
        f" sandbox pairs / reference pairs {100 * pairs_rate / ref_rate:.1f} %"
    )
    cpu_health = health_cpu / health_count
    cpu_pair = pair_cpu / max(1, len(lat))
    print(
        f"server CPU per request:  health {1e6 * cpu_health:.0f} us, pair {1e6 * cpu_pair:.0f} us"
        f" incl. its settlement -> CPU-bound capacity ratio {100 * cpu_health / cpu_pair:.1f} %"
    )

    db = sqlite3.connect(f"file:{sb.data_dir / 'sandbox.db'}?mode=ro", uri=True)
    n_cust = db.execute("SELECT COUNT(*) FROM resources WHERE kind='customer'").fetchone()[0]
    deep = db.execute(
        "SELECT id FROM resources WHERE kind='customer' ORDER BY created_ms, id LIMIT 1 OFFSET 100"
    ).fetchone()[0]
    db.close()
    await page_latency(host, port, prefix, token, "limit=50", 20)  # warm-up
    first = await page_latency(host, port, prefix, token, "limit=50", args.pages)
    deep_l = await page_latency(
        host, port, prefix, token, f"limit=50&startingAfter={deep}", args.pages
    )
    f50, d50 = statistics.median(first), statistics.median(deep_l)
    print(
        f"GET /customers ({n_cust} customers, limit 50): first page p50 {1000 * f50:.2f} ms"
        f" p99 {1000 * pct(first, 99):.2f} ms; deep page (startingAfter the 101st-oldest)"
        f" p50 {1000 * d50:.2f} ms p99 {1000 * pct(deep_l, 99):.2f} ms;"
        f" deep/first {d50 / f50:.2f}x (target <= 2x) {'OK' if d50 <= 2 * f50 else 'SLOW'}"
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--pages", type=int, default=200)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--clock", choices=("real", "manual"), default="real")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        sb = start_sandbox(
            Path(d) / "bench", "--demo-customers", str(args.customers), clock=args.clock
        )
        print(
            f"sandbox with {args.customers} bulk customers ready in"
            f" {time.perf_counter() - t0:.1f} s"
        )
        try:
            asyncio.run(main_async(args, sb))
        finally:
            sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
