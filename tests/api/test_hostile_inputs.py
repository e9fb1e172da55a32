"""Hostile values reported from outside: each one is a 4xx problem+json or a per-event rejection,
never a 500, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW

EVENTS = "/v1/partner/events"
NUL, SURROGATE = "a\x00b", "a\ud800b"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ops(uow, make_partner):
    seed_default_methodology(uow, NOW)
    return make_partner(("events:write", "admin", "plantings", "donations"), name="ops")


def good(id="ok", **more) -> dict:
    body = {"id": id, "user_id": "alice", "type": "offline_payment", "quantity": 1,
            "occurred_at": (NOW - timedelta(hours=1)).isoformat()}
    body.update(more)
    return body


def post_events(signed, ops, *events, raw: bytes | None = None):
    return signed(ops, "POST", EVENTS, {"events": list(events)}, raw=raw)


def assert_alone_rejected(resp, code: str):
    """The bad event (index 1) is rejected with `code`; the good one (index 0) is accepted."""
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["accepted"] == 1
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, code)]


def assert_problem(resp, status: int, words: str, code: str | None = None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert words in json.dumps(body), body
    if code:
        assert body["code"] == code


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00"])
def test_an_instant_past_the_ends_of_the_calendar_is_rejected_alone(signed, ops, instant):
    resp = post_events(signed, ops, good(), good("bad", occurred_at=instant))
    assert_alone_rejected(resp, "invalid_occurred_at")


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"1" * 5000, b"-" + b"9" * 30,
                                    str(2**63).encode()])
def test_a_number_no_json_column_holds_is_rejected_alone(signed, ops, number):
    bad = json.dumps(good("bad", attributes={"a": "N"})).encode().replace(b'"N"', number)
    raw = b'{"events": [' + json.dumps(good()).encode() + b", " + bad + b"]}"
    assert_alone_rejected(post_events(signed, ops, raw=raw), "invalid_attributes")


def test_the_largest_64_bit_integer_is_a_valid_attribute(signed, ops):
    resp = post_events(signed, ops, good(), good("big", attributes={"a": 2**63 - 1}))
    assert resp.get_json()["accepted"] == 2


def test_a_quantity_of_5000_digits_is_rejected_alone(signed, ops):
    bad = json.dumps(good("bad", quantity="N")).encode().replace(b'"N"', b"7" * 5000)
    raw = b'{"events": [' + json.dumps(good()).encode() + b", " + bad + b"]}"
    assert_alone_rejected(post_events(signed, ops, raw=raw), "invalid_quantity")


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_attributes_nested_deeper_than_8_levels_are_rejected_alone(signed, ops):
    resp = post_events(signed, ops, good(attributes=nested(8)), good("deep", attributes=nested(9)))
    assert_alone_rejected(resp, "invalid_attributes")
    assert "nested" in resp.get_json()["rejected"][0]["error"]


@pytest.mark.parametrize(("field", "value", "code"), [
    ("id", NUL, "invalid_id"), ("id", SURROGATE, "invalid_id"), ("id", "x" * 100_000, "invalid_id"),
    ("type", NUL, "unknown_type"), ("type", SURROGATE, "unknown_type"),
    ("user_id", NUL, "invalid_user_id"), ("user_id", SURROGATE, "invalid_user_id"),
    ("attributes", {"k": NUL}, "invalid_attributes"), ("attributes", {SURROGATE: 1},
                                                       "invalid_attributes"),
    ("attributes", {"k": "x" * 100_000}, "invalid_attributes"),
])
def test_strings_no_column_can_hold_are_rejected_alone(signed, ops, field, value, code):
    bad = good("bad")
    bad[field] = value
    assert_alone_rejected(post_events(signed, ops, good(), bad), code)


@pytest.mark.parametrize("query", ["to=0001-01-01", "from=9999-12-31", "from=1999-12-31",
                                   "to=2032-01-01", "from=2000-01-01&to=2999-12-31"])
def test_a_statement_outside_the_calendar_is_a_422_that_says_the_range(client, token, query):
    resp = client.get(f"/v1/me/carbon?{query}", headers=token("alice"))
    assert_problem(resp, 422, "must be between 2000-01-01 and 2031-12-31")


@pytest.mark.parametrize(("query", "words"), [
    ("from=2026-03-10&to=2026-03-01", "must not be after"),
    ("from=2000-01-01&to=2031-12-31", "at most 366 days")])
def test_reversed_and_long_statements_are_a_422(client, token, query, words):
    assert_problem(client.get(f"/v1/me/carbon?{query}", headers=token("alice")), 422, words)


def test_a_statement_from_the_first_day_of_the_calendar_is_served(client, token):
    resp = client.get("/v1/me/carbon?from=2000-01-01&to=2000-12-31", headers=token("alice"))
    assert resp.status_code == 200 and resp.get_json()["days"] == []


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2032-01-01", "9999-12-31"])
def test_settling_a_date_outside_the_calendar_is_a_422(signed, ops, day):
    resp = signed(ops, "POST", "/v1/admin/settlements", {"date": day})
    assert_problem(resp, 422, "must be between 2000-01-01")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_steps_of_a_date_outside_the_calendar_are_a_422(client, token, day):
    resp = client.post("/v1/me/steps", json={"date": day, "steps": 10}, headers=token("alice"))
    assert_problem(resp, 422, "must be between 2000-01-01")


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00",
                                     "1999-12-31T12:00:00+00:00"])
def test_evidence_planted_outside_the_calendar_is_a_422(signed, ops, instant):
    evidence = {"planted_at": instant, "latitude": 1.0, "longitude": 1.0, "plot": "A",
                "photo_urls": []}
    resp = signed(ops, "POST", "/v1/partner/plantings/1/confirm", evidence)
    assert_problem(resp, 422, "planted_at")


def bike(effective_from: str) -> dict:
    return {"key": "bike_ride", "unit": "ride", "aggregate": "sum", "max_quantity": 20,
            "factor_num": 33, "factor_den": 1, "effective_from": effective_from}


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-05:00", "2032-01-01T00:00:00+00:00"])
def test_a_methodology_dated_past_five_years_ahead_is_a_422(signed, ops, instant):
    resp = signed(ops, "POST", "/v1/admin/activity-types", bike(instant))
    assert_problem(resp, 422, "2031-12-31")
    version = {"factor_num": 1, "factor_den": 1, "effective_from": instant}
    resp = signed(ops, "POST", "/v1/admin/activity-types/walk/versions", version)
    assert_problem(resp, 422, "2031-12-31")


def test_a_methodology_dated_on_the_last_day_of_the_calendar_is_accepted(signed, ops):
    last = signed(ops, "POST", "/v1/admin/activity-types", bike("2031-12-31T12:00:00+00:00"))
    assert last.status_code == 201, last.get_json()
    version = {"factor_num": 1, "factor_den": 1, "effective_from": "2032-01-01T00:00:00+00:00"}
    resp = signed(ops, "POST", "/v1/admin/activity-types/bike_ride/versions", version)
    assert_problem(resp, 422, "2031-12-31")


def charity_project(**over) -> dict:
    body = {"name": "meals", "partner_name": "ops", "sponsor_name": "s", "fen_per_egg": 1,
            "egg_target": 1}
    return {**body, **over}


def quiz_question(**over) -> dict:
    return {"question": "q?", "choices": ["a", "b"], "answer": "a", **over}


@pytest.mark.parametrize("value", [NUL, SURROGATE])
def test_text_no_column_can_hold_is_a_field_422_wherever_it_is_stored(client, token, signed, ops,
                                                                       value):
    """Reported on PostgreSQL: quiz, donation references, charity names and sponsors."""
    user = token("alice")
    admin_bodies = [
        ("POST", "/v1/admin/quiz-questions", quiz_question(question=value)),
        ("POST", "/v1/admin/quiz-questions", quiz_question(choices=[value, "b"])),
        ("PATCH", "/v1/admin/quiz-questions/1", {"answer": value}),
        ("POST", "/v1/partner/donations/1/confirm", {"reference": value}),
        ("POST", "/v1/admin/charity-projects", charity_project(name=value)),
        ("POST", "/v1/admin/charity-projects", charity_project(sponsor_name=value)),
        ("PATCH", "/v1/admin/charity-projects/1", {"partner_name": value}),
        ("POST", "/v1/admin/settlements", {"date": "2026-03-09", "timezones": [value]}),
        ("POST", "/v1/admin/activity-types", {**bike(NOW.isoformat()), "note": value}),
        ("POST", "/v1/admin/activity-types", {**bike(NOW.isoformat()), "unit": value}),
    ]
    responses = [signed(ops, method, path, body) for method, path, body in admin_bodies]
    responses.append(client.post("/v1/me/farm/quiz", json={"answer": value}, headers=user))
    for resp in responses:
        assert_problem(resp, 422, "must not hold NUL characters or lone surrogates")
