"""Fixtures for the money wizard / transactions view tests (registered by tests/flows/conftest.py).

Every test gets a Session wired to a *real* sandbox process over loopback: an
OmsClient, a Tracker (fast polling so tests wait little), an Outbox in tmp_path and an
application TaskScope — on a qasync loop driven by Qt, so ``qtbot.waitUntil`` runs both.
Time moves with ``POST /sandbox/clock/advance`` (sandbox) and ``FakeClock`` (UI); nothing
sleeps.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest

from desktop.oms.client import Credentials, OmsClient
from desktop.oms.outbox import Outbox
from desktop.oms.tracker import Tracker
from desktop.tasks import TaskScope
from desktop.ui.session import Session
from tests.support.identity import identity

# The money tests' customer: the one identity fixture, named so notices are easy to read.
IDENTITY = identity(firstName="Ada", lastName="Lovelace", email="ada@example.com")


class FakeClock:
    """The UI's injected monotonic clock: starts at the real one, moves only when told."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def money_loop(ui_loop):
    """The shell's session qasync loop (tests/support/qt.py), driven by Qt's events."""
    yield ui_loop
    executor = getattr(ui_loop, "_QEventLoop__default_executor", None)
    if executor is not None:  # to_thread workers (outbox journal) end before the next test
        executor.shutdown(wait=True)
        ui_loop._QEventLoop__default_executor = None


def run(qtbot, loop, coro, timeout: int = 20000) -> Any:
    """Run a coroutine on the Qt-driven loop and return its result."""
    task = loop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@dataclass
class MoneyEnv:
    sandbox: Any
    ctx: Session
    client: OmsClient
    loop: Any
    qtbot: Any
    clock: FakeClock
    outbox_path: Path
    customers: list = field(default_factory=list)

    def run(self, coro, timeout: int = 20000) -> Any:
        return run(self.qtbot, self.loop, coro, timeout)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock (settlements are applied before it answers)."""
        self.run(self.client.sandbox_advance_clock(seconds))

    def customer_with_wallet(self, funds: str | None = "1000.00") -> tuple[Any, Any]:
        async def make():
            c = await self.client.create_customer(dict(IDENTITY))
            w = await self.client.create_wallet(c.id)
            if funds:
                await self.client.sandbox_deposit(w.id, Decimal(funds))
            return c, w

        return self.run(make())

    def balance(self, wallet_id: str) -> Decimal:
        return self.run(self.client.get_balance(wallet_id)).balance

    def transactions(self, **kw) -> list:
        async def all_():
            return [t async for t in self.client.iter_transactions(**kw)]

        return self.run(all_())


def make_context(sb, client: OmsClient, outbox_path: Path, clock) -> Session:
    from desktop.config import Profile, ProfileKind

    tracker = Tracker(client, initial=0.05, factor=1.5, cap=0.3, jitter=0.0)
    return Session(
        profile=Profile("Test sandbox", ProfileKind.CUSTOM, base_url=sb.base_url),
        client=client,
        tracker=tracker,
        outbox=Outbox(outbox_path),
        scope=TaskScope("app"),
        is_sandbox=True,
        clock=clock,
    )


def _env(sb, qtbot, loop, tmp_path: Path) -> MoneyEnv:
    clock = FakeClock()
    client = OmsClient(
        sb.base_url, Credentials(sb.api_key, sb.api_secret), monotonic=clock, timeout=10.0
    )
    outbox_path = tmp_path / "outbox.sqlite"
    ctx = make_context(sb, client, outbox_path, clock)
    return MoneyEnv(sb, ctx, client, loop, qtbot, clock, outbox_path)


def _close(env: MoneyEnv) -> None:
    async def close():
        await env.ctx.scope.aclose()
        env.ctx.hub.stop_all()
        await env.ctx.tracker.aclose()
        await env.client.aclose()
        env.ctx.outbox.close()

    # No blanket except: an error while closing (a task that will not stop, an outbox that
    # cannot close) is a real failure of the code under test and must fail the test.
    env.run(close(), timeout=10000)


@pytest.fixture
def money_env(fresh_sandbox, qtbot, money_loop, tmp_path):
    """A Session on a sandbox of its own (own clock: tests may advance it)."""
    env = _env(fresh_sandbox, qtbot, money_loop, tmp_path)
    yield env
    _close(env)


@pytest.fixture
def money_env_factory(qtbot, money_loop, tmp_path):
    """Build several contexts (e.g. an app 'restarted' on the same outbox and sandbox)."""
    made: list[MoneyEnv] = []

    def make(sb, outbox_dir: Path | None = None) -> MoneyEnv:
        env = _env(sb, qtbot, money_loop, outbox_dir or tmp_path)
        made.append(env)
        return env

    yield make
    for env in made:
        _close(env)
