"""Shared test set-up: offscreen Qt, a real sandbox over loopback."""

from __future__ import annotations

import os

# Must be set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sandbox_proc import SandboxProcess, start_sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> SandboxProcess:
    """One shared sandbox (manual clock) for tests that do not need isolation.

    Tests that advance the clock or need an empty account should create their own
    account with POST /sandbox/accounts, or use `fresh_sandbox`.
    """
    sb = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield sb
    sb.stop()


@pytest.fixture
def fresh_sandbox(tmp_path) -> SandboxProcess:
    """A sandbox of its own for a single test (own data dir, own clock)."""
    sb = start_sandbox(tmp_path / "sandbox")
    yield sb
    sb.stop()
