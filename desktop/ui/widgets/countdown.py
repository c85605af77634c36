"""A label counting down to a monotonic deadline (quotes, deposit codes).

The remaining time is recomputed from the deadline on every tick (never decremented),
with a single-shot timer aimed at the next whole-second change, so a busy event loop
only delays a redraw and cannot make the figure wrong. The clock is the deadline's,
injected by tests.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from desktop.display import remaining
from desktop.flows.timing import Deadline
from desktop.ui import theme

URGENT_SECONDS = 10.0
_NORMAL = "color: palette(text);"


class CountdownLabel(QLabel):
    """Shows ``prefix 0:27``; red in the last 10 s; emits ``expired`` once at zero."""

    expired = Signal()
    ticked = Signal(float)

    def __init__(
        self,
        prefix: str = "Expires in",
        *,
        expired_text: str = "Expired",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.prefix = prefix
        self.expired_text = expired_text
        self._deadline: Deadline | None = None
        self._fired = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        self.setAccessibleName("countdown")
        self.setText("")

    @property
    def deadline(self) -> Deadline | None:
        return self._deadline

    def set_deadline(self, deadline: Deadline | None) -> None:
        self._deadline = deadline
        self._fired = False
        self.refresh()

    def remaining(self) -> float:
        return self._deadline.remaining() if self._deadline else 0.0

    def is_urgent(self) -> bool:
        return self._deadline is not None and 0 < self.remaining() <= URGENT_SECONDS

    def refresh(self) -> None:
        """Recompute from the deadline, redraw, and aim the timer at the next change."""
        self._timer.stop()
        if self._deadline is None:
            self.setText("")
            return
        left = self._deadline.remaining()
        if left <= 0:
            self.setText(self.expired_text)
            self.setAccessibleDescription(self.expired_text)
            self.setStyleSheet(theme.text_style("error"))
            if not self._fired:
                self._fired = True
                self.expired.emit()
            return
        self.setText(f"{self.prefix} {remaining(left)}")
        self.setAccessibleDescription(self.text())  # a value that changes (screen readers)
        self.setStyleSheet(
            theme.text_style("error", bold=True) if left <= URGENT_SECONDS else _NORMAL
        )
        self.ticked.emit(left)
        # Aim just past the next whole-second boundary; never slower than 1 s.
        self._timer.start(min(1000, self._deadline.ms_to_next_tick() + 5))

    def stop(self) -> None:
        self._timer.stop()
        self._deadline = None
