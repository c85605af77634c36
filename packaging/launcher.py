"""Entry script of the frozen oms-desk executable (PyInstaller runs this file as __main__).

The same executable is both the desktop app and, when started as
`oms-desk --run-sandbox ...`, the embedded sandbox server (D20): desktop.__main__.main()
handles that flag.
"""

import sys

from desktop.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
