"""UI tests: the autouse Qt fixtures (session loop current, in-memory keyring)."""

from tests.support.qt import desk_home, memory_keyring, ui_loop, window  # noqa: F401
