"""Render the app icon (an SVG) into the raster files the installers need.

    python packaging/make_icons.py [SVG] [OUTDIR]

Writes OUTDIR/png/oms-desk-<N>.png for the hicolor theme, OUTDIR/oms-desk.ico (PNG-in-ICO,
several sizes, for the Windows exe and installer) and OUTDIR/oms-desk.iconset/ (for
`iconutil -c icns` on macOS). Uses Qt's own SVG renderer, so no extra tool is needed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICONSET = {  # macOS iconset names
    "icon_16x16.png": 16,
    "icon_16x16@2x.png": 32,
    "icon_32x32.png": 32,
    "icon_32x32@2x.png": 64,
    "icon_128x128.png": 128,
    "icon_128x128@2x.png": 256,
    "icon_256x256.png": 256,
    "icon_256x256@2x.png": 512,
    "icon_512x512.png": 512,
    "icon_512x512@2x.png": 1024,
}


def render(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, "PNG"):
        raise RuntimeError(f"could not encode a {size}px PNG")
    return bytes(data)


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images (supported since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        blob = pngs[s]
        dim = 0 if s >= 256 else s  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return header + entries + blobs


def main(argv: list[str]) -> int:
    svg = Path(argv[0]) if argv else ROOT / "resources" / "icons" / "oms-desk.svg"
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "packaging" / "build-icons"
    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        print(f"make_icons: {svg} is not a valid SVG", file=sys.stderr)
        return 1
    cache = {s: render(renderer, s) for s in {*HICOLOR_SIZES, *ICO_SIZES, *ICONSET.values()}}
    (out / "png").mkdir(parents=True, exist_ok=True)
    for s in HICOLOR_SIZES:
        (out / "png" / f"oms-desk-{s}.png").write_bytes(cache[s])
    (out / "oms-desk.ico").write_bytes(ico({s: cache[s] for s in ICO_SIZES}))
    iconset = out / "oms-desk.iconset"
    iconset.mkdir(exist_ok=True)
    for name, s in ICONSET.items():
        (iconset / name).write_bytes(cache[s])
    print(f"make_icons: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
