"""Cash locations, cash-ins and the simulated deposit (D8, D11, D21; flow §5.1), over HTTP
against a real sandbox process."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from tests.support.api import NYC, SACRAMENTO, Api, assert_error, ts


def funded_customer(api: Api, **overrides):
    cst = api.customer(**overrides)
    return cst, api.wallet(cst["id"])


# -- cash locations ---------------------------------------------------------------------------
def test_cash_locations_nearest_first_with_distances(api):
    r = api.get(
        "/cash-locations",
        provider="greendot",
        latitude=SACRAMENTO[0],
        longitude=SACRAMENTO[1],
        flow="cashIn",
    )
    page = api.ok(r)
    items = page["data"]
    assert len(items) >= 30 and page["hasMore"] is False
    first = items[0]
    assert first["name"] == "CVS Pharmacy #2434" and first["distance"] == "0.0"
    assert base64.b64decode(first["locationReference"]).decode() == (
        "GREENDOT-2434:lat=38.495133,lng=-121.505336"
    )
    assert set(first) == {
        "id",
        "object",
        "locationReference",
        "provider",
        "name",
        "address",
        "city",
        "state",
        "zipCode",
        "country",
        "coordinates",
        "distance",
    }
    assert first["object"] == "cashLocation" and first["provider"] == "greendot"
    assert first["id"].startswith("loc_") and len(first["id"]) == 4 + 26
    miles = [float(i["distance"]) for i in items]
    assert miles == sorted(miles)
    assert all(
        i["distance"].count(".") == 1 and len(i["distance"].split(".")[1]) == 1 for i in items
    )
    # Same ids on every call; New York 10001 sees its own stores first.
    ny = api.ok(
        api.get("/cash-locations", provider="greendot", latitude=NYC[0], longitude=NYC[1], limit=3)
    )["data"]
    assert [i["city"] for i in ny] == ["New York"] * 3
    assert ny[0]["name"] == "CVS Pharmacy #4521" and ny[0]["distance"] == "0.1"
    assert {i["id"] for i in items} >= {i["id"] for i in ny}


def test_cash_locations_paging_both_ways(api):
    q = {"provider": "greendot", "latitude": NYC[0], "longitude": NYC[1]}
    all_ids = [i["id"] for i in api.ok(api.get("/cash-locations", **q))["data"]]
    p1 = api.ok(api.get("/cash-locations", **q, limit=5))
    assert [i["id"] for i in p1["data"]] == all_ids[:5] and p1["hasMore"] is True
    assert p1["nextCursor"] == all_ids[4] and p1["previousCursor"] == all_ids[0]
    p2 = api.ok(api.get("/cash-locations", **q, limit=5, startingAfter=p1["nextCursor"]))
    assert [i["id"] for i in p2["data"]] == all_ids[5:10]
    back = api.ok(api.get("/cash-locations", **q, limit=5, endingBefore=p2["previousCursor"]))
    assert [i["id"] for i in back["data"]] == all_ids[:5] and back["hasMore"] is False


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"latitude": "40.7", "longitude": "-73.9"}, "provider"),
        ({"provider": "allpoint", "latitude": "40.7", "longitude": "-73.9"}, "provider"),
        ({"provider": "greendot", "longitude": "-73.9"}, "latitude"),
        ({"provider": "greendot", "latitude": "north", "longitude": "-73.9"}, "latitude"),
        ({"provider": "greendot", "latitude": "91", "longitude": "-73.9"}, "latitude"),
        ({"provider": "greendot", "latitude": "40.7", "longitude": "-181"}, "longitude"),
        ({"provider": "greendot", "latitude": "40.7", "longitude": "nan"}, "longitude"),
        ({"provider": "greendot", "latitude": "40.7", "longitude": "-73.9", "flow": "x"}, "flow"),
        ({"provider": "greendot", "latitude": "40.7", "longitude": "-73.9", "limit": 0}, "limit"),
        ({"provider": "greendot", "latitude": "40.7", "longitude": "-73.9", "limit": 101}, "limit"),
        (
            {
                "provider": "greendot",
                "latitude": "40.7",
                "longitude": "-73.9",
                "startingAfter": "loc_nope",
            },
            "startingAfter",
        ),
    ],
)
def test_cash_locations_bad_input(api, params, param):
    assert_error(api.get("/cash-locations", **params), 400, "invalid_request", param)


# -- flow §5.1 ---------------------------------------------------------------------------------
def test_flow_a_cash_in_to_completed_with_webhooks(fresh_api, receiver):
    api = fresh_api
    hook = api.webhook(receiver.url, ["cashIn.*", "transaction.fiatToCrypto.*"])
    receiver.set_secret(hook["secret"])
    cst, wlt = funded_customer(api)
    loc = api.location(NYC)
    body = {
        "customerId": cst["id"],
        "source": {"asset": "usd", "indicatedAmount": "100.00"},
        "destination": {"wallet": {"id": wlt["id"]}, "asset": "usdc", "network": "polygon"},
        "cash": {"locationId": loc["id"], "locationReference": loc["locationReference"]},
    }
    ci = api.ok(api.post("/cash-ins", body), 201)
    assert ci["id"].startswith("ci_") and ci["object"] == "cashIn"
    assert (ci["status"], ci["subStatus"], ci["type"]) == (
        "pending",
        "order_reserved",
        "fiatToCrypto",
    )
    assert ci["transactionId"] is None and ci["customerId"] == cst["id"]
    di = ci["depositInstructions"]
    assert di["code"] and di["locationName"] == loc["name"]
    assert ts(di["expiresAt"]) - ts(ci["createdAt"]) == timedelta(hours=1)
    assert ci["omsFeeSchedule"] == {
        "feeCurrency": "usd",
        "entries": [{"type": "percentage", "rate": "0.015"}, {"type": "fixed", "amount": "0.50"}],
    }
    # Estimate from indicatedAmount: 1.5 % of 100.00 + 0.50 = 2.00
    assert ci["source"]["amountGross"] == "100.00" and ci["source"]["amountNet"] == "98.00"
    assert ci["source"]["feesDeducted"]["total"] == "2.00"
    assert ci["destination"]["amountNet"] == "98.00"
    assert ci["destination"]["wallet"]["id"] == wlt["id"]
    assert api.ok(api.get(f"/cash-ins/{ci['id']}")) == ci

    # The customer pays 150.00 at the counter.
    auth = api.ok(
        api.post(
            "/cash-ins/simulate/barcode-auth",
            {"accountReferenceNumber": di["code"], "amount": "150.00"},
        )
    )
    assert auth["responseCode"] == "00" and auth["authorizedAmount"] == "150.00"
    assert set(auth) >= {
        "confirmationId",
        "responseCode",
        "responseText",
        "authorizedAmount",
        "responseId",
    }
    commit = api.ok(
        api.post(
            "/cash-ins/simulate/auth-commit", {"originalConfirmationId": auth["confirmationId"]}
        )
    )
    assert commit["responseCode"] == "00"
    ci = api.ok(api.get(f"/cash-ins/{ci['id']}"))
    assert ci["status"] == "processing" and ci["transactionId"] == commit["transactionId"]
    txn = api.ok(api.get(f"/transactions/{ci['transactionId']}"))
    assert (txn["type"], txn["status"], txn["subStatus"]) == (
        "fiatToCrypto",
        "processing",
        "fundsReceived",
    )
    assert txn["cashInId"] == ci["id"]
    # 150.00 - (2.25 + 0.50) = 147.25
    assert txn["destination"]["amountNet"] == "147.25"
    assert ci["source"]["amount"] == "150.00" and ci["destination"]["amountNet"] == "147.25"
    assert api.balance(wlt["id"]) == "0.00"

    api.advance(9.999)
    assert api.ok(api.get(f"/cash-ins/{ci['id']}"))["status"] == "processing"
    api.advance(0.001)
    ci = api.ok(api.get(f"/cash-ins/{ci['id']}"))
    txn = api.ok(api.get(f"/transactions/{ci['transactionId']}"))
    assert (ci["status"], ci["subStatus"]) == ("completed", "settled")
    assert txn["status"] == "completed" and txn["completedAt"] is not None
    assert ci["completedAt"] is not None
    assert api.balance(wlt["id"]) == "147.25"
    listed = api.ok(api.get(f"/customers/{cst['id']}/transactions"))["data"]
    assert [t["id"] for t in listed] == [txn["id"]]

    expected = [
        "cashIn.processing",
        "transaction.fiatToCrypto.processing",
        "transaction.fiatToCrypto.completed",
        "cashIn.completed",
    ]
    got = receiver.wait_delivered(expected)
    assert [g.type for g in got] == expected
    assert all(g.valid for g in got), [g.error for g in got]
    assert len({g.event_id for g in got}) == 4
    assert got[-1].body["data"]["id"] == ci["id"] and got[-1].body["data"]["status"] == "completed"
    assert got[2].body["data"]["id"] == txn["id"] and got[2].body["data"]["cashInId"] == ci["id"]
    assert got[0].body["object"] == "event" and got[0].body["data"]["status"] == "processing"


def test_reversed_deposit_of_66_66_fails_without_credit(fresh_api, receiver):
    api = fresh_api
    hook = api.webhook(receiver.url, ["cashIn.*", "transaction.fiatToCrypto.*"])
    receiver.set_secret(hook["secret"])
    cst, wlt = funded_customer(api)
    ci = api.cash_in(cst["id"], wlt["id"], "66.66")
    commit = api.deposit_cash(ci, "66.66")
    api.advance(10)
    ci = api.ok(api.get(f"/cash-ins/{ci['id']}"))
    txn = api.ok(api.get(f"/transactions/{commit['transactionId']}"))
    assert (ci["status"], ci["subStatus"]) == ("failed", "cash_deposit_failed")
    assert (txn["status"], txn["subStatus"]) == ("failed", "reversed")
    assert txn["error"]["code"] == "deposit_reversed" and ci["error"]["code"] == "deposit_reversed"
    assert txn["completedAt"] is None
    assert api.balance(wlt["id"]) == "0.00"
    expected = [
        "cashIn.processing",
        "transaction.fiatToCrypto.processing",
        "transaction.fiatToCrypto.failed",
        "cashIn.failed",
    ]
    got = receiver.wait_delivered(expected)
    assert [g.type for g in got] == expected and all(g.valid for g in got)


def test_declined_deposits_change_nothing(api):
    cst, wlt = funded_customer(api)
    ci = api.cash_in(cst["id"], wlt["id"])
    code = ci["depositInstructions"]["code"]

    def auth(ref, amount):
        return api.ok(
            api.post(
                "/cash-ins/simulate/barcode-auth", {"accountReferenceNumber": ref, "amount": amount}
            )
        )

    for amount in ("19.99", "500.01", "1000.00"):
        a = auth(code, amount)
        assert a["responseCode"] == "05" and a["authorizedAmount"] == "0.00"
        assert_error(
            api.post(
                "/cash-ins/simulate/auth-commit", {"originalConfirmationId": a["confirmationId"]}
            ),
            404,
            "not_found",
            "originalConfirmationId",
        )
    assert auth("ZZZZ-ZZZZ", "100.00")["responseCode"] == "14"
    after = api.ok(api.get(f"/cash-ins/{ci['id']}"))
    assert after == ci
    assert api.balance(wlt["id"]) == "0.00"
    assert api.ok(api.get("/transactions"))["data"] == []

    ok = auth(code.replace("-", "").lower(), "20.00")  # codes are read like a barcode
    assert ok["responseCode"] == "00"
    conf = ok["confirmationId"]
    for extra, param, err in [
        ({"amount": "20.01"}, "amount", "invalid_request"),
        ({"amount": "20.001"}, "amount", "invalid_amount"),
        ({"customerId": "cst_00000000000000000000000000"}, "customerId", "invalid_request"),
    ]:
        r = api.post("/cash-ins/simulate/auth-commit", {"originalConfirmationId": conf, **extra})
        assert_error(r, 400, err, param)
    assert api.ok(api.get(f"/cash-ins/{ci['id']}"))["status"] == "pending"
    echo = {"originalConfirmationId": conf, "amount": "20.00", "customerId": cst["id"]}
    api.ok(api.post("/cash-ins/simulate/auth-commit", echo))
    assert_error(
        api.post(
            "/cash-ins/simulate/auth-commit", {"originalConfirmationId": ok["confirmationId"]}
        ),
        409,
        "invalid_state",
        "originalConfirmationId",
    )
    assert auth(code, "20.00")["responseCode"] == "94"
    assert_error(api.post(f"/cash-ins/{ci['id']}/refresh"), 409, "invalid_state")
    assert len(api.ok(api.get("/transactions"))["data"]) == 1


def test_expired_code_then_refresh(fresh_api, receiver):
    api = fresh_api
    hook = api.webhook(receiver.url, ["cashIn.expired"])
    receiver.set_secret(hook["secret"])
    cst, wlt = funded_customer(api)
    ci = api.cash_in(cst["id"], wlt["id"])
    old = ci["depositInstructions"]["code"]
    api.advance(3599)
    assert api.ok(api.get(f"/cash-ins/{ci['id']}"))["status"] == "pending"
    api.advance(1)
    expired = api.ok(api.get(f"/cash-ins/{ci['id']}"))
    assert (expired["status"], expired["subStatus"]) == ("expired", "cash_deposit_expired")
    got = receiver.wait_delivered(["cashIn.expired"])
    assert got[0].body["data"]["id"] == ci["id"] and got[0].valid
    a = api.ok(
        api.post(
            "/cash-ins/simulate/barcode-auth", {"accountReferenceNumber": old, "amount": "100.00"}
        )
    )
    assert a["responseCode"] == "14"

    fresh = api.ok(api.post(f"/cash-ins/{ci['id']}/refresh"))
    assert fresh["status"] == "pending" and fresh["id"] == ci["id"]
    new_code = fresh["depositInstructions"]["code"]
    assert new_code != old
    now = ts(api.now())
    assert ts(fresh["depositInstructions"]["expiresAt"]) - now == timedelta(hours=1)
    # Refreshing a pending cash-in is allowed too and replaces the code again.
    again = api.ok(api.post(f"/cash-ins/{ci['id']}/refresh"))
    assert again["depositInstructions"]["code"] not in (old, new_code)
    for stale in (old, new_code):
        a = api.ok(
            api.post(
                "/cash-ins/simulate/barcode-auth",
                {"accountReferenceNumber": stale, "amount": "100.00"},
            )
        )
        assert a["responseCode"] == "14"
    api.deposit_cash(again, "100.00")
    # The old expiry job (scheduled at +1 h from creation) must not expire the new code.
    api.advance(10)
    assert api.ok(api.get(f"/cash-ins/{ci['id']}"))["status"] == "completed"
    assert api.balance(wlt["id"]) == "98.00"
    assert [g.type for g in receiver.delivered()] == ["cashIn.expired"]


def test_limits_per_window(fresh_api):
    api = fresh_api
    cst, wlt = funded_customer(api)
    # Per deposit: $20-$500
    for amount in ("19.99", "500.01"):
        assert_error(
            api.post("/cash-ins", api.cash_in_body(cst["id"], wlt["id"], amount)),
            422,
            "limit_exceeded",
            "source.indicatedAmount",
        )
    # 24 h: at most 3 cash-ins.
    live = [api.cash_in(cst["id"], wlt["id"], "500.00") for _ in range(3)]
    err = assert_error(
        api.post("/cash-ins", api.cash_in_body(cst["id"], wlt["id"], "20.00")),
        422,
        "limit_exceeded",
    )
    assert "24 hours" in err["message"]
    # Expired cash-ins do not count: let one lapse, deposit the other two.
    api.deposit_cash(live[0], "500.00")
    api.deposit_cash(live[1], "500.00")
    api.advance(3600)
    assert api.ok(api.get(f"/cash-ins/{live[2]['id']}"))["status"] == "expired"
    third = api.cash_in(cst["id"], wlt["id"], "20.00")
    api.deposit_cash(third, "500.00")  # counts with the authorised amount once committed
    assert_error(
        api.post("/cash-ins", api.cash_in_body(cst["id"], wlt["id"])), 422, "limit_exceeded"
    )
    # Refreshing the expired one would make it count again: refused too.
    assert_error(api.post(f"/cash-ins/{live[2]['id']}/refresh"), 422, "limit_exceeded")
    # 7 days: $3,500. Day 2: three more of $500 (total 3,000); day 3: one of $500 (3,500).
    api.advance(24 * 3600)
    for _ in range(3):
        api.deposit_cash(api.cash_in(cst["id"], wlt["id"], "500.00"), "500.00")
    api.advance(24 * 3600)
    api.deposit_cash(api.cash_in(cst["id"], wlt["id"], "500.00"), "500.00")
    err = assert_error(
        api.post("/cash-ins", api.cash_in_body(cst["id"], wlt["id"], "20.00")),
        422,
        "limit_exceeded",
    )
    assert "7 days" in err["message"]
    api.advance(10)
    # 7 deposits of 500.00, each credited 500 - 8.00 = 492.00
    assert api.balance(wlt["id"]) == "3444.00"
    # Once the first day leaves the 7-day window there is room again.
    api.advance(5 * 24 * 3600)
    api.cash_in(cst["id"], wlt["id"], "500.00")


def test_endorsement_gates(api):
    no_usd = api.customer(endorsements=["basic", "cryptoCustody"])
    w1 = api.wallet(no_usd["id"])
    assert_error(
        api.post("/cash-ins", api.cash_in_body(no_usd["id"], w1["id"])),
        403,
        "endorsement_required",
        "usd",
    )
    ok_cst, ok_wlt = funded_customer(api)
    r = api.patch(f"/sandbox/customers/{ok_cst['id']}", {"status": "inactive"})
    api.ok(r)
    assert_error(
        api.post("/cash-ins", api.cash_in_body(ok_cst["id"], ok_wlt["id"])),
        403,
        "customer_inactive",
    )
    pending = api.customer(birthDate=..., endorsements=["basic", "usd"])
    assert [e["status"] for e in pending["endorsements"] if e["name"] == "basic"] == ["PENDING"]
    assert_error(
        api.post("/cash-ins", api.cash_in_body(pending["id"], w1["id"])),
        403,
        "endorsement_required",
        "basic",
    )
    assert api.ok(api.get("/cash-ins"))["data"] == []


def test_cash_in_bad_input_changes_nothing(api):
    cst, wlt = funded_customer(api)
    _other, other_wlt = funded_customer(api)
    good = api.cash_in_body(cst["id"], wlt["id"])

    def variant(**changes):
        body = {k: (dict(v) if isinstance(v, dict) else v) for k, v in good.items()}
        for path, value in changes.items():
            node = body
            keys = path.split("__")
            for k in keys[:-1]:
                node = node[k]
            if value is ...:
                node.pop(keys[-1], None)
            else:
                node[keys[-1]] = value
        return body

    cases = [
        (variant(customerId=...), 400, "invalid_request", "customerId"),
        (variant(destination=...), 400, "invalid_request", "destination"),
        (variant(cash=...), 400, "invalid_request", "cash"),
        (
            variant(cash__locationId="loc_00000000000000000000000000"),
            400,
            "invalid_request",
            "cash.locationId",
        ),
        (
            variant(cash__locationReference="R1JFRU5ET1Qt"),
            400,
            "invalid_request",
            "cash.locationReference",
        ),
        (
            variant(source__indicatedAmount="100.001"),
            400,
            "invalid_amount",
            "source.indicatedAmount",
        ),
        (variant(source__indicatedAmount=100), 400, "invalid_amount", "source.indicatedAmount"),
        (variant(source__indicatedAmount="1e2"), 400, "invalid_amount", "source.indicatedAmount"),
        (variant(source__asset="eur"), 400, "unsupported_asset", "source.asset"),
        (variant(destination__asset="usdt"), 400, "unsupported_asset", "destination.asset"),
        (
            variant(destination__wallet={"blockchainAddress": "0x" + "ab" * 20}),
            400,
            "invalid_request",
            "destination.wallet.id",
        ),
        (
            variant(destination__wallet={"id": other_wlt["id"]}),
            400,
            "invalid_request",
            "destination.wallet.id",
        ),
        (
            variant(destination__wallet={"id": "wlt_00000000000000000000000000"}),
            404,
            "not_found",
            "destination.wallet.id",
        ),
        (variant(customerId="cst_00000000000000000000000000"), 404, "not_found", "customerId"),
        (variant(metadata=[1]), 400, "invalid_request", "metadata"),
        ("not json", 400, "invalid_request", None),
    ]
    for body, status, code, param in cases:
        if isinstance(body, str):
            r = api.http.post(
                "/cash-ins",
                content=body,
                headers={"Idempotency-Key": "k-raw", "Content-Type": "application/json"},
            )
        else:
            r = api.post("/cash-ins", body)
        assert_error(r, status, code, param)
    assert_error(api.post("/cash-ins", good, key=None), 400, "idempotency_key_required")
    assert_error(api.get("/cash-ins/ci_00000000000000000000000000"), 404, "not_found")
    assert_error(api.post("/cash-ins/ci_00000000000000000000000000/refresh"), 404, "not_found")
    assert_error(api.get("/cash-ins", status="bogus"), 400, "invalid_request", "status")
    assert_error(api.get("/cash-ins", limit=0), 400, "invalid_request", "limit")
    assert_error(
        api.post("/cash-ins/simulate/barcode-auth", {"amount": "20.00"}),
        400,
        "invalid_request",
        "accountReferenceNumber",
    )
    assert_error(
        api.post(
            "/cash-ins/simulate/barcode-auth", {"accountReferenceNumber": "X", "amount": "20.001"}
        ),
        400,
        "invalid_amount",
        "amount",
    )
    assert_error(
        api.post("/cash-ins/simulate/auth-commit", {}),
        400,
        "invalid_request",
        "originalConfirmationId",
    )
    assert api.ok(api.get("/cash-ins"))["data"] == []
    assert api.ok(api.get("/transactions"))["data"] == []


def test_list_filters_paging_and_tenancy(api):
    a, wa = funded_customer(api)
    b, wb = funded_customer(api)
    made = [
        api.cash_in(a["id"], wa["id"]),
        api.cash_in(b["id"], wb["id"]),
        api.cash_in(a["id"], wa["id"], "20.00"),
    ]
    ids_newest_first = [c["id"] for c in reversed(made)]
    assert [c["id"] for c in api.ok(api.get("/cash-ins"))["data"]] == ids_newest_first
    only_a = api.ok(api.get("/cash-ins", customerId=a["id"]))["data"]
    assert [c["id"] for c in only_a] == [made[2]["id"], made[0]["id"]]
    api.deposit_cash(made[1], "40.00")
    proc = api.ok(api.get("/cash-ins", status="processing"))["data"]
    assert [c["id"] for c in proc] == [made[1]["id"]]
    p1 = api.ok(api.get("/cash-ins", limit=2))
    assert p1["hasMore"] is True and len(p1["data"]) == 2
    p2 = api.ok(api.get("/cash-ins", limit=2, startingAfter=p1["nextCursor"]))
    assert [c["id"] for c in p2["data"]] == [made[0]["id"]] and p2["hasMore"] is False
    # Idempotent create: same key, same body -> same cash-in, replayed.
    body = api.cash_in_body(a["id"], wa["id"], "25.00")
    r1 = api.post("/cash-ins", body, key="ci-same-key")
    r2 = api.post("/cash-ins", body, key="ci-same-key")
    assert r1.status_code == r2.status_code == 201 and r1.json() == r2.json()
    assert r2.headers.get("Idempotent-Replayed") == "true"
    # Another account sees none of it.
    stranger = api.new_account()
    assert_error(stranger.get(f"/cash-ins/{made[0]['id']}"), 404, "not_found")
    assert stranger.ok(stranger.get("/cash-ins"))["data"] == []
    stranger.close()
