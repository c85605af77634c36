"""Fixtures of the rails tests (cash-ins, payouts, webhooks): a fresh account on the shared
sandbox (`api`), an account on a sandbox of its own (`fresh_api`), a webhook receiver."""

from __future__ import annotations

import pytest

from tests.support.api import Api
from tests.support.webhook_receiver import WebhookReceiver


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
