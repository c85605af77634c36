"""Money-flow tests: the autouse Qt fixtures and the money environment."""

from tests.support.money import money_env, money_env_factory, money_loop  # noqa: F401
from tests.support.qt import desk_home, memory_keyring, ui_loop, window  # noqa: F401
