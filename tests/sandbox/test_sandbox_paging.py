"""Cursor paging (D9) over 1,000 customers, both directions, plus created* filters."""

from __future__ import annotations

import pytest

from tests.support.api import Api
from tests.support.sandbox import start_sandbox


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    sb = start_sandbox(tmp_path_factory.mktemp("paging"), "--demo-customers", "1000")
    api = Api(sb.base_url, sb.api_key, sb.api_secret)
    yield api
    api.close()
    sb.stop()


def _key(c):
    return (c["createdAt"], c["id"])


def test_forwards_then_backwards_without_gaps_or_duplicates(big):
    pages, cursor = [], None
    while True:
        params = {"limit": 37}
        if cursor:
            params["startingAfter"] = cursor
        body = big.get("/customers", params=params).json()
        assert body["cursor"] == body["nextCursor"]
        if body["data"]:
            assert body["nextCursor"] == body["data"][-1]["id"]
            assert body["previousCursor"] == body["data"][0]["id"]
        pages.append(body["data"])
        if not body["hasMore"]:
            break
        cursor = body["nextCursor"]
    forward = [c for p in pages for c in p]
    assert len(forward) == 1000 and len({c["id"] for c in forward}) == 1000
    assert forward == sorted(forward, key=_key, reverse=True)  # newest first throughout
    assert len(pages) == 28 and len(pages[-1]) == 1000 - 27 * 37
    # Past the end: an empty page with null cursors.
    empty = big.get("/customers", params={"startingAfter": forward[-1]["id"]}).json()
    assert empty == {
        "data": [],
        "hasMore": False,
        "nextCursor": None,
        "previousCursor": None,
        "cursor": None,
    }

    # Backwards from the oldest item: endingBefore pages, each still newest first.
    backward_pages, cursor = [], forward[-1]["id"]
    while True:
        body = big.get("/customers", params={"limit": 100, "endingBefore": cursor}).json()
        data = body["data"]
        assert data == sorted(data, key=_key, reverse=True)
        backward_pages.append(data)
        if not body["hasMore"]:
            break
        cursor = body["previousCursor"]
    backward = [c for p in reversed(backward_pages) for c in p]
    assert [c["id"] for c in backward] == [c["id"] for c in forward[:-1]]
    # The newest page reached backwards ends exactly at the start of the list.
    assert backward_pages[-1][0]["id"] == forward[0]["id"]


def test_created_filters_are_inclusive(big):
    first = big.get("/customers", params={"limit": 100}).json()["data"]
    newest, tenth = first[0], first[9]
    body = big.get("/customers", params={"createdAfter": tenth["createdAt"], "limit": 100}).json()
    assert [c["id"] for c in body["data"]] == [c["id"] for c in first[:10]]
    body = big.get(
        "/customers",
        params={"createdBefore": tenth["createdAt"], "createdAfter": tenth["createdAt"]},
    ).json()
    assert [c["id"] for c in body["data"]] == [tenth["id"]]
    body = big.get(
        "/customers", params={"createdAfter": newest["createdAt"], "startingAfter": newest["id"]}
    ).json()
    assert body["data"] == [] and body["hasMore"] is False


def test_filters_with_paging(big):
    one = big.get("/customers", params={"limit": 1}).json()
    assert one["hasMore"] is True and len(one["data"]) == 1
    c = one["data"][0]
    got = big.get("/customers", params={"email": c["email"]}).json()["data"]
    assert [x["id"] for x in got] == [c["id"]]
    got = big.get("/customers", params={"externalId": c["externalId"]}).json()["data"]
    assert [x["id"] for x in got] == [c["id"]]
    assert big.get("/customers", params={"status": "inactive"}).json()["data"] == []
