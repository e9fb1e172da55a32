"""/v1/admin/activity-types: the methodology catalog, versions that only start in the future."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW

BASE = "/v1/admin/activity-types"
LATER = NOW + timedelta(days=30)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(uow, make_partner):
    seed_default_methodology(uow, NOW)
    return make_partner(("admin",), name="ops")


@pytest.fixture
def call(signed, admin):
    return lambda method, path, body=None: signed(admin, method, path, body)


def bike(**over):
    body = {"key": "bike_ride", "unit": "ride on a shared bike", "aggregate": "sum",
            "max_quantity": 20, "factor_num": 33, "factor_den": 1, "cap_g": 165,
            "cap_period": "day", "effective_from": NOW.isoformat()}
    body.update(over)
    return body


def test_the_list_holds_the_default_types_with_their_versions(call):
    body = call("GET", BASE).get_json()
    walk = next(t for t in body["items"] if t["key"] == "walk")
    assert walk["aggregate"] == "max" and walk["active"] is True
    assert walk["versions"][0]["factor_num"] == 296 and walk["versions"][0]["cap_g"] == 296
    assert len(body["items"]) == 13 and body["next_cursor"] is None


def test_the_list_pages_by_key(call):
    first = call("GET", f"{BASE}?limit=5").get_json()
    second = call("GET", f"{BASE}?limit=5&cursor={first['next_cursor']}").get_json()
    keys = [t["key"] for t in first["items"] + second["items"]]
    assert keys == sorted(keys) and len(set(keys)) == 10


def test_a_type_is_created_with_its_first_version(call):
    resp = call("POST", BASE, bike())
    assert resp.status_code == 201
    created = resp.get_json()
    assert created["key"] == "bike_ride" and created["versions"][0]["effective_to"] is None
    assert call("GET", f"{BASE}/bike_ride").get_json() == created


def test_a_key_that_exists_is_409(call):
    resp = call("POST", BASE, bike(key="walk"))
    assert resp.status_code == 409 and "walk" in resp.get_json()["detail"]


@pytest.mark.parametrize("over, field", [
    ({"key": "Bike Ride"}, "key"), ({"key": "b" * 33}, "key"), ({"aggregate": "avg"}, "aggregate"),
    ({"max_quantity": 0}, "max_quantity"), ({"factor_den": 0}, "factor_den"),
    ({"factor_num": -1}, "factor_num"), ({"cap_period": None}, "cap_period"),
    ({"cap_period": "week"}, "cap_period"), ({"cap_g": -5}, "cap_g"),
    ({"effective_from": (NOW - timedelta(seconds=1)).isoformat()}, "effective_from"),
    ({"effective_from": "2026-03-10T12:00:00"}, "effective_from"), ({"unit": ""}, "unit"),
    ({"factor_num": "3"}, "factor_num"), ({"factor_num": 10**30}, "factor_num"),
    ({"max_quantity": 10**10}, "max_quantity"), ({"cap_g": 10**13}, "cap_g"),
    ({"unit": "a\u0000b"}, "unit"), ({"note": "\ud800"}, "note"),
    ({"dedupe_attribute": "x\u0000"}, "dedupe_attribute"),
])
def test_an_invalid_type_is_422_with_the_field_named(call, over, field):
    resp = call("POST", BASE, bike(**over))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert field in resp.get_json()["errors"]


def test_a_new_version_closes_the_latest_one(call):
    resp = call("POST", f"{BASE}/walk/versions",
                {"effective_from": LATER.isoformat(), "factor_num": 300, "factor_den": 18000,
                 "cap_g": 300, "cap_period": "day", "note": "2026 review"})
    assert resp.status_code == 201
    old, new = resp.get_json()["versions"]
    assert old["effective_to"] == new["effective_from"] == LATER.isoformat()
    assert new["note"] == "2026 review" and new["effective_to"] is None


def test_a_version_must_start_in_the_future_and_after_the_latest(call):
    past = call("POST", f"{BASE}/walk/versions", {"effective_from": "2026-03-01T00:00:00Z",
                                                  "factor_num": 1, "factor_den": 1})
    assert past.status_code == 422 and "past" in past.get_json()["detail"]
    call("POST", f"{BASE}/walk/versions", {"effective_from": LATER.isoformat(),
                                           "factor_num": 1, "factor_den": 1})
    before = call("POST", f"{BASE}/walk/versions", {
        "effective_from": (LATER - timedelta(days=1)).isoformat(), "factor_num": 2,
        "factor_den": 1})
    assert before.status_code == 422 and "after" in before.get_json()["detail"]
    assert len(call("GET", f"{BASE}/walk").get_json()["versions"]) == 2


def test_a_version_of_an_unknown_type_is_404(call):
    resp = call("POST", f"{BASE}/teleport/versions", {"factor_num": 1, "factor_den": 1})
    assert resp.status_code == 404 and call("GET", f"{BASE}/teleport").status_code == 404


def test_a_type_is_deactivated_and_reactivated(call, signed, make_partner):
    assert call("PATCH", f"{BASE}/bus_ride", {"active": False}).get_json()["active"] is False
    source = make_partner(("events:write",), name="metro")
    event = {"id": "x", "user_id": "u", "type": "bus_ride", "quantity": 1,
             "occurred_at": NOW.isoformat()}
    refused = signed(source, "POST", "/v1/partner/events", {"events": [event]}).get_json()
    assert refused["rejected"][0]["code"] == "inactive_type"
    assert call("PATCH", f"{BASE}/bus_ride", {"active": True}).get_json()["active"] is True
    assert signed(source, "POST", "/v1/partner/events",
                  {"events": [event]}).get_json()["accepted"] == 1


def test_the_catalog_needs_the_admin_scope(signed, make_partner):
    partner = make_partner(("events:write",))
    assert signed(partner, "GET", BASE).status_code == 403
    assert signed(partner, "POST", BASE, bike()).status_code == 403
