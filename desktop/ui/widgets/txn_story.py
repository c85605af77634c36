"""The one transaction detail pane: a transaction's story (issue 14, item 1).

The Transactions tab and the customer pane show the same widget. It renders the Qt-free
:func:`desktop.flows.story.tell` — type, who sent and who received (linked, by name and
email), gross and net on both sides, every fee and the rate, a timeline marked "from the
transaction" / "seen by the desk", and the outcome (copyable hash, an explorer link only
on a real network, masked bank details, the failure in words and its refund). Engineers
open "Raw JSON". It follows the session's hub: a newer version of the transaction, or a
name learned later, redraws it.
"""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.display import when
from desktop.flows.story import Related, Story, tell
from desktop.ui import theme
from desktop.ui.widgets.copyable import CopyableValue

__all__ = ["StoryPane"]


def _esc(text: Any) -> str:
    return html.escape(str(text or ""))


def _wrappable(text: Any) -> str:
    """Escaped, with break opportunities inside long tokens (addresses, ids) so a narrow
    pane wraps them instead of clipping them."""
    words = []
    for word in str(text or "").split(" "):
        if len(word) > 22:
            word = "\u200b".join(word[i : i + 11] for i in range(0, len(word), 11))
        words.append(html.escape(word))
    return " ".join(words)


def _rows(pairs: list[tuple[str, str]]) -> str:
    muted = theme.colors().muted
    return "".join(
        f"<tr><td style='color:{muted}; padding-right:10px'>{_esc(k)}</td>"
        f"<td align='right'>{_esc(v)}</td></tr>"
        for k, v in pairs
    )


class StoryPane(QScrollArea):
    """Select a transaction → its story. ``goto(id)`` for every link (customer, wallet,
    quote, cash-in); the main window switches to the tab that shows it."""

    goto = Signal(str)

    def __init__(self, session: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transactionStory")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Transaction detail")
        body = QWidget()
        theme.style_widget(body)
        self.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.setSpacing(6)

        # A quote or cash-in a link led to: told above the transaction it belongs to.
        self.related = QLabel()
        self.related.setObjectName("storyRelated")
        self.related.setWordWrap(True)
        self.related.setTextFormat(Qt.TextFormat.RichText)
        self.related.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.related.setFrameShape(QFrame.Shape.StyledPanel)
        self.related.setMargin(6)
        self.related.linkActivated.connect(self._link)
        self.related.setVisible(False)
        lay.addWidget(self.related)

        self.title = QLabel("Select a transaction")
        self.title.setProperty("role", "heading")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.status = QLabel()
        self.status.setObjectName("storyStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        lay.addWidget(self.status)
        self.id_label = CopyableValue()
        self.id_label.setAccessibleName("Transaction id")
        self.id_label.button.setAccessibleName("Copy transaction id")
        lay.addWidget(self.id_label)

        def rich(name: str) -> QLabel:
            lab = QLabel()
            lab.setObjectName(name)
            lab.setWordWrap(True)
            lab.setTextFormat(Qt.TextFormat.RichText)
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            lab.linkActivated.connect(self._link)
            lay.addWidget(lab)
            return lab

        self.parties = rich("storyParties")
        self.parties.setAccessibleName("Sender and recipient")
        self.figures = rich("storyFigures")
        self.figures.setAccessibleName("Amounts, fees and rate")
        self.timeline = rich("storyTimeline")
        self.timeline.setAccessibleName("Timeline")
        self.outcome = rich("storyOutcome")
        self.outcome.setAccessibleName("Outcome")
        self.hash_label = CopyableValue()
        self.hash_label.setObjectName("storyHash")
        self.hash_label.setAccessibleName("Transaction hash")
        self.hash_label.button.setAccessibleName("Copy transaction hash")
        lay.addWidget(self.hash_label)
        self.explorer = QLabel()
        self.explorer.setObjectName("storyExplorer")
        self.explorer.setOpenExternalLinks(True)
        self.explorer.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.explorer.setAccessibleName("Block explorer link")
        lay.addWidget(self.explorer)
        self.links = rich("storyLinks")
        self.links.setAccessibleName("Related objects")

        self.raw_toggle = QToolButton()
        self.raw_toggle.setText("Raw &JSON")
        self.raw_toggle.setObjectName("rawJsonToggle")
        self.raw_toggle.setCheckable(True)
        self.raw_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.raw_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.raw_toggle.setAccessibleName("Show raw JSON")
        self.raw_toggle.toggled.connect(self._toggle_raw)
        lay.addWidget(self.raw_toggle)
        self.raw = QPlainTextEdit()
        self.raw.setObjectName("rawJson")
        self.raw.setReadOnly(True)
        self.raw.setAccessibleName("Raw JSON of the transaction")
        self.raw.setMinimumHeight(160)
        self.raw.setVisible(False)
        lay.addWidget(self.raw)
        lay.addStretch(1)

        self.txn: Any = None
        self.rel: Related | None = None
        self.viewer: str | None = None
        self.story: Story | None = None
        self.session: Any = None
        self.set_session(session)
        self._render()

    # ---- the hub --------------------------------------------------------------------
    def set_session(self, session: Any) -> None:
        if self.session is not None:
            try:
                self.session.hub.changed.disconnect(self._on_changes)
            except (RuntimeError, TypeError):
                pass
        self.session = session
        if session is not None:
            session.hub.changed.connect(self._on_changes)

    def _on_changes(self, changes: Any) -> None:
        t = self.txn
        if t is None:
            return
        fresh = changes.transactions.get(t.id)
        if fresh is not None:
            self.show_transaction(fresh, viewer=self.viewer)
        elif {t.sender, t.recipient} & set(changes.customers):
            self.show_transaction(t, viewer=self.viewer)

    # ---- rendering -----------------------------------------------------------------
    def show_transaction(self, t: Any, *, viewer: str | None = None) -> None:
        if self.rel is not None and (t is None or t.id != self.rel.transaction_id):
            self.rel = None  # another transaction: the quote / cash-in no longer applies
        self.txn = t
        self.viewer = viewer
        self._render()

    def show_related(self, rel: Related | None, t: Any = None, *, viewer: str | None = None):
        """A quote or cash-in (``None`` clears it) above the story of ``t``, its
        transaction (``None`` when it has none yet: the quote or cash-in alone)."""
        self.rel = rel
        self.txn = t
        self.viewer = viewer
        self._render()

    def _render_related(self) -> None:
        rel = self.rel
        self.related.setVisible(rel is not None)
        if rel is None:
            self.related.clear()
            return
        c = theme.colors()
        self.related.setText(
            f"<b>{_esc(rel.label)} {_wrappable(rel.id)}</b><br>{_esc(rel.title)}"
            f"<br><span style='color:{c.muted}'>{_esc(rel.status)}</span>"
            # Lines, not a table: long values (addresses, ids) wrap in a narrow pane.
            + "".join(
                f"<br><span style='color:{c.muted}'>{_esc(k)}</span>&nbsp; {_wrappable(v)}"
                for k, v in rel.rows
            )
        )
        self.related.setAccessibleName(f"{rel.label} {rel.id}")
        self.related.setAccessibleDescription(rel.text())

    def _render(self) -> None:
        self._render_related()
        t = self.txn
        if t is None:
            self.story = None
            self.title.setText(
                "No transaction yet" if self.rel is not None else "Select a transaction"
            )
            for w in (self.status, self.parties, self.figures, self.timeline, self.outcome):
                w.clear()
            self.links.clear()
            self.id_label.set_value("")
            self.id_label.setVisible(False)
            self.hash_label.setVisible(False)
            self.explorer.setVisible(False)
            self.raw_toggle.setVisible(False)
            self.raw.setVisible(False)
            return
        hub = self.session.hub if self.session is not None else None
        story = tell(
            t,
            viewer=self.viewer,
            names=hub.name_of if hub is not None else None,
            seen=hub.seen.get(t.id, ()) if hub is not None else (),
            real_network=self.session is not None and not self.session.is_sandbox,
            wallets=(lambda wid: hub.wallet_owners.get(wid, ("", ""))[1])
            if hub is not None
            else None,
            accounts=hub.account_labels.get if hub is not None else None,
            stores=hub.store_of if hub is not None else None,
        )
        self.story = story
        self.title.setText(story.title)
        self.status.setText(story.status)
        self.status.setStyleSheet(theme.text_style(story.status_kind, bold=True))
        self.status.setAccessibleDescription(story.status)
        self.id_label.set_value(t.id)
        self.id_label.setVisible(True)

        c = theme.colors()
        parts = []
        for p in story.parties:
            who = (
                f"<a href='{_esc(p.customer_id)}'>{_esc(p.name)}</a>"
                if p.customer_id
                else _esc(p.name or "outside OMS")
            )
            if p.email:
                who += f" &lt;<a href='mailto:{_esc(p.email)}'>{_esc(p.email)}</a>&gt;"
            where = (
                f"<br><span style='color:{c.muted}'>{_wrappable(p.where)}</span>" if p.where else ""
            )
            parts.append(f"<b>{_esc(p.role)}</b> {who}{where}")
        self.parties.setText("<br>".join(parts))

        figures = "<b>Amounts</b><table>" + _rows(story.amounts) + "</table>"
        figures += "<b>Fees</b><table>" + _rows(story.fees) + "</table>"
        if story.rates:
            figures += "<b>Rate</b><table>" + _rows(story.rates) + "</table>"
        self.figures.setText(figures)

        steps = "".join(
            f"<tr><td style='color:{c.muted}; padding-right:8px'>{_esc(when(s.at))}</td>"
            f"<td>{_esc(s.text)}</td>"
            f"<td style='color:{c.muted}; padding-left:8px'><i>{_esc(s.source_words)}</i></td></tr>"
            for s in story.timeline
        )
        self.timeline.setText(f"<b>Timeline</b><table>{steps}</table>")

        kind = "error" if story.failure else ("success" if story.status_kind == "success" else "")
        color = getattr(c, kind)[1] if kind else c.text
        out = "".join(
            f"<tr><td style='color:{c.muted}; padding-right:10px'>{_esc(k)}</td>"
            f"<td style='color:{color}'>{_esc(v)}</td></tr>"
            for k, v in story.outcome
        )
        self.outcome.setText(f"<b>Outcome</b><table>{out}</table>")
        self.hash_label.set_value(story.tx_hash)
        self.hash_label.setVisible(bool(story.tx_hash))
        if story.explorer:
            self.explorer.setText(f"<a href='{_esc(story.explorer)}'>View on block explorer</a>")
        self.explorer.setVisible(bool(story.explorer))
        self.links.setText(
            " · ".join(f"{_esc(k)} <a href='{_esc(v)}'>{_esc(v)}</a>" for k, v in story.links)
        )
        self.raw_toggle.setVisible(True)
        if self.raw.isVisible():
            self._fill_raw()

    def _toggle_raw(self, on: bool) -> None:
        self.raw_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.raw_toggle.setAccessibleName("Hide raw JSON" if on else "Show raw JSON")
        if on:
            self._fill_raw()
        self.raw.setVisible(on and self.txn is not None)

    def _fill_raw(self) -> None:
        raw = dict(getattr(self.txn, "raw", {}) or {})
        self.raw.setPlainText(json.dumps(raw, indent=2, default=str, ensure_ascii=False))

    def raw_json(self) -> str:
        """The raw JSON text (filled on demand)."""
        self._fill_raw()
        return self.raw.toPlainText()

    def _link(self, href: str) -> None:
        if href.startswith("mailto:"):
            from PySide6.QtCore import QUrl
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(QUrl(href))
            return
        self.goto.emit(href)
