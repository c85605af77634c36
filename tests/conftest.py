"""Shared test set-up: offscreen Qt, a real sandbox over loopback.

Helpers live in the ``tests.support`` package; fixtures that every directory uses are
registered here, the autouse Qt ones only in ``tests/ui`` and ``tests/flows``.
"""

from __future__ import annotations

import os

# Must be set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest

from tests.support.qt import demo_sandbox, qasync_loop  # noqa: F401  (fixtures)
from tests.support.sandbox import SandboxProcess, default_backend, start_sandbox


@pytest.fixture(scope="session")
def sandbox_backend(request) -> str:
    """sqlite or postgresql: parametrized per module by tests/sandbox/conftest.py, else the
    env OMS_TEST_DATABASE (default sqlite)."""
    return getattr(request, "param", None) or default_backend()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory, sandbox_backend) -> SandboxProcess:
    """One shared sandbox (manual clock) for tests that do not need isolation.

    Tests that advance the clock or need an empty account should create their own
    account with POST /sandbox/accounts, or use `fresh_sandbox`.
    """
    sb = start_sandbox(tmp_path_factory.mktemp("sandbox"), backend=sandbox_backend)
    yield sb
    sb.stop()


@pytest.fixture
def fresh_sandbox(tmp_path, sandbox_backend) -> SandboxProcess:
    """A sandbox of its own for a single test (own data dir, own clock)."""
    sb = start_sandbox(tmp_path / "sandbox", backend=sandbox_backend)
    yield sb
    sb.stop()
