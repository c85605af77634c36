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

__all__ = ["install", "open_customer_transactions", "open_wizard"]


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
    if not money.resumed:
        money.resumed = True
        money.hub.notice.connect(lambda text: window.banners.set("resume", text, "info"))
        if money.outbox is not None and money.tracker is not None:
            resume_in_flight(money)
    return view


def open_customer_transactions(window: Any, customer_id: str, select: str | None = None) -> Any:
    """A window with one customer's transactions (same view, filtered to the customer)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialog, QVBoxLayout

    from desktop.ui.transactions import TransactionsView

    ctx = getattr(window, "ctx", None)
    if ctx is None or not customer_id:
        return None
    dlg = QDialog(window)
    dlg.setWindowTitle(f"Transactions of {customer_id}")
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    lay = QVBoxLayout(dlg)
    view = TransactionsView(ctx, customer_id=customer_id)
    view.goto.connect(lambda target: window.go_to(target))
    lay.addWidget(view)
    dlg.finished.connect(lambda _r: view.scope.cancel_all())
    if select:

        def pick(*_: Any) -> None:
            if view.select(select):
                view.model.rowsInserted.disconnect(pick)

        view.model.rowsInserted.connect(pick)
    dlg.resize(1200, 700)
    dlg.show()
    return dlg


def _hook_customer_detail(window: Any) -> None:
    """Double-click in the customer's recent transactions opens the full, filtered list."""
    detail = getattr(window, "detail", None)
    table = getattr(detail, "tx_view", None)
    if table is None:
        return

    def opened(index: Any) -> None:
        customer = getattr(detail, "customer", None)
        txn_id = None
        try:
            from desktop.ui.customer_detail import ROLE_ID

            txn_id = index.sibling(index.row(), 0).data(ROLE_ID)
        except Exception:  # another shell version: open the list unselected
            txn_id = None
        if customer is not None:
            open_customer_transactions(window, customer.id, txn_id)

    table.doubleClicked.connect(opened)


def install(window: Any) -> None:
    from desktop.ui import main_window as mw

    for kind in ("fund", "send", "withdraw"):
        mw.register_wizard(kind, lambda w, c, wl, k=kind: open_wizard(w, k, c, wl))
    mw.register_view("Transactions", _transactions_tab)
    try:
        _hook_customer_detail(window)
    except Exception:  # the shell may not have built its detail pane yet
        log.exception("could not hook the customer's transactions")
