"""Screenshots of inbound money and saved addresses (D22, D23):
``python -m tools.inbound_screenshots docs/screenshots [--dark]``.

Starts a temporary sandbox (manual clock) through the app's one launcher, creates a
customer, and grabs: the bank-transfer instructions page of the Fund wizard (after an
ACH and a wire deposit), the Receive page of a wallet (after one incoming transfer), and
the Send wizard's saved-address picker; plus the address-poisoning warning. ``--dark``
takes them in the dark theme (file names end in ``-dark``). Runs offscreen
(``QT_QPA_PLATFORM=offscreen``) or under a display.
"""

from __future__ import annotations

import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from tools.wizard_screenshots import IDENTITY, _settle, _until

SAVED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
EXCHANGE = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
LOOKALIKE = "0x5aae" + "0" * 31 + "beaed"  # same ends as SAVED, another middle
SENDER = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"


def _save(widget, out: Path, name: str, suffix: str) -> None:
    path = out / f"{name}{suffix}.png"
    widget.grab().save(str(path))
    print(path)


async def amain(out: Path, suffix: str) -> None:
    from desktop.embedded import EmbeddedSandbox
    from desktop.oms.client import Credentials, OmsClient
    from desktop.oms.outbox import Outbox
    from desktop.oms.tracker import Tracker
    from desktop.tasks import TaskScope
    from desktop.ui.session import Session
    from desktop.ui.wizards.fund import FundWizard
    from desktop.ui.wizards.receive import ReceiveDialog
    from desktop.ui.wizards.send import SendWizard

    tmp = Path(tempfile.mkdtemp(prefix="oms-inbound-shots-"))
    sandbox = EmbeddedSandbox(tmp / "sandbox", demo=False, extra=("--clock", "manual"))
    info = await sandbox.start()
    client = OmsClient(info.base_url, Credentials(info.api_key, info.api_secret))
    ctx = Session(
        client=client,
        tracker=Tracker(client, initial=0.2, cap=0.5),
        outbox=Outbox(tmp / "outbox.sqlite"),
        scope=TaskScope("app"),
        is_sandbox=True,
    )
    try:
        c = await client.create_customer(dict(IDENTITY))
        w = await client.create_wallet(c.id)
        await client.sandbox_deposit(w.id, Decimal("500.00"))
        await client.create_saved_address(c.id, SAVED, "Cold wallet")
        await client.create_saved_address(c.id, EXCHANGE, "Exchange account")

        # Fund by bank transfer: the instructions, one ACH done, one wire on its way.
        fw = FundWizard(ctx, customer_id=c.id, wallet_id=w.id)
        fw.resize(780, 900)
        fw.show()
        fw.amount_page.bank_method.setChecked(True)
        await _until(fw.amount_page.isComplete)
        fw.next()
        bp = fw.bank_page
        await _until(lambda: fw.flow.va_state == "none")
        bp.create_button.click()
        await _until(lambda: fw.flow.virtual_account is not None)
        bp.sim_amount.set_text("250.00")
        bp.simulate()
        await _until(lambda: len(fw.flow.deposits) == 1)
        await client.sandbox_advance_clock(300)
        await _until(lambda: all(t.is_terminal for t in fw.flow.deposits.values()))
        bp.sim_wire.setChecked(True)
        bp.sim_amount.set_text("5000.00")
        bp.simulate()
        await _until(lambda: len(fw.flow.deposits) == 2)
        await _settle(0.5)
        _save(fw, out, "bank-transfer-instructions", suffix)
        fw.reject()

        # Receive: the deposit address, its QR, one transfer received.
        dlg = ReceiveDialog(ctx, c.id, w.id)
        dlg.resize(680, 760)
        dlg.show()
        await _until(lambda: dlg.state == "none")
        dlg.create_button.click()
        await _until(lambda: dlg.deposit_address is not None)
        dlg.sim_from.setText(SENDER)
        dlg.sim_amount.set_text("75.00")
        dlg.simulate()
        await _until(lambda: len(dlg.receives) == 1)
        await client.sandbox_advance_clock(5)
        await _until(lambda: all(t.is_terminal for t in dlg.receives.values()))
        await _settle(0.5)
        _save(dlg, out, "receive-usdc", suffix)
        dlg.reject()

        # Send: the saved-address picker, then the poisoning warning.
        sw = SendWizard(ctx, customer_id=c.id, wallet_id=w.id)
        sw.resize(760, 660)
        sw.show()
        await _until(sw.source_page.isComplete)
        sw.next()
        page = sw.destination_page
        await _until(lambda: sw.flow.saved_state == "found")
        page.to_saved.setChecked(True)
        page.amount.set_text("40.00")
        await _until(page.isComplete)
        await _settle()
        _save(sw, out, "send-saved-address-picker", suffix)
        page.to_address.setChecked(True)
        page.address.set_text(LOOKALIKE)
        await _settle()
        _save(sw, out, "send-lookalike-warning", suffix)
        sw.reject()
    finally:
        await ctx.aclose()
        ctx.outbox.close()
        await sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication

    args = argv if argv is not None else sys.argv[1:]
    positional = [a for a in args if not a.startswith("--")]
    out = Path(positional[0] if positional else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    suffix = ""
    from desktop.ui import theme

    if "--dark" in args:
        theme.apply_theme(app, "dark")
        suffix = "-dark"
    else:
        theme.apply_theme(app, "light")
    app.setQuitOnLastWindowClosed(False)
    qasync.run(amain(out, suffix))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
