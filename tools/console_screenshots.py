"""Issue 14 screenshots: ``python -m tools.console_screenshots docs/screenshots [light|dark]``.

Runs the real app against a temporary embedded demo sandbox (offscreen works: every shot
is ``QWidget.grab()``), and grabs the main window at 1024×700 and 1600×1000 with the first
customer's transaction story open, then the Transactions tab with a failed send selected,
then the first customer's cash-in (its link followed: told above its transaction).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tools.screenshots import _until

SIZES = ((1024, 700), (1600, 1000))


async def _settle() -> None:
    # qasync runs Qt's events while we wait (never processEvents() inside a coroutine: a
    # task re-entered that way is lost, and the request it held blocks the client's pool).
    await asyncio.sleep(0.3)


async def _shoot(desk, out: Path, mode: str) -> None:
    w = desk.window
    await _until(lambda: w.model.rowCount() > 0)
    await _until(lambda: w.detail.customer is not None and not w.detail.loading)
    d = w.detail
    await _until(lambda: d.tx_model.rowCount() > 0, 10)
    d.tx_view.selectRow(0)
    view = w.transactions_view
    await _until(lambda: view.model.rowCount() > 0, 10)
    failed = next(
        (
            r
            for r in range(view.model.rowCount())
            if str(view.model.transaction(r).status) == "failed"
        ),
        0,
    )
    for width, height in SIZES:
        w.resize(width, height)
        w.tabs.setCurrentWidget(w.customers_page)
        d.scroll.ensureWidgetVisible(d.story)
        await _settle()
        w.grab().save(str(out / f"console-customer-{width}x{height}-{mode}.png"))
        w.tabs.setCurrentWidget(view)
        view.select(view.model.transaction(failed).id)
        await _settle()
        w.grab().save(str(out / f"console-transactions-{width}x{height}-{mode}.png"))
    # The Fund with cash of the first customer: its cash-in link followed (no dialog).
    rows = (view.model.transaction(r) for r in range(view.model.rowCount()))
    cash = next((t for t in rows if t.cash_in_id), None)
    if cash is not None:
        w.go_to(cash.cash_in_id)
        await _until(lambda: view.detail.rel is not None, 10)
        for width, height in SIZES:
            w.resize(width, height)
            await _settle()
            w.grab().save(str(out / f"console-cash-in-{width}x{height}-{mode}.png"))
    desk.request_quit()


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots import run_and_shoot

    return run_and_shoot(_shoot, argv, prefix="oms-desk-console-shots-")


if __name__ == "__main__":
    sys.exit(main())
