"""In-process checks of the rails building blocks that need no server: D14 signing (test
vector, standardwebhooks round trip), event filters, URL rule, account masking, store
distances, and the delivery worker's handling of a timeout (a fault that costs 5 real
seconds against a real server, so it is injected with httpx.MockTransport)."""

from __future__ import annotations

import base64

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from desktop.sandbox import locations_data
from desktop.sandbox import webhook_delivery as wd
from desktop.sandbox.payouts import mask_account_number
from desktop.sandbox.store import Store

VECTOR_SECRET = "whsec_" + "00112233445566778899aabbccddeeff" * 2


def test_d14_signature_test_vector():
    sig = wd.sign(VECTOR_SECRET, "evt_test", 1700000000, '{"id":"evt_test"}')
    assert sig == "v1,2OwxEZpi7TFbXBkN20dMv8x+RuxKXcxAA4VaypG+eCk="


def test_signed_headers_verify_with_standardwebhooks():
    secret = wd.new_secret()
    body = '{"id":"evt_1","object":"event","type":"cashIn.completed","data":{}}'
    headers = wd.signed_headers(secret, "evt_1", body)
    verified = Webhook(bytes.fromhex(secret.removeprefix("whsec_"))).verify(body, headers)
    assert verified["type"] == "cashIn.completed"
    with pytest.raises(WebhookVerificationError, match="No matching signature found"):
        Webhook(bytes.fromhex(wd.new_secret()[6:])).verify(body, headers)


@pytest.mark.parametrize(
    ("patterns", "event", "match"),
    [
        ([], "cashIn.completed", True),
        (["cashIn.*"], "cashIn.completed", True),
        (["cashIn.*"], "transaction.fiatToCrypto.completed", False),
        (["transaction.*"], "transaction.cryptoToFiat.failed", True),
        (["transaction.cryptoToFiat.*"], "transaction.cryptoToCrypto.failed", False),
        (["wallet.depositDetected"], "wallet.depositDetected", True),
        (["wallet.depositDetected"], "wallet.depositDetectedX", False),
        (["cashIn"], "cashIn.completed", False),
    ],
)
def test_event_filters(patterns, event, match):
    assert wd.event_matches(patterns, event) is match


def test_event_pattern_validation():
    assert all(wd.valid_event_pattern(t) for t in wd.EVENT_TYPES)
    assert wd.valid_event_pattern("customer.endorsement.*")
    assert not wd.valid_event_pattern("customer.*.granted")
    assert not wd.valid_event_pattern("*")
    assert not wd.valid_event_pattern("nope.*")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/h", True),
        ("http://127.0.0.1:9000/h", True),
        ("http://127.5.5.5/h", True),
        ("http://localhost/h", True),
        ("http://[::1]:80/h", True),
        ("http://example.com/h", False),
        ("http://10.0.0.1/h", False),
        ("ftp://example.com/h", False),
        ("https:///nohost", False),
        ("https://example.com:99999/h", False),
    ],
)
def test_url_rule(url, ok):
    assert (wd.url_problem(url) is None) is ok


def test_account_numbers_are_masked_to_the_last_four():
    assert mask_account_number("000123454242") == "******4242"
    assert mask_account_number("1234") == "******1234"


def test_store_set_is_fixed_and_references_decode():
    ids = [loc.id for loc in locations_data.LOCATIONS]
    assert len(ids) == len(set(ids)) == 40
    cities = {loc.city for loc in locations_data.LOCATIONS}
    assert {"New York", "San Francisco", "Sacramento", "Chicago", "Austin", "Miami"} <= cities
    for loc in locations_data.LOCATIONS:
        raw = base64.b64decode(loc.location_reference).decode()
        assert raw.startswith(f"GREENDOT-{loc.store_number}:lat=")
    # Sacramento -> San Francisco is about 75 miles as the crow flies.
    d = locations_data.haversine_miles(38.5816, -121.4944, 37.7749, -122.4194)
    assert 74 < d < 77
    assert locations_data.format_distance(0.05) == "0.1"
    assert locations_data.format_distance(12.04) == "12.0"


def test_worker_records_a_timeout_and_schedules_the_retry(tmp_path):
    store = Store(str(tmp_path / "db.sqlite"))
    wd.init_schema(store)
    secret = wd.new_secret()
    now = [1_000_000]
    with store.tx() as tx:
        tx.insert_resource(
            id="whk_a",
            account="acct",
            kind=wd.WEBHOOK_KIND,
            created_ms=now[0],
            body={"url": "https://receiver.example/h", "events": []},
            status="active",
            extra={"secret": secret},
        )
        assert wd.enqueue(tx, "acct", "evt_a", "cashIn.completed", '{"id":"evt_a"}', now[0]) == 1

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            raise httpx.ReadTimeout("no answer within 5 s", request=request)
        return httpx.Response(204)

    worker = wd.DeliveryWorker(store, lambda: now[0])
    client = httpx.Client(transport=httpx.MockTransport(handler))
    assert worker.run_once(client) is True
    row = store.one("SELECT status, attempts, next_attempt_ms, last_error FROM webhook_deliveries")
    assert tuple(row) == ("pending", 1, now[0] + 5_000, "timeout")
    assert worker.run_once(client) is False  # not due yet
    now[0] += 5_000
    assert worker.run_once(client) is True
    row = store.one("SELECT status, attempts, last_status_code FROM webhook_deliveries")
    assert tuple(row) == ("succeeded", 2, 204)
    assert seen[0].headers["webhook-id"] == seen[1].headers["webhook-id"] == "evt_a"
    assert seen[0].content == seen[1].content == b'{"id":"evt_a"}'
    Webhook(wd.secret_key(secret)).verify(seen[1].content, dict(seen[1].headers))
    client.close()
    store.close()


def test_webhook_url_rule_uses_the_one_loopback_rule():
    """http is allowed only on this computer, by the shared rule and its shared vectors."""
    from tests.support.vectors import LOOPBACK_HOSTS, NOT_LOOPBACK_HOSTS

    def url(host: str) -> str:
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:8080/hook"

    for host in LOOPBACK_HOSTS:
        assert wd.url_problem(url(host)) is None, host
    for host in NOT_LOOPBACK_HOSTS:
        assert wd.url_problem(url(host)) is not None, host
        assert wd.url_problem(url(host).replace("http:", "https:", 1)) is None, host
