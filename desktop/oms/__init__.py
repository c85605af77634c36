"""Async client for the Open Money Stack payments API (no Qt in here).

Public API: ``desktop.oms.client.OmsClient``/``Credentials``, ``desktop.oms.models``,
``desktop.oms.errors``, ``desktop.oms.tracker.Tracker``, ``desktop.oms.outbox.Outbox``,
``desktop.oms.webhooks``. See /tmp/team/CLIENT_API.md.
"""
