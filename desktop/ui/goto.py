"""The "Go to" box (Ctrl+L): route any id or wallet address to what it names.

``parse_target`` is pure; ``GoToBox`` is the line edit in the toolbar. The main
window resolves targets (it owns the client and the views).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import QLineEdit, QWidget

from desktop.ui import theme
from desktop.ui.widgets.placeholder import fit_placeholder

PREFIXES = {
    "cst_": "customer",
    "wlt_": "wallet",
    "txn_": "transaction",
    "qt_": "quote",
    "ci_": "cashIn",
}
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ID_BODY = re.compile(r"^[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Target:
    kind: str  # customer | wallet | transaction | quote | cashIn | address
    value: str


def parse_target(text: str) -> Target | None:
    """Classify user input; ids are opaque apart from their prefix (D4)."""
    t = text.strip().strip("'\"")
    if not t:
        return None
    if _ADDRESS.match(t):
        return Target("address", t)
    for prefix, kind in PREFIXES.items():
        if t.lower().startswith(prefix):
            body = t[len(prefix) :]
            if body and _ID_BODY.match(body):
                return Target(kind, prefix + body)
            return None
    return None


class GoToBox(QLineEdit):
    """Line edit that emits ``target_requested`` for recognised input."""

    target_requested = Signal(object)  # Target
    rejected_input = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gotoBox")
        fit_placeholder(self, "Go to id or 0x address  (Ctrl+L)", "Go to id or address")
        self.setToolTip("Go to an id or 0x address (Ctrl+L)")
        self.setClearButtonEnabled(True)
        theme.set_icon(self.addAction(QIcon(), QLineEdit.ActionPosition.LeadingPosition), "goto")
        self.setMinimumWidth(260)
        self.returnPressed.connect(self._submit)
        self.textEdited.connect(lambda _t: self.setProperty("invalid", False))

    def install_shortcut(self, window: QWidget) -> QShortcut:
        sc = QShortcut(QKeySequence("Ctrl+L"), window)
        sc.setContext(Qt.ShortcutContext.WindowShortcut)
        sc.activated.connect(self.focus_and_select)
        return sc

    def focus_and_select(self) -> None:
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def _submit(self) -> None:
        target = parse_target(self.text())
        if target is None:
            self.setProperty("invalid", True)
            self.style().unpolish(self)
            self.style().polish(self)
            self.setToolTip("Enter an id (cst_, wlt_, txn_, qt_, ci_) or a 0x wallet address.")
            self.rejected_input.emit(self.text())
            return
        self.setProperty("invalid", False)
        self.style().unpolish(self)
        self.style().polish(self)
        self.target_requested.emit(target)


class NavHistory:
    """Back and forward through what the agent looked at, like a browser (no Qt).

    ``visit`` drops the forward trail; a visit made while replaying (``replaying``) is
    not recorded, so Back never loops. Places are ``(kind, id)`` tuples.
    """

    LIMIT = 200

    def __init__(self) -> None:
        self.places: list[tuple[str, str]] = []
        self.index = -1
        self.replaying = False

    def visit(self, place: tuple[str, str]) -> None:
        if self.replaying:
            return
        if 0 <= self.index < len(self.places) and self.places[self.index] == place:
            return
        del self.places[self.index + 1 :]
        self.places.append(place)
        if len(self.places) > self.LIMIT:
            del self.places[0]
        self.index = len(self.places) - 1

    def back(self) -> tuple[str, str] | None:
        if self.index <= 0:
            return None
        self.index -= 1
        return self.places[self.index]

    def forward(self) -> tuple[str, str] | None:
        if self.index >= len(self.places) - 1:
            return None
        self.index += 1
        return self.places[self.index]
