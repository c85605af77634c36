"""Issue 14 screenshots: ``python -m tools.console_screenshots docs/screenshots [light|dark]``.

Runs the real app against a temporary embedded demo sandbox (offscreen works: every shot
is ``QWidget.grab()``), and grabs the main window at 1024×700 and 1600×1000 with the first
customer's transaction story open, then the Transactions tab with a failed send selected.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from argparse import Namespace
from pathlib import Path

from tools.screenshots import _until

SIZES = ((1024, 700), (1600, 1000))


async def _settle() -> None:
    from PySide6.QtWidgets import QApplication

    for _ in range(6):
        QApplication.processEvents()
        await asyncio.sleep(0.05)


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
    desk.request_quit()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "docs/screenshots").resolve()
    mode = argv[1] if len(argv) > 1 else "light"
    out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="oms-desk-console-shots-")
    os.environ["OMS_DESK_HOME"] = home
    from PySide6.QtCore import QSettings

    from desktop.config import default_paths

    paths = default_paths().ensure()
    QSettings(str(paths.qsettings_file), QSettings.Format.IniFormat).setValue("theme", mode)
    import desktop.app as app_mod

    orig = app_mod.DeskApp._on_first_page

    def hooked(self, n):
        first = self.first_rows_at is None
        orig(self, n)
        if first:
            self.scope.spawn(_shoot(self, out, mode), name="screenshots")

    app_mod.DeskApp._on_first_page = hooked
    args = Namespace(
        profile=None,
        sandbox_data=str(Path(home) / "sandbox"),
        self_test=False,
        qt_args=[],
        sandbox_args=[],
    )
    return app_mod.run(args)


if __name__ == "__main__":
    sys.exit(main())
