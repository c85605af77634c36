"""``python -m desktop`` / ``oms-desk``.

``--run-sandbox …`` (used by frozen builds, D20) runs the embedded sandbox server in
this process instead of the GUI; it is handled before Qt is imported.

Start-up overlaps, it does not queue: when the profile to open is the embedded sandbox,
its child process is launched here, before Qt and the UI modules are imported, and
handed to the app (``desktop.app.run``), which adopts it, or stops it if unused. The
thread that reads its ready line then sends the token exchange and the first customers
page at once (``desktop.prefetch``), while the window is still being built.
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


def launch_sandbox_early(args: argparse.Namespace):
    """Launch the embedded sandbox child now if the profile to open needs one.

    Returns ``(EmbeddedSandbox, Future[SandboxInfo])`` or None (another profile kind, a
    profile error the app will report, the self-test which makes its own data dir). Only
    light modules are imported here: no Qt, no UI, no HTTP client.
    """
    if args.self_test:
        return None
    from pathlib import Path

    from desktop.config import (
        ProfileError,
        ProfileKind,
        ProfileStore,
        default_paths,
        resolve_profile,
    )

    try:
        paths = default_paths()
        store = ProfileStore.load(paths.profiles_file)
        profile = resolve_profile(store, args.profile, args.sandbox_data)
        if profile.kind is not ProfileKind.EMBEDDED:
            return None
        data_dir = Path(profile.data_dir) if profile.data_dir else paths.sandbox_dir
    except (ProfileError, OSError, ValueError):
        return None  # the app resolves the profile again and says what is wrong
    from desktop.embedded import EmbeddedSandbox

    sb = EmbeddedSandbox(data_dir, demo=True, extra=tuple(args.sandbox_args or ()))
    return sb, sb.start_in_background(prefetch=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--run-sandbox":
        from desktop.sandbox.__main__ import main as sandbox_main

        return sandbox_main(argv[1:]) or 0
    from desktop import gc_policy

    gc_policy.pause_during_startup()  # until the first rows are painted (desktop.app)
    args, qt_args = build_parser().parse_known_args(argv)
    args.qt_args = qt_args
    early = launch_sandbox_early(args)
    if early is not None:
        import signal

        def _terminated(_signum, _frame) -> None:  # until the app installs its own handler
            raise SystemExit(128 + signal.SIGTERM)

        signal.signal(signal.SIGTERM, _terminated)
    try:
        from desktop.app import run

        return run(args, prestarted=early)
    except BaseException:
        if early is not None:  # the app never got to adopt it: no orphan child
            early[0].stop_blocking(5.0)
        raise


if __name__ == "__main__":
    sys.exit(main())
