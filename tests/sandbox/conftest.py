"""Fixtures of the sandbox tests: a fresh account on the shared sandbox (`api`), an account on
a sandbox of its own (`fresh_api`), a webhook receiver, and a bare SQLite store in a temporary
directory (`store_path`, `store`) for the boundary tests that drive the store directly."""

from __future__ import annotations

import pytest

from desktop.sandbox.store import Store
from tests.support.api import Api
from tests.support.webhook_receiver import WebhookReceiver

# Modules whose tests also run against PostgreSQL in every normal run (the team sandbox's
# backend, D24): the core resources, idempotency, the ledger and settlement, and every rail.
# OMS_TEST_DATABASE=postgresql runs the whole suite on it.
BOTH_BACKENDS = {
    "test_sandbox_core",
    "test_sandbox_idempotency",
    "test_sandbox_flow",
    "test_sandbox_fees",
    "test_rails_cashins",
    "test_rails_payouts",
    "test_rails_webhooks",
    "test_rails_virtual_accounts",
    "test_rails_deposit_addresses",
    "test_rails_saved_addresses",
}


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module in BOTH_BACKENDS and "sandbox_backend" in metafunc.fixturenames:
        metafunc.parametrize(
            "sandbox_backend", ["sqlite", "postgresql"], indirect=True, scope="session"
        )


@pytest.fixture
def store_path(tmp_path):
    return str(tmp_path / "s.db")


@pytest.fixture
def store(store_path):
    s = Store(store_path)
    yield s
    s.loop = None  # a test that set a loop for group commit: close synchronously
    s.close()


@pytest.fixture
def api(sandbox):
    root = Api.of(sandbox)
    acct = root.new_account()
    yield acct
    acct.close()
    root.close()


@pytest.fixture
def fresh_api(fresh_sandbox):
    a = Api.of(fresh_sandbox)
    yield a
    a.close()


@pytest.fixture
def receiver():
    rec = WebhookReceiver()
    yield rec
    rec.close()
