"""Benchmark: event-driven tracking (issue 16 item 5) against a real sandbox.

Run:  python -m tests.perf.bench_webhooks [--n 500] [--settle 45]

For each mode — polling only, then with the desk's webhook receiver attached — it creates
N sends on a manual-clock sandbox (they stay ``processing`` until the clock moves), tracks
all of them with the default tracker, counts the requests made while nothing changes for
``--settle`` seconds, then advances the sandbox clock 5 s (every send completes) and
measures, per tracked send, the time from the advance request to the tracker reporting it
completed. Prints median and p99 of that latency and the request counts, side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from desktop.oms.client import Credentials, OmsClient
from desktop.oms.tracker import Tracker
from desktop.receiver.listener import Listener
from desktop.receiver.log import EventLog
from tests.support.client import funded_customer, send_body
from tests.support.sandbox import start_sandbox


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


async def one_mode(c: OmsClient, n: int, settle: float, events: bool, data: Path) -> dict:
    tracker = Tracker(c)
    listener = None
    log = None
    if events:
        log = EventLog(data / "events.sqlite3")
        listener = Listener(c, log, tracker=tracker)
        await listener.open()
    cust, wallet = await funded_customer(c, amount="100000.00")
    ids: list[str] = []
    sem = asyncio.Semaphore(16)

    async def one_send() -> None:
        async with sem:
            q = await c.create_quote(send_body(cust, wallet, "1.00"))
            ids.append((await c.create_transaction(q.id)).id)

    t0 = time.perf_counter()
    await asyncio.gather(*(one_send() for _ in range(n)))
    setup = time.perf_counter() - t0
    done_at: dict[str, float] = {}
    first: set[str] = set()
    changed = asyncio.Event()

    def on_update(t) -> None:
        first.add(t.id)
        if t.is_terminal:
            done_at.setdefault(t.id, time.perf_counter())
        changed.set()

    async def until(pred) -> None:
        while not pred():
            changed.clear()
            await changed.wait()

    handles = [tracker.watch("transaction", i, on_update) for i in ids]
    await until(lambda: len(first) == n)
    polls0 = tracker.polls
    await asyncio.sleep(settle)  # a benchmark, not a test: the idle window is the measurement
    idle_polls = tracker.polls - polls0
    flowing = tracker.events_flowing
    polls1 = tracker.polls
    t_adv = time.perf_counter()
    await c.sandbox_advance_clock(5)
    await until(lambda: len(done_at) == n)
    lat = [done_at[i] - t_adv for i in ids]
    out = {
        "mode": "with events" if events else "polling only",
        "setup_s": setup,
        "idle_polls": idle_polls,
        "flowing": flowing,
        "completion_polls": tracker.polls - polls1,
        "hints": tracker.hints,
        "median_ms": statistics.median(lat) * 1000,
        "p99_ms": pct(lat, 99) * 1000,
        "max_ms": max(lat) * 1000,
    }
    for h in handles:
        h.cancel()
    if listener is not None:
        await listener.aclose()
    if log is not None:
        log.close()
    await tracker.aclose()
    return out


async def main(n: int, settle: float) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    sb = start_sandbox(tmp / "sb", "--quote-ttl", "3600")
    try:
        async with OmsClient(sb.base_url, Credentials(sb.api_key, sb.api_secret)) as c:
            results = [
                await one_mode(c, n, settle, events=False, data=tmp),
                await one_mode(c, n, settle, events=True, data=tmp),
            ]
    finally:
        sb.stop()
    print(f"{n} in-flight sends; idle window {settle:.0f} s; then the clock advances 5 s")
    for r in results:
        print(
            f"{r['mode']:>13}: requests while idle {r['idle_polls']} "
            f"({r['idle_polls'] / settle:.1f}/s; events flowing at the advance: {r['flowing']}); "
            f"advance → row updated: median {r['median_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
            f"max {r['max_ms']:.0f} ms; polls during completion {r['completion_polls']}, "
            f"event hints applied {r['hints']} (setup {r['setup_s']:.1f} s)"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--settle", type=float, default=45.0)
    args = ap.parse_args()
    asyncio.run(main(args.n, args.settle))
