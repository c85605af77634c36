"""Async client for the Open Money Stack payments API (no Qt in here).

Public API: ``desktop.oms.client.OmsClient``/``Credentials``, ``desktop.oms.models``,
``desktop.oms.errors``, ``desktop.oms.tracker.Tracker``, ``desktop.oms.outbox.Outbox``,
``desktop.oms.webhooks``. See /tmp/team/CLIENT_API.md.

Re-exported here: the one idempotency-key generator and the status/type enums, which is how
the rest of the app compares statuses (never as strings).
"""

from .ids import new_idempotency_key, valid_idempotency_key
from .models import (
    CashInStatus,
    CashInSubStatus,
    CustomerStatus,
    DepositAddressStatus,
    EndorsementStatus,
    ExternalAccountType,
    QuoteStatus,
    TransactionStatus,
    TransactionSubStatus,
    TransactionType,
    VirtualAccountStatus,
    WalletStatus,
    WebhookStatus,
)

__all__ = [
    "CashInStatus",
    "CashInSubStatus",
    "CustomerStatus",
    "DepositAddressStatus",
    "EndorsementStatus",
    "ExternalAccountType",
    "QuoteStatus",
    "TransactionStatus",
    "TransactionSubStatus",
    "TransactionType",
    "VirtualAccountStatus",
    "WalletStatus",
    "WebhookStatus",
    "new_idempotency_key",
    "valid_idempotency_key",
]
