"""Banners: a coloured strip with a message and optional actions (Retry, Dismiss).

``BannerArea`` stacks banners by key ("error", "offline", "keyring", ...), so that a
new error replaces the old one and a persistent banner stays until removed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import theme

KINDS = ("error", "warning", "info", "success")
_ICONS = {"error": "error", "warning": "warning", "info": "info", "success": "info"}

Action = tuple[str, Callable[[], None]]


class Banner(QFrame):
    dismissed = Signal()

    def __init__(
        self,
        text: str,
        kind: str = "info",
        actions: Sequence[Action] = (),
        *,
        closable: bool = True,
        icon_name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        assert kind in KINDS, kind
        self.kind = kind
        self.setObjectName(f"banner-{kind}")
        self.setProperty("bannerKind", kind)
        bg, fg = getattr(theme.colors(), kind)
        self.setStyleSheet(
            f"QFrame#banner-{kind} {{ background: {bg}; border-radius: 4px; }}"
            f"QFrame#banner-{kind} QLabel {{ color: {fg}; }}"
        )
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.setSpacing(8)
        ic = QLabel()
        ic.setPixmap(theme.icon(icon_name or _ICONS[kind], fg).pixmap(18, 18))
        lay.addWidget(ic, 0, Qt.AlignmentFlag.AlignTop)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.label, 1)
        self.buttons: dict[str, QPushButton] = {}
        for title, cb in actions:
            b = QPushButton(title)
            b.setAutoDefault(False)
            b.clicked.connect(cb)
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
            self.buttons[title] = b
        if closable:
            close = QToolButton()
            close.setIcon(theme.icon("close", fg))
            close.setAutoRaise(True)
            close.setToolTip("Dismiss")
            close.clicked.connect(self._dismiss)
            lay.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.closable = closable

    @property
    def text(self) -> str:
        return self.label.text()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


class BannerArea(QWidget):
    """A vertical stack of keyed banners; empty = takes no space."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(4)
        self._banners: dict[str, Banner] = {}
        self.setVisible(False)

    def set(
        self,
        key: str,
        text: str,
        kind: str = "error",
        actions: Sequence[Action] = (),
        *,
        closable: bool = True,
        icon_name: str | None = None,
    ) -> Banner:
        self.remove(key, notify=False)
        b = Banner(text, kind, actions, closable=closable, icon_name=icon_name, parent=self)
        b.setProperty("bannerKey", key)
        b.dismissed.connect(lambda k=key, bb=b: self._on_dismiss(k, bb))
        self._banners[key] = b
        self._lay.addWidget(b)
        self.setVisible(True)
        self.changed.emit()
        return b

    def _on_dismiss(self, key: str, banner: Banner) -> None:
        if self._banners.get(key) is banner:
            self.remove(key)

    def remove(self, key: str, *, notify: bool = True) -> None:
        b = self._banners.pop(key, None)
        if b is not None:
            self._lay.removeWidget(b)
            b.hide()
            b.deleteLater()
        self.setVisible(bool(self._banners))
        if notify and b is not None:
            self.changed.emit()

    def get(self, key: str) -> Banner | None:
        return self._banners.get(key)

    def has(self, key: str) -> bool:
        return key in self._banners

    def keys(self) -> list[str]:
        return list(self._banners)
