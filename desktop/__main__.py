"""``python -m desktop`` / ``oms-desk``.

``--run-sandbox …`` (used by frozen builds, D20) runs the embedded sandbox server in
this process instead of the GUI; it is handled before Qt is imported.
"""

from __future__ import annotations

import argparse
import sys

from desktop import __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="oms-desk",
        description="OMS Desk: operator console for the Open Money Stack payments API.",
    )
    p.add_argument("--version", action="version", version=f"OMS Desk {__version__}")
    p.add_argument("--profile", metavar="NAME", help="open this saved connection profile")
    p.add_argument(
        "--sandbox-data",
        metavar="DIR",
        help="use the embedded sandbox with its data in DIR (default: the user data dir)",
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="start offscreen with a temporary sandbox, load the first customers, exit 0",
    )
    p.add_argument(
        "--sandbox-arg", dest="sandbox_args", action="append", default=[], help=argparse.SUPPRESS
    )
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--run-sandbox":
        from desktop.sandbox.__main__ import main as sandbox_main

        return sandbox_main(argv[1:]) or 0
    args, qt_args = build_parser().parse_known_args(argv)
    args.qt_args = qt_args
    from desktop.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
