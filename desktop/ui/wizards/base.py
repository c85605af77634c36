"""Common base of the money wizards: one TaskScope per dialog, cancelled in ``done()``.

Only the dialog's own work (loading wallets, fetching quotes) lives in its scope; the
money-moving POSTs go through the session's ``ChangeHub`` in the session's scope.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
    QWizard,
)

from desktop.flows.money_flow import MoneyFlow
from desktop.oms import new_idempotency_key
from desktop.tasks import TaskScope
from desktop.ui.session import Session
from desktop.ui.widgets import mnemonics
from desktop.ui.widgets.banner import BannerArea as Banner  # the one banner (theme colours)

__all__ = ["Banner", "MoneyWizard", "choice_row"]


def choice_row(owner: QWidget, *labels: str) -> tuple[QHBoxLayout, list[QRadioButton]]:
    """Exclusive radio buttons in a row, the first one checked."""
    row = QHBoxLayout()
    group = QButtonGroup(owner)
    buttons = [QRadioButton(label) for label in labels]
    for button in buttons:
        group.addButton(button)
        row.addWidget(button)
    row.addStretch(1)
    buttons[0].setChecked(True)
    return row, buttons


class MoneyWizard(QWizard):
    """A QWizard with the profile's Session, its own TaskScope, and sane buttons."""

    def __init__(
        self,
        session: Session,
        title: str,
        make_flow: Callable[..., MoneyFlow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx: Session = session
        self.hub = session.hub
        # The state of this money action: pages render from it and write into it.
        self.flow: MoneyFlow = make_flow(new_idempotency_key, session.clock)
        self.scope = TaskScope(f"wizard {title}")
        self.setWindowTitle(title)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.resize(720, 620)
        self.setButtonText(QWizard.WizardButton.CancelButton, "&Cancel")
        self.closed = False
        self._links: list[tuple[Any, Any]] = []
        # Keyboard (issue 14): each page gets mnemonics and focus on its first field.
        self.currentIdChanged.connect(self._page_shown)

    def _wizard_buttons(self) -> tuple[QWidget, ...]:
        return tuple(
            b
            for b in (self.button(w) for w in QWizard.WizardButton)
            if isinstance(b, QAbstractButton)
        )

    def _page_shown(self, page_id: int) -> None:
        page = self.page(page_id)
        if page is None:
            return
        mnemonics.assign(page, skip=self._wizard_buttons(), used={"n", "b", "f", "c"})
        QTimer.singleShot(0, page, lambda: self.focus_first_field(page))

    def focus_first_field(self, page: QWidget | None = None) -> QWidget | None:
        """Put the focus on the page's first field (a page may name it: ``first_field()``)."""
        page = page or self.currentPage()
        if page is None or self.closed:
            return None
        chosen = getattr(page, "first_field", lambda: None)()
        if chosen is None:
            for w in _focus_chain(page):
                field = isinstance(w, QLineEdit | QComboBox | QAbstractSpinBox | QPlainTextEdit)
                if field and not (isinstance(w, QLineEdit) and w.isReadOnly()):
                    chosen = w
                    break
        if chosen is not None:
            chosen.setFocus(Qt.FocusReason.TabFocusReason)
        return chosen

    def link(self, signal: Any, slot: Any) -> None:
        """Connect a hub signal to a page slot once; ``done()`` disconnects them all."""
        if any(s == signal and sl == slot for s, sl in self._links):
            return
        signal.connect(slot)
        self._links.append((signal, slot))

    def done(self, result: int) -> None:  # the one path for accept/reject/Escape/close
        self.closed = True
        self.scope.cancel_all()
        for signal, slot in self._links:
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        self._links.clear()
        for page_id in self.pageIds():
            page = self.page(page_id)
            stop = getattr(page, "stop_timers", None)
            if stop:
                stop()
        super().done(result)


def _focus_chain(page: QWidget) -> list[QWidget]:
    """The page's visible, enabled, focusable widgets in tab order."""
    out: list[QWidget] = []
    w = page.nextInFocusChain()
    seen = 0
    while w is not None and w is not page and seen < 500:
        seen += 1
        if (
            page.isAncestorOf(w)
            and w.isVisible()
            and w.isEnabled()
            and w.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            out.append(w)
        w = w.nextInFocusChain()
    return out


def _excepthook(exc: BaseException) -> None:
    sys.excepthook(type(exc), exc, exc.__traceback__)
