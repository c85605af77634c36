"""QR code of a wallet address, rendered by segno as SVG and drawn by QSvgRenderer."""

from __future__ import annotations

import io

from PySide6.QtCore import QByteArray, QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QSizePolicy, QWidget


def qr_svg(text: str, *, dark: str = "#000000", light: str = "#ffffff", border: int = 2) -> bytes:
    import segno  # when a wallet card first shows a code, not at start-up

    buf = io.BytesIO()
    segno.make(text, error="m").save(
        buf, kind="svg", dark=dark, light=light, border=border, scale=4
    )
    return buf.getvalue()


class QrWidget(QWidget):
    """Square QR code; always black on white so phone cameras read it in dark mode."""

    def __init__(self, text: str = "", size: int = 132, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self._renderer = QSvgRenderer(self)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self._text = text
        if text:
            self._renderer.load(QByteArray(qr_svg(text)))
        self.setToolTip(text)
        self.update()

    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def paintEvent(self, event) -> None:
        if not self._text:
            return
        p = QPainter(self)
        side = min(self.width(), self.height())
        self._renderer.render(p, QRectF(0, 0, side, side))
        p.end()
