"""Entry script of the frozen oms-desk executable (PyInstaller runs this file as __main__).

The same executable is both the desktop app and, when started as
`oms-desk --run-sandbox ...`, the embedded sandbox server (D20): desktop.__main__.main()
handles that flag before it imports Qt.

`oms-desk --check-bundle` (packaging checks only, not a user feature) imports every
module of the `desktop` package inside the bundle and exits 0, or prints the modules that
fail and exits 1: it catches a module left out of the bundle, or excluded by the spec,
on a code path that --self-test does not reach.
"""

import sys


def check_bundle() -> int:
    import importlib
    import os
    import pkgutil
    import traceback

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import desktop

    names = sorted(m.name for m in pkgutil.walk_packages(desktop.__path__, "desktop."))
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
            traceback.print_exc()
    if failed or len(names) < 10:
        print(f"check-bundle: {len(failed)} of {len(names)} modules failed: {failed}")
        return 1
    print(f"check-bundle: all {len(names)} desktop modules import")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check-bundle"]:
        sys.exit(check_bundle())
    from desktop.__main__ import main

    sys.exit(main())
