"""Mnemonics for every button (issue 14, item 5), assigned like KDE's accelerator manager.

:func:`assign` gives each button under a widget that has no ``&`` yet a letter not used by
its siblings: the first letter of a word if free, else any free letter. Texts that set
their own mnemonic keep it. Labels are unchanged for a screen reader (Qt drops the ``&``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QToolButton, QWidget

__all__ = ["assign", "mnemonic_of", "window_letters"]


def mnemonic_of(text: str) -> str:
    """The letter after a single ``&`` (``""`` when there is none)."""
    i = 0
    while True:
        i = text.find("&", i)
        if i < 0 or i + 1 >= len(text):
            return ""
        if text[i + 1] != "&":
            return text[i + 1].lower()
        i += 2


def _with_mnemonic(text: str, used: set[str]) -> str | None:
    words = [i for i, ch in enumerate(text) if ch.isalnum() and (i == 0 or text[i - 1] == " ")]
    rest = [i for i, ch in enumerate(text) if ch.isalnum() and i not in words]
    for i in (*words, *rest):
        if text[i].lower() not in used:
            used.add(text[i].lower())
            return text[:i] + "&" + text[i:]
    return None


def window_letters(widget: QWidget) -> set[str]:
    """Letters the window of ``widget`` already gives its menu bar titles and tool bars:
    a pane inside it must not reuse them (Alt+F is the File menu, not a card's Fund)."""
    from PySide6.QtWidgets import QMainWindow, QToolBar

    win = widget.window()
    letters: set[str] = set()
    if isinstance(win, QMainWindow):
        letters |= {mnemonic_of(a.text()) for a in win.menuBar().actions()}
        for bar in win.findChildren(QToolBar):
            letters |= {mnemonic_of(b.text()) for b in bar.findChildren(QAbstractButton)}
    return letters - {""}


def assign(root: QWidget, *, skip: tuple[QWidget, ...] = (), used: set[str] | None = None) -> int:
    """Give every text button under ``root`` a mnemonic; returns how many were added."""
    buttons = [
        b
        for b in root.findChildren(QAbstractButton)
        if b.text() and b not in skip and not (isinstance(b, QToolButton) and b.defaultAction())
    ]
    taken = set(used or ())
    taken |= {mnemonic_of(b.text()) for b in buttons} - {""}
    added = 0
    for b in buttons:
        if mnemonic_of(b.text()) or "&" in b.text():
            continue
        text = _with_mnemonic(b.text(), taken)
        if text is not None:
            b.setText(text)
            added += 1
    return added
