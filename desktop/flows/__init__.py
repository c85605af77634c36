"""Money flows: the state of one money action as plain, tested objects (no Qt, no I/O).

The wizards in ``desktop.ui.wizards`` render from these and write into them; the same
objects can run a batch row. Import-linter keeps this package free of Qt, httpx and
``desktop.ui`` (pyproject.toml).
"""
