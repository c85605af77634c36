"""Banners: a coloured strip with a message and optional actions (Retry, Open, Dismiss).

``BannerArea`` is the one place messages appear, with one policy:

* banners are keyed ("error", "offline", "session", "notice:…"): a new message under a key
  replaces the old one, and a banner tied to a condition is removed with it;
* the same text is never shown twice (under two keys), and a dismissed notice stays gone;
* at most ``MAX_VISIBLE`` are visible, most severe and newest first; the rest are counted
  ("2 more"), and show as the visible ones go;
* content never moves under the pointer: the area sits below the content it belongs to
  (adding a banner shrinks the content from below), and it never shrinks while the pointer
  is over it — the freed space is kept until the pointer leaves. ``reserve=1`` keeps one
  banner's height even when empty (small dialogs, where nothing can absorb a new banner).

Colours come from ``theme.colors()``; icons are drawn in the banner's text colour.
Pages that show a single message use ``show_message(text, kind)`` / ``clear_message()``.
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
_SEVERITY = {kind: n for n, kind in enumerate(KINDS)}
_ICONS = {"error": "error", "warning": "warning", "info": "info", "success": "info"}
MAX_VISIBLE = 2
ROW_HEIGHT = 36  # one single-line banner

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
        self.icon_name = icon_name
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
        self._callbacks: dict[str, Callable[[], None]] = {}
        for title, cb in actions:
            b = QPushButton(title)
            b.setAutoDefault(False)
            self._callbacks[title] = cb
            b.clicked.connect(lambda _c=False, t=title: self._callbacks[t]())
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
            self.buttons[title] = b
        if closable:
            close = QToolButton()
            close.setIcon(theme.icon("close", fg))
            close.setAutoRaise(True)
            close.setToolTip("Dismiss")
            close.setAccessibleName("Dismiss")
            close.clicked.connect(self._dismiss)
            lay.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.closable = closable

    @property
    def text(self) -> str:
        return self.label.text()

    def same_actions(self, actions: Sequence[Action]) -> bool:
        return [t for t, _cb in actions] == list(self.buttons)

    def rebind(self, actions: Sequence[Action]) -> None:
        for title, cb in actions:
            self._callbacks[title] = cb

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


class BannerArea(QWidget):
    """Keyed banners with the policy above; empty = no space unless ``reserve``."""

    changed = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, reserve: int = 0, max_visible: int = MAX_VISIBLE
    ) -> None:
        super().__init__(parent)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(4)
        self._banners: dict[str, Banner] = {}
        self._order: dict[str, int] = {}  # key → sequence number (newest highest)
        self._seq = 0
        self._dismissed: set[str] = set()  # texts the operator dismissed
        self._reserve = reserve
        self.max_visible = max_visible
        self.more = QLabel()
        self.more.setObjectName("bannerOverflow")
        self.more.setProperty("role", "muted")
        self.more.setVisible(False)
        self._lay.addWidget(self.more)
        self.setMinimumHeight(reserve * ROW_HEIGHT)
        self.setVisible(reserve > 0)

    # ---- the policy ---------------------------------------------------------------
    def set(
        self,
        key: str,
        text: str,
        kind: str = "error",
        actions: Sequence[Action] = (),
        *,
        closable: bool = True,
        icon_name: str | None = None,
    ) -> Banner | None:
        """Show ``text`` under ``key``. Returns the banner, or ``None`` when the same text
        is already shown under another key or was dismissed by the operator."""
        current = self._banners.get(key)
        if (
            current is not None
            and current.text == text
            and current.kind == kind
            and current.closable == closable
            and current.icon_name == icon_name
            and current.same_actions(actions)
        ):
            current.rebind(actions)  # unchanged: no flicker, no move
            return current
        for other_key, other in self._banners.items():
            if other_key != key and other.text == text:
                return None  # the same message is never shown twice
        if closable and text in self._dismissed:
            return None
        self.remove(key, notify=False)
        b = Banner(text, kind, actions, closable=closable, icon_name=icon_name, parent=self)
        b.setProperty("bannerKey", key)
        b.dismissed.connect(lambda k=key, bb=b: self._on_dismiss(k, bb))
        self._seq += 1
        self._banners[key] = b
        self._order[key] = self._seq
        self._lay.insertWidget(self._lay.count() - 1, b)
        self._relayout()
        self.changed.emit()
        return b

    def _on_dismiss(self, key: str, banner: Banner) -> None:
        if self._banners.get(key) is banner:
            self._dismissed.add(banner.text)
            self.remove(key)

    def remove(self, key: str, *, notify: bool = True) -> None:
        b = self._banners.pop(key, None)
        self._order.pop(key, None)
        if b is not None:
            self._hold_height()
            self._lay.removeWidget(b)
            b.hide()
            b.deleteLater()
            self._relayout()
        if notify and b is not None:
            self.changed.emit()

    def _ranked(self) -> list[str]:
        return sorted(
            self._banners,
            key=lambda k: (_SEVERITY[self._banners[k].kind], -self._order[k]),
        )

    def _relayout(self) -> None:
        ranked = self._ranked()
        shown = ranked[: self.max_visible]
        for k, b in self._banners.items():
            b.setVisible(k in shown)
        hidden = ranked[self.max_visible :]
        self.more.setVisible(bool(hidden))
        if hidden:
            self.more.setText(f"{len(hidden)} more message(s) — they appear as these are closed.")
            self.more.setToolTip("\n".join(self._banners[k].text for k in hidden))
        self.setVisible(bool(self._banners) or self._reserve > 0 or self.minimumHeight() > 0)

    # ---- never move content under the pointer ----------------------------------------
    def _hold_height(self) -> None:
        """Keep the current height while the pointer is over the area (released on leave)."""
        if self.underMouse() and self.isVisible():
            self.setMinimumHeight(max(self.height(), self._reserve * ROW_HEIGHT))

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.setMinimumHeight(self._reserve * ROW_HEIGHT)
        self._relayout()

    # ---- queries ------------------------------------------------------------------
    def get(self, key: str) -> Banner | None:
        return self._banners.get(key)

    def has(self, key: str) -> bool:
        return key in self._banners

    def keys(self) -> list[str]:
        return list(self._banners)

    def visible_keys(self) -> list[str]:
        return [k for k in self._ranked() if self._banners[k].isVisibleTo(self)]

    def hidden_count(self) -> int:
        return max(0, len(self._banners) - self.max_visible)

    # ---- a page's single message ---------------------------------------------------
    def show_message(self, text: str, kind: str = "info") -> None:
        if text:
            self.set("message", text, kind, closable=False)
        else:
            self.clear_message()

    def clear_message(self) -> None:
        self.remove("message")

    def text(self) -> str:
        """The visible messages' text (one per line)."""
        return "\n".join(self._banners[k].text for k in self.visible_keys())
