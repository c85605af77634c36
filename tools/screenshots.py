"""Take the README screenshots: ``python -m tools.screenshots docs/screenshots [light|dark]``.

Runs the real app (``desktop.app.run``) against a temporary embedded sandbox — started by
the app's one launcher, ``desktop.embedded.EmbeddedSandbox`` — with demo data (use a real
display or ``xvfb-run``), selects a customer with a wallet, and grabs the main window
and the New customer dialog with QWidget.grab().
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from argparse import Namespace
from pathlib import Path


async def _until(pred, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def _shoot(desk, out: Path, theme_mode: str) -> None:
    w = desk.window
    w.resize(1360, 860)
    await _until(lambda: w.model.rowCount() > 0)
    # Prefer a customer with a wallet and a transaction.
    chosen = None
    for c in w.model.objects():
        if c.wallets:
            chosen = c
            break
    chosen = chosen or w.model.objects()[0]
    w.select_customer(chosen)
    await _until(lambda: w.detail.customer is not None and not w.detail.loading)
    await _until(
        lambda: all(card.balance.text() not in ("—", "") for card in w.detail.cards.values()),
        10,
    )
    await asyncio.sleep(0.3)  # qasync runs Qt's events meanwhile (no processEvents here)
    suffix = "" if theme_mode == "light" else f"-{theme_mode}"
    w.grab().save(str(out / f"main-window{suffix}.png"))
    dlg = w.new_customer()
    dlg.resize(900, 540)
    dlg.set_value("firstName", "Ada")
    dlg.set_value("lastName", "Lovelace")
    dlg.set_value("email", "ada@example")
    dlg.set_value("phone", "+442071234567")
    dlg.set_value("birthDate", "1990-12-10")
    dlg.set_value("nationality", "GB")
    dlg.set_value("residentialAddress.line1", "12 St James's Square")
    dlg.set_value("residentialAddress.city", "London")
    dlg.set_value("residentialAddress.country", "GB")
    await asyncio.sleep(0.3)  # qasync runs Qt's events meanwhile (no processEvents here)
    dlg.grab().save(str(out / f"new-customer{suffix}.png"))
    dlg.reject()
    desk.request_quit()


def run_and_shoot(shoot, argv: list[str] | None = None, *, prefix: str = "oms-desk-shots-") -> int:
    """Run the real app on a temporary home with its embedded demo sandbox, and once the
    first customers arrive call ``shoot(desk, out_dir, theme_mode)`` (a coroutine that
    quits the app when done). ``argv``: ``[out_dir] [light|dark]``."""
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "docs/screenshots").resolve()
    theme_mode = argv[1] if len(argv) > 1 else "light"
    out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix=prefix)
    os.environ["OMS_DESK_HOME"] = home
    from PySide6.QtCore import QSettings

    from desktop.config import default_paths

    paths = default_paths().ensure()
    QSettings(str(paths.qsettings_file), QSettings.Format.IniFormat).setValue("theme", theme_mode)
    import desktop.app as app_mod

    orig = app_mod.DeskApp._on_first_page

    def hooked(self, n):
        first = self.first_rows_at is None
        orig(self, n)
        if first:
            self.scope.spawn(shoot(self, out, theme_mode), name="screenshots")

    app_mod.DeskApp._on_first_page = hooked
    args = Namespace(
        profile=None,
        sandbox_data=str(Path(home) / "sandbox"),
        self_test=False,
        qt_args=[],
        sandbox_args=[],
    )
    return app_mod.run(args)


def main(argv: list[str] | None = None) -> int:
    return run_and_shoot(_shoot, argv)


if __name__ == "__main__":
    sys.exit(main())
