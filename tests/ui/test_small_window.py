"""Issue 14, item 7: at 1024×700 nothing is clipped. Every visible widget of the main
window and of each wizard lies inside its window (content inside a scroll area may scroll,
that is what the scroll area is for); the toolbar shows icons with tooltips; Fund, Send
and Withdraw stay reachable."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QStyle, QToolBar, QWidget

from desktop.display import KIND_NAMES
from desktop.oms import models
from desktop.ui.customers import ROLE_ID, endorsement_summary
from desktop.ui.transactions import COLUMNS
from desktop.ui.wizards.fund import FundWizard
from desktop.ui.wizards.send import SendWizard
from desktop.ui.wizards.withdraw import WithdrawWizard
from tests.support.qt import run
from tests.support.walk import find_demo_customer

SMALL = (1024, 700)


def _scrolled(w: QWidget, top: QWidget) -> bool:
    """Inside a scroll area's viewport (or a toolbar's overflow): reachable by scrolling."""
    p = w.parentWidget()
    while p is not None and p is not top:
        if isinstance(p, QToolBar):
            return True
        gp = p.parentWidget()
        if isinstance(gp, QAbstractScrollArea) and p is gp.viewport():
            return True
        p = gp
    return False


def clipped(top: QWidget) -> list[str]:
    bounds = top.rect()
    out = []
    for w in top.findChildren(QWidget):
        if not w.isVisible() or w.isWindow() or _scrolled(w, top) or w.width() <= 0:
            continue
        r = QRect(w.mapTo(top, QPoint(0, 0)), w.size())
        if not bounds.contains(r):
            out.append(
                f"{type(w).__name__} {w.objectName()!r} {r.getRect()} outside {bounds.getRect()}"
            )
    return out


def settle(qtbot) -> None:
    """Lets the layouts run: their requests are posted events, so no time needs to pass."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def test_main_window_at_1024x700(qtbot, window):
    c = find_demo_customer(qtbot, window)
    window.resize(*SMALL)
    window.select_customer(c)
    d = window.detail
    qtbot.waitUntil(lambda: not d.loading and bool(d.cards), timeout=10000)
    d.tx_view.selectRow(0)
    settle(qtbot)
    assert window.size().toTuple() == SMALL
    assert window.toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    for a in window.toolbar.actions():
        if a.text():
            assert a.toolTip()  # icons only: each says what it does
    assert clipped(window) == []
    assert window.search_box.isVisible() and window.goto_box.isVisible()  # not in overflow
    window.tabs.setCurrentWidget(window.transactions_view)
    view = window.transactions_view
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10000)
    view.table.selectRow(0)
    settle(qtbot)
    assert clipped(window) == []
    # Fund, Send and Withdraw stay reachable: enabled in the menu with their shortcuts, and
    # the wallet card's buttons scroll into view.
    for a in (window.fund_action, window.send_action, window.withdraw_action):
        assert a.isEnabled() and not a.shortcut().isEmpty()
    window.tabs.setCurrentWidget(window.customers_page)
    card = next(iter(d.cards.values()))
    d.scroll.ensureWidgetVisible(card.send_button)
    settle(qtbot)
    vp = d.scroll.viewport()
    r = QRect(card.send_button.mapTo(vp, QPoint(0, 0)), card.send_button.size())
    assert vp.rect().contains(r)


def test_each_wizard_at_1024x700(qtbot, window):
    c = find_demo_customer(qtbot, window)
    w = run(qtbot, window.api.list_wallets(c.id)).data[0]
    window.resize(*SMALL)
    for cls in (SendWizard, WithdrawWizard, FundWizard):
        wiz = cls(window.session, customer_id=c.id, wallet_id=w.id, parent=window)
        qtbot.addWidget(wiz)
        wiz.show()
        try:
            assert wiz.width() <= SMALL[0] and wiz.height() <= SMALL[1]
            settle(qtbot)
            assert clipped(wiz) == [], cls.__name__
        finally:
            wiz.reject()


def _unclipped(table, col: int, text: str) -> bool:
    """A cell of ``col`` shows ``text`` whole: the section holds the text plus the style's
    text margins (the item delegate elides anything wider)."""
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    return table.horizontalHeader().sectionSize(col) >= (
        table.fontMetrics().horizontalAdvance(text) + 2 * margin
    )


def test_transactions_type_and_status_unclipped(qtbot, window):
    """The Type column shows its longest name ("Withdraw to bank") whole, and every loaded
    Type, Status and Counterparty cell fits, at 1600×1000 and at 1024×700 (the table
    scrolls sideways rather than cutting a name)."""
    view = window.transactions_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10000)
    table = view.table
    type_col, status_col = COLUMNS.index("Type"), COLUMNS.index("Status")
    who_col = COLUMNS.index("Counterparty")
    longest = max(KIND_NAMES.values(), key=table.fontMetrics().horizontalAdvance)
    for size in ((1600, 1000), SMALL):
        window.resize(*size)
        settle(qtbot)
        assert _unclipped(table, type_col, longest), (size, longest)
        for r in range(view.proxy.rowCount()):
            for col in (type_col, status_col, who_col):  # names with emails too
                text = view.proxy.index(r, col).data()
                assert _unclipped(table, col, text), (size, text)
        # the Type column lies inside the table's viewport, not scrolled out of sight
        x = table.columnViewportPosition(type_col)
        assert x >= 0 and x + table.columnWidth(type_col) <= table.viewport().width()
        assert clipped(window) == []


def test_customers_endorsements_unclipped(qtbot, window):
    """The customers list's Endorsements column is sized from what its rows show: every
    loaded summary fits whole — a long mixed one ("1 with issues, 1 pending, 1 active")
    arriving by a live update too — at 1600×1000 and at 1024×700 (the table scrolls
    sideways rather than cutting the summary)."""
    table, model = window.table, window.model
    col = model.columns.index("Endorsements")
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10000)
    c = run(qtbot, window.api.get_customer(model.index(0, 0).data(ROLE_ID)))
    mixed = [
        {"name": name, "status": status}
        for name, status in (("base", "ACTIVE"), ("sepa", "PENDING"), ("spei", "ISSUES"))
    ]
    changed = models.parse_customer({**c.raw, "endorsements": mixed})
    window.session.hub.publish_customer(changed)
    window.session.hub.flush()
    long = endorsement_summary(changed)
    assert long == "1 with issues, 1 pending, 1 active"
    qtbot.waitUntil(lambda: model.index(0, col).data() == long, timeout=5000)
    texts = {model.index(r, col).data() for r in range(model.rowCount())}
    for size in ((1600, 1000), SMALL):
        window.resize(*size)
        settle(qtbot)
        for text in texts:
            assert _unclipped(table, col, text), (size, text)
        assert clipped(window) == []


def test_toolbar_placeholders_never_cut(qtbot, window):
    """The search and go-to boxes show their whole placeholder: with the shortcut where it
    fits (1600 px), without it at 1024 px (the tooltip still names it)."""
    from desktop.ui.widgets.placeholder import text_room

    for size, with_keys in (((1600, 1000), True), (SMALL, False)):
        window.resize(*size)
        settle(qtbot)
        for box in (window.search_box, window.goto_box):
            text = box.placeholderText()
            assert box.fontMetrics().horizontalAdvance(text) <= text_room(box), (size, text)
            assert ("(Ctrl+" in text) == with_keys, (size, text)
    assert "Ctrl+F" in window.search_box.toolTip() and "Ctrl+L" in window.goto_box.toolTip()
