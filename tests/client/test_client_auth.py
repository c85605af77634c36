"""Token expiry and renewal against a sandbox whose clock passes the token's lifetime (D15)."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.client import FaultTransport, client_for
from tests.support.sandbox import start_sandbox


@pytest.fixture
def short_token_sandbox(tmp_path):
    sb = start_sandbox(tmp_path / "sb", "--token-ttl", "120")
    yield sb
    sb.stop()


async def test_expired_token_is_renewed_once_and_shared(short_token_sandbox):
    transport = FaultTransport()
    async with client_for(short_token_sandbox, transport=transport) as c:
        await c.authenticate()
        assert c.token_exchanges == 1
        await c.list_customers(limit=1)

        await c.sandbox_advance_clock(200)  # past the 120 s lifetime on the sandbox clock
        page = await c.list_customers(limit=1)  # 401 token_expired → renew → retry
        assert page.data == ()
        assert c.token_exchanges == 2
        statuses = [o for m, p, o in transport.log if p.endswith("/customers")]
        assert statuses[-2:] == ["401", "200"]

        # Many concurrent callers with an expired token share one renewal (no stampede).
        await c.sandbox_advance_clock(200)
        pages = await asyncio.gather(*(c.list_customers(limit=1) for _ in range(25)))
        assert len(pages) == 25
        assert c.token_exchanges == 3
        assert transport.count("POST", "/auth/token") == 3


async def test_renewal_failure_gives_a_clear_auth_error(short_token_sandbox, tmp_path):
    from desktop.oms import errors
    from desktop.oms.client import Credentials

    secrets = iter([short_token_sandbox.api_secret, "revoked-secret-value", "revoked-secret-value"])

    async def provider():
        return Credentials(short_token_sandbox.api_key, next(secrets))

    async with client_for(short_token_sandbox, provider) as c:  # type: ignore[arg-type]
        await c.list_customers(limit=1)
        await c.sandbox_advance_clock(200)
        with pytest.raises(errors.AuthError) as ei:
            await c.list_customers(limit=1)
        assert ei.value.code == "invalid_credentials"
        assert "revoked-secret-value" not in str(ei.value)
