"""Outbox scopes are account identities (issue 13 (1)): stable across the embedded
sandbox's port changes, first-format entries re-filed, other accounts' entries shown."""

from __future__ import annotations

import pytest

from desktop.oms import errors
from desktop.oms.accounts import account_scope_for, embedded_locator, legacy_scope_matches
from desktop.oms.client import Credentials, OmsClient
from desktop.oms.outbox import EntryState, Outbox
from tests.support.client import FAST_RETRY, FaultTransport, funded_customer, is_post, send_body


def test_scope_is_stable_and_names_no_credential(tmp_path):
    a = account_scope_for(embedded_locator(tmp_path / "sb"), "sk_sdbx_abc")
    assert a == account_scope_for(embedded_locator(str(tmp_path / "sb" / ".")), "sk_sdbx_abc")
    assert a != account_scope_for(embedded_locator(tmp_path / "other"), "sk_sdbx_abc")
    assert a != account_scope_for(embedded_locator(tmp_path / "sb"), "sk_sdbx_abd")
    assert "sk_sdbx_abc" not in a and str(tmp_path) not in a


@pytest.mark.parametrize(
    ("scope", "base", "key", "mine"),
    [
        ("http://127.0.0.1:4100/v0.9#sk_1", "http://127.0.0.1:5200/v0.9", "sk_1", True),
        ("http://127.0.0.1:4100/v0.9#sk_1", "http://127.0.0.1:5200/v0.9", "sk_2", False),
        ("https://a.example/v0.9#sk_1", "https://a.example/v0.9", "sk_1", True),
        ("https://a.example/v0.9#sk_1", "https://b.example/v0.9", "sk_1", False),
        ("https://a.example/v0.9#sk_1", "http://127.0.0.1:5200/v0.9", "sk_1", False),
        ("acct_0123", "https://a.example/v0.9", "sk_1", False),
    ],
)
def test_first_format_scopes_are_matched_by_account(scope, base, key, mine):
    assert legacy_scope_matches(scope, base, key) is mine


async def test_entries_of_another_account_are_listed_not_replayed(sandbox, tmp_path):
    """An entry journalled under another account stays pending, is never sent through this
    client, and is listed with its label; the first-format entries of this account are
    re-filed and replayed."""
    outbox = Outbox(tmp_path / "o.sqlite3")
    transport = FaultTransport()
    c = OmsClient(
        sandbox.base_url, Credentials(sandbox.api_key, sandbox.api_secret), retry=FAST_RETRY,
        transport=transport, account_id="acct_here", account_label="Here",
    )  # fmt: skip
    async with c:
        cust, wallet = await funded_customer(c)
        q_other = await c.create_quote(send_body(cust, wallet, "1.00"))
        q_legacy = await c.create_quote(send_body(cust, wallet, "2.00"))
        for key, quote, scope, label in (
            ("k-other", q_other, "acct_elsewhere", "Team sandbox (https://t.example)"),
            ("k-legacy", q_legacy, f"http://127.0.0.1:1/v0.9#{sandbox.api_key}", None),
        ):
            outbox._journal(key, scope, "transaction", {"quoteId": quote.id}, label)

        elsewhere = outbox.unresolved_elsewhere("acct_here")
        assert [(e.key, e.label) for e in elsewhere] == [
            ("k-other", "Team sandbox (https://t.example)"),
            ("k-legacy", None),
        ]
        report = await c.account_scope(), await outbox.replay(c)
        assert [e.key for e in report[1].resent] == ["k-legacy"]
        assert outbox.get("k-legacy").scope == "acct_here"
        assert outbox.get("k-other").state is EntryState.PENDING
        assert [e.key for e in outbox.unresolved_elsewhere("acct_here")] == ["k-other"]
        assert transport.count("POST", "/transactions") == 1  # k-other never sent here

        # A new submission is filed under the client's account with its label.
        q3 = await c.create_quote(send_body(cust, wallet, "3.00"))
        for _ in range(10):
            transport.add(is_post("/transactions"), "connect_error")
        with pytest.raises(errors.NetworkError):
            await outbox.submit_transaction(c, q3.id, key="k-new")
        entry = outbox.get("k-new")
        assert (entry.scope, entry.label, entry.state) == ("acct_here", "Here", EntryState.PENDING)
    outbox.close()


def test_old_journals_gain_the_label_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE outbox (key TEXT PRIMARY KEY, scope TEXT NOT NULL, kind TEXT NOT NULL,"
        " body TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,"
        " updated_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result_id TEXT,"
        " result TEXT, error_code TEXT, error_message TEXT);"
        "INSERT INTO outbox VALUES ('k', 'https://a.example/v0.9#sk', 'transaction',"
        " '{\"quoteId\": \"qt_1\"}', 'pending', 1, 1, 1, NULL, NULL, NULL, NULL);"
    )
    db.commit()
    db.close()
    outbox = Outbox(path)
    (entry,) = outbox.entries()
    assert entry.key == "k" and entry.label is None and entry.state is EntryState.PENDING
    outbox.close()
