"""No input to a forest endpoint yields a 500: every refusal is problem+json with a reason."""

from __future__ import annotations

import json

import pytest
import time_machine

from tests.conftest import NOW

NUL, SURROGATE, BIG = "a\x00b", "a\ud800b", 2**70
NASTY_STRINGS = [NUL, SURROGATE, "", " ", "x" * 5000, "²"]
NASTY_VALUES = [*NASTY_STRINGS, None, BIG, -1, 1.5, [], {}, True]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def raw_json(value) -> bytes:
    return json.dumps(value).encode()  # keeps lone surrogates as \\ud800 escapes


def assert_refused_cleanly(resp):
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        body = resp.get_json()
        assert resp.mimetype == "application/problem+json" and body["detail"]


@pytest.mark.parametrize("value", ["a%00b", "a%ED%A0%80b", "%FF%FE", "x" * 5000, "%C2%B2", "%20"])
def test_nasty_user_ids_in_paths_are_refused_cleanly(client, token, value):
    headers = token("alice")
    for path in (f"/v1/friends/{value}/balls", f"/v1/friends/{value}/balls/1/steal",
                 f"/v1/friends/{value}/water", f"/v1/me/friends/{value}",
                 f"/v1/friends/bob/balls/{value}/steal", f"/v1/groups/{value}"):
        for method in ("GET", "POST", "DELETE"):
            resp = client.open(path, method=method, headers=headers, data=raw_json({"energy_g": 10}),
                               content_type="application/json")
            assert_refused_cleanly(resp)


@pytest.mark.parametrize("value", NASTY_VALUES)
def test_nasty_values_in_user_bodies_are_refused_cleanly(client, token, value):
    headers = token("alice")
    bodies = {
        "/v1/me/friends": [{"user_id": value}],
        "/v1/me/plantings": [{"project_id": value}, {"project_id": 1, "quantity": value}],
        "/v1/me/duty-certificates": [{"year": value}],
        "/v1/groups": [{"name": value, "project_id": 1}, {"name": "g", "project_id": value}],
        "/v1/groups/1/members": [{"user_id": value}],
        "/v1/groups/1/contributions": [{"energy_g": value}],
        "/v1/friends/bob/water": [{"energy_g": value}],
    }
    for path, variants in bodies.items():
        for body in variants:
            resp = client.post(path, data=raw_json(body), headers=headers,
                               content_type="application/json")
            assert_refused_cleanly(resp)


@pytest.mark.parametrize("value", ["²", "-1", "9" * 30, NUL, "abc"])
def test_nasty_cursors_and_periods_are_refused_cleanly(client, token, value):
    headers = token("alice")
    for path in ("/v1/me/friends", "/v1/me/plantings", "/v1/me/certificates", "/v1/projects",
                 "/v1/me/leaderboard"):
        assert_refused_cleanly(client.get(path, query_string={"cursor": value, "period": value},
                                          headers=headers))


@pytest.mark.parametrize("value", NASTY_VALUES)
def test_nasty_values_in_partner_bodies_are_refused_cleanly(signed, make_partner, value):
    planter = make_partner(("plantings",), name="p")
    admin = make_partner(("admin",), name="ops")
    evidence = {"planted_at": "2026-03-01T10:00:00+08:00", "latitude": 1, "longitude": 1,
                "plot": "p", "photo_urls": []}
    for field in evidence:
        resp = signed(planter, "POST", "/v1/partner/plantings/1/confirm",
                      raw=raw_json({**evidence, field: value}))
        assert_refused_cleanly(resp)
    assert_refused_cleanly(signed(planter, "POST", "/v1/partner/plantings/1/reject",
                                  raw=raw_json({"reason": value})))
    assert_refused_cleanly(signed(admin, "POST", "/v1/admin/shields",
                                  raw=raw_json({"user_id": value})))
    project = {"code": "c", "name": "n", "kind": "tree", "region": "r", "energy_cost_g": 1,
               "budget": 1, "partner_name": "p"}
    for field in project:
        assert_refused_cleanly(signed(admin, "POST", "/v1/admin/projects",
                                      raw=raw_json({**project, field: value})))
        assert_refused_cleanly(signed(admin, "PATCH", "/v1/admin/projects/1",
                                      raw=raw_json({field: value})))
