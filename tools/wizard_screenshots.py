"""Screenshots of the money wizards: ``python -m tools.wizard_screenshots docs/screenshots``.

Starts a temporary sandbox (manual clock) through the app's one launcher
(``desktop.embedded.EmbeddedSandbox``), creates a funded customer,
walks each wizard and grabs: the send and withdraw quote pages with the countdown
running, the cash-in code page, a completed status page and the Transactions view.
``--dark`` takes them in the dark theme.
Run under a display or ``xvfb-run -a -s "-screen 0 1400x900x24 -noreset"``. With ``--app``
it runs the real application instead and grabs the main window's Transactions tab.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

IDENTITY = {
    "type": "individual",
    "firstName": "Grace",
    "lastName": "Hopper",
    "email": "grace@example.com",
    "birthDate": "1986-12-09",
    "residentialAddress": {
        "line1": "1 Main St",
        "city": "New York",
        "state": "NY",
        "country": "US",
        "zipCode": "10001",
    },
    "identifyingInformation": [{"type": "ssn", "issuingCountry": "US", "number": "123456789"}],
    "endorsements": ["basic", "cryptoCustody", "usd"],
}
ADDRESS = "0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"


async def _until(pred, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def _settle(seconds: float = 0.3) -> None:
    # qasync runs Qt's events while we wait (never processEvents() inside a coroutine).
    await asyncio.sleep(seconds)


def _save(widget, out: Path, name: str) -> None:
    path = out / name
    widget.grab().save(str(path))
    print(path)


async def amain(out: Path) -> None:
    from desktop.embedded import EmbeddedSandbox
    from desktop.oms.client import Credentials, OmsClient
    from desktop.oms.outbox import Outbox
    from desktop.oms.tracker import Tracker
    from desktop.tasks import TaskScope
    from desktop.ui.session import Session
    from desktop.ui.transactions import TransactionsView
    from desktop.ui.wizards.fund import FundWizard
    from desktop.ui.wizards.send import SendWizard
    from desktop.ui.wizards.withdraw import WithdrawWizard

    tmp = Path(tempfile.mkdtemp(prefix="oms-wizard-shots-"))
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
        await client.sandbox_deposit(w.id, Decimal("2500.00"))
        other = await client.create_customer(dict(IDENTITY, firstName="Alan", lastName="Kay"))
        await client.create_wallet(other.id)

        # Send: quote page with the countdown running, then the completed status page.
        wiz = SendWizard(ctx, customer_id=c.id, wallet_id=w.id)
        wiz.resize(760, 640)
        wiz.show()
        await _until(wiz.source_page.isComplete)
        wiz.next()
        wiz.destination_page.address.set_text(ADDRESS)
        wiz.destination_page.amount.set_text("250.00")
        await _until(wiz.destination_page.isComplete)
        await _settle()
        _save(wiz, out, "wizard-send-amount.png")
        wiz.next()
        await _until(wiz.quote_page.isComplete)
        await _settle(2.2)
        _save(wiz, out, "wizard-send-quote.png")
        wiz.next()
        await _until(lambda: wiz.status_page.txn is not None)
        await client.sandbox_advance_clock(6)
        await _until(lambda: str(wiz.status_page.txn.status) == "completed")
        await _settle()
        _save(wiz, out, "wizard-send-completed.png")
        wiz.accept()

        # Withdraw: register a sandbox bank account, wire, quote page.
        wd = WithdrawWizard(ctx, customer_id=c.id, wallet_id=w.id)
        wd.resize(760, 760)
        wd.show()
        await _until(wd.source_page.isComplete)
        wd.next()
        box = wd.account_page.register_box
        wd.account_page.wire.setChecked(True)
        box.holder.setText("Grace Hopper")
        box.routing.setText("021000021")
        box.account.setText("000123456789")
        box.register()
        await _until(lambda: wd.account_page.account_combo.count() > 0)
        wd.account_page.amount.set_text("500.00")
        await _until(wd.account_page.isComplete)
        await _settle()
        _save(wd, out, "wizard-withdraw-account.png")
        wd.next()
        await _until(wd.quote_page.isComplete)
        await _settle(1.2)
        _save(wd, out, "wizard-withdraw-quote.png")
        wd.reject()

        # Fund: stores near a ZIP, the deposit code page, then the completed status.
        fw = FundWizard(ctx, customer_id=c.id, wallet_id=w.id)
        fw.resize(760, 680)
        fw.show()
        fw.amount_page.amount.set_text("120.00")
        await _until(fw.amount_page.isComplete)
        await _settle()
        _save(fw, out, "wizard-fund-amount.png")
        fw.next()
        sp = fw.store_page
        sp.zip_edit.setText("95814")
        sp.zip_edit.search.emit()  # Enter in the ZIP box: searches only
        await _until(lambda: sp.list.count() > 0)
        sp.list.setCurrentRow(0)  # the operator picks a store …
        await _settle()
        _save(fw, out, "wizard-fund-store.png")
        fw.button(fw.WizardButton.CommitButton).click()  # … and presses "Get code at …"
        await _until(lambda: fw.code_page.cash_in is not None)
        await _settle(1.2)
        _save(fw, out, "wizard-fund-code.png")
        fw.code_page.sim_amount.set_text("120.00")
        fw.code_page.simulate()
        await _until(lambda: fw.currentPage() is fw.status_page)
        await client.sandbox_advance_clock(11)
        await _until(lambda: "Completed" in fw.status_page.headline.text())
        await _settle()
        _save(fw, out, "wizard-fund-completed.png")
        fw.accept()

        view = TransactionsView(ctx)
        view.resize(1300, 700)
        view.show()
        await _until(lambda: view.model.rowCount() >= 2 and not view.model.loading)
        view.table.resizeColumnsToContents()
        view.table.selectRow(0)
        await _settle()
        _save(view, out, "wizard-transactions-view.png")
        view.close()
    finally:
        await ctx.aclose()
        ctx.outbox.close()
        await sandbox.stop()


def app_main(out: Path) -> int:
    """The real application (embedded sandbox, manual clock): a send started from the
    main window, the wizard closed while processing, the Transactions tab following it."""
    from argparse import Namespace

    home = tempfile.mkdtemp(prefix="oms-desk-wizard-shots-")
    os.environ["OMS_DESK_HOME"] = home
    import desktop.app as app_mod

    async def drive(desk) -> None:
        from desktop.ui.wizards.send import SendWizard

        try:
            w = desk.window
            ctx = w.session
            titles = [w.tabs.tabText(i) for i in range(w.tabs.count())]
            view = w.tabs.widget(titles.index("Transactions"))
            c = await ctx.client.create_customer(dict(IDENTITY))
            wl = await ctx.client.create_wallet(c.id)
            await ctx.client.sandbox_deposit(wl.id, Decimal("100"))
            w.open_send_wizard(c, wl)
            wiz = w.findChildren(SendWizard)[-1]
            await _until(wiz.source_page.isComplete)
            wiz.next()
            wiz.destination_page.address.set_text(ADDRESS)
            wiz.destination_page.amount.set_text("12.50")
            await _until(wiz.destination_page.isComplete)
            wiz.next()
            await _until(wiz.quote_page.isComplete)
            wiz.next()
            await _until(lambda: wiz.status_page.txn is not None)
            tid = wiz.status_page.txn.id
            wiz.reject()  # closed while processing: the tab keeps following it
            await ctx.client.sandbox_advance_clock(6)
            m = view.model

            def done() -> bool:
                row = m.row_of(tid)
                return row >= 0 and str(m.transaction(row).status) == "completed"

            await _until(done, 40)
            w.resize(1360, 860)
            w.tabs.setCurrentWidget(view)
            view.select(tid)
            await _settle(0.5)
            _save(w, out, "wizard-transactions-tab.png")
        finally:
            desk.request_quit()

    orig = app_mod.DeskApp._on_first_page

    def hooked(self, n):
        first = self.first_rows_at is None
        orig(self, n)
        if first:
            self.scope.spawn(drive(self), name="wizard screenshots")

    app_mod.DeskApp._on_first_page = hooked
    args = Namespace(
        profile=None,
        sandbox_data=str(Path(home) / "sandbox"),
        self_test=False,
        qt_args=[],
        sandbox_args=["--clock", "manual"],
    )
    return app_mod.run(args)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication

    args = argv if argv is not None else sys.argv[1:]
    positional = [a for a in args if not a.startswith("--")]
    out = Path(positional[0] if positional else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    if "--app" in args:
        return app_main(out)
    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    if "--dark" in args:  # the same pages in the dark theme
        from desktop.ui import theme

        theme.apply_theme(app, "dark")
    app.setQuitOnLastWindowClosed(False)
    qasync.run(amain(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
