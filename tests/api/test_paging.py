"""Every list, walked page by page past its first page: no item twice, none missing, in the
documented order; and every list refuses a bad cursor or limit with a 422 problem."""

from __future__ import annotations

import base64
import json

import pytest
import time_machine

from tests.api.paging_routes import FRIEND, ME, ROUTES, SCOPES, World
from tests.conftest import NOW
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(session, uow, make_partner, request) -> World:
    route = request.getfixturevalue("route")
    partner = make_partner(SCOPES[route.who]) if route.who in SCOPES else None
    return World(session, uow, UserFactory(external_id=ME), UserFactory(external_id=FRIEND),
                 partner)


@pytest.fixture
def get(client, token, signed, world, route):
    def _get(query: str):
        path = f"{route.path}?{query}"
        if world.partner is not None:
            return signed(world.partner, "GET", path)
        return client.get(path, headers=token(ME) if route.who == "user" else {})

    return _get


def cursor_of(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps([1, *values]).encode()).decode().rstrip("=")


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_walking_every_page_gives_each_item_once_in_order(route, world, get):
    expected = route.seed(world)
    seen, query, pages = [], "limit=2", 0
    while True:
        resp = get(query)
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert len(body["items"]) <= 2
        seen += [item[route.key] for item in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        query = f"limit=2&cursor={body['next_cursor']}"
    assert seen == expected
    assert pages == (len(expected) + 1) // 2


BAD_QUERIES = {
    "cursor=%C2%B2": "cursor", "cursor=abc": "cursor", f"cursor={cursor_of(2**63)}": "cursor",
    f"cursor={cursor_of(0)}": "cursor", f"cursor={'A' * 4000}": "cursor", "cursor=": "cursor",
    "cursor=%00": "cursor", f"cursor={cursor_of('x', 1, 2)}": "cursor",
    f"cursor={cursor_of(True)}": "cursor", "limit=0": "limit", "limit=1000000": "limit",
    "limit=-1": "limit", "limit=x": "limit", "limit=201": "limit",
}


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("query", list(BAD_QUERIES))
def test_a_bad_cursor_or_limit_is_a_422_problem(route, world, get, query):
    resp = get(query)
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert list(resp.get_json()["errors"]) == [BAD_QUERIES[query]]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("limit", [1, 200])
def test_the_smallest_and_largest_limits_are_accepted(route, world, get, limit):
    expected = route.seed(world)
    resp = get(f"limit={limit}")
    assert resp.status_code == 200, resp.get_json()
    assert [item[route.key] for item in resp.get_json()["items"]] == expected[:limit]
