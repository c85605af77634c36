"""Money-moving wizards (fund, send, withdraw) and their hook into the main window.

``install(window)`` is called once by ``MainWindow`` (its extension point): it registers
the three wizards behind the Fund / Send / Withdraw buttons and the Transactions tab.
Building the tab for a new session also resumes work left in flight (outbox replay,
tracking of processing transactions and pending cash-ins) and shows a notice.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["install", "open_wizard"]


def open_wizard(window: Any, kind: str, customer: Any = None, wallet: Any = None) -> Any:
    from PySide6.QtCore import Qt

    from desktop.ui.wizards.fund import FundWizard
    from desktop.ui.wizards.send import SendWizard
    from desktop.ui.wizards.withdraw import WithdrawWizard

    ctx = getattr(window, "ctx", None)
    if ctx is None:
        window.statusBar().showMessage("Connect to a profile first.", 5000)
        return None
    cls = {"fund": FundWizard, "send": SendWizard, "withdraw": WithdrawWizard}[kind]
    wiz = cls(
        ctx,
        customer_id=getattr(customer, "id", None)
        or (customer if isinstance(customer, str) else ""),
        wallet_id=getattr(wallet, "id", None) or (wallet if isinstance(wallet, str) else None),
        parent=window,
    )
    wiz.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    wiz.open()  # window-modal, never exec()
    return wiz


def _transactions_tab(window: Any) -> Any:
    from desktop.ui.transactions import TransactionsView
    from desktop.ui.wizards.context import money_context_from, resume_in_flight

    ctx = window.ctx
    money = money_context_from(ctx)
    view = TransactionsView(ctx)
    view.goto.connect(lambda target: window.go_to(target))
    if not getattr(money, "resumed", False):
        money.resumed = True

        def notice(text: str) -> None:
            try:
                window.banners.set("resume", text, "info")
            except Exception:  # a window without banners
                window.statusBar().showMessage(text, 10000)

        money.hub.notice.connect(notice)
        if money.outbox is not None and money.tracker is not None:
            resume_in_flight(money)
    return view


def install(window: Any) -> None:
    from desktop.ui import main_window as mw

    for kind in ("fund", "send", "withdraw"):
        mw.register_wizard(kind, lambda w, c, wl, k=kind: open_wizard(w, k, c, wl))
    mw.register_view("Transactions", _transactions_tab)
