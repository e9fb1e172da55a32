"""Bodies are bounded before they are parsed: in bytes per route (413) and in JSON depth (400)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from werkzeug.test import EnvironBuilder

from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW

KIB = 1024


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ops(uow, make_partner):
    seed_default_methodology(uow, NOW)
    return make_partner(("events:write", "admin"), name="ops")


def padded(size: int) -> bytes:
    """A steps body of exactly `size` bytes (the padding is a field the schema refuses)."""
    head = b'{"date": "2026-03-10", "steps": 10, "pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def assert_problem(resp, status: int, code: str):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == code, resp.get_json()


def test_a_user_body_over_64_kib_is_413_from_its_content_length(client, token):
    resp = client.post("/v1/me/steps", data=padded(64 * KIB + 1), headers=token("alice"),
                       content_type="application/json")
    assert_problem(resp, 413, "body_too_large")
    assert "65536 bytes" in resp.get_json()["detail"]


def test_a_user_body_of_64_kib_is_read(client, token):
    resp = client.post("/v1/me/steps", data=padded(64 * KIB), headers=token("alice"),
                       content_type="application/json")
    assert resp.status_code == 422 and "pad" in resp.get_json()["errors"]


def test_a_streamed_body_without_length_is_413_once_it_passes_the_limit(client, token):
    """A chunked upload (gunicorn ends the stream: wsgi.input_terminated) is cut while read."""
    environ = EnvironBuilder("/v1/me/steps", method="POST", headers=token("alice"),
                             input_stream=io.BytesIO(padded(16 * KIB * KIB)),
                             content_type="application/json").get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    assert_problem(client.open(environ), 413, "body_too_large")


def test_a_route_that_never_reads_its_body_refuses_a_large_one_too(client, token):
    resp = client.post("/v1/me/balls/collect-all", data=b"x" * (64 * KIB + 1),
                       headers=token("alice"), content_type="text/plain")
    assert_problem(resp, 413, "body_too_large")


def events_of(size: int) -> list[dict]:
    """1,000 valid events of about `size` bytes of JSON in all."""
    pad = "p" * (size // 1000 - 200)
    at = (NOW - timedelta(hours=1)).isoformat()
    return [{"id": f"e{i}", "user_id": f"u{i}", "type": "offline_payment", "quantity": 1,
             "occurred_at": at, "attributes": {"note": pad}} for i in range(1000)]


def test_a_batch_of_1000_events_of_a_megabyte_and_a_half_is_accepted(signed, ops):
    events = events_of(1536 * KIB)
    assert len(json.dumps({"events": events})) > 1024 * KIB
    resp = signed(ops, "POST", "/v1/partner/events", {"events": events})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["accepted"] == 1000


def test_an_events_body_over_2_mib_is_413(signed, ops):
    raw = b'{"events": [], "pad": "' + b"x" * (2 * KIB * KIB) + b'"}'
    assert_problem(signed(ops, "POST", "/v1/partner/events", raw=raw), 413, "body_too_large")


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("path", ["/v1/me/steps", "/v1/me/friends", "/v1/me/plantings",
                                  "/v1/me/farm/quiz", "/v1/groups"])
def test_json_nested_5000_deep_is_400_on_user_routes(client, token, path):
    resp = client.post(path, data=deep(5000), headers=token("alice"),
                       content_type="application/json")
    assert_problem(resp, 400, "json_too_deep")


@pytest.mark.parametrize("path", ["/v1/partner/events", "/v1/admin/projects",
                                  "/v1/admin/settlements",
                                  "/v1/admin/activity-types", "/v1/admin/quiz-questions"])
def test_json_nested_5000_deep_is_400_on_admin_routes(signed, ops, path):
    assert_problem(signed(ops, "POST", path, raw=deep(5000)), 400, "json_too_deep")


def test_json_32_levels_deep_is_parsed_and_33_is_refused(client, token):
    headers = token("alice")
    at_limit = client.post("/v1/me/steps", data=b'{"date": ' + deep(31) + b"}", headers=headers,
                           content_type="application/json")
    assert at_limit.status_code == 422 and "date" in at_limit.get_json()["errors"]
    over = client.post("/v1/me/steps", data=b'{"date": ' + deep(32) + b"}", headers=headers,
                       content_type="application/json")
    assert_problem(over, 400, "json_too_deep")


@pytest.mark.parametrize("raw", [b'{"date": "2026-03-10", "steps": 1e400}',
                                 b'{"date": "2026-03-10", "steps": NaN}',
                                 b'{"date": "2026-03-10", "steps": -Infinity}'])
def test_numbers_json_cannot_carry_are_400_on_user_routes(client, token, raw):
    resp = client.post("/v1/me/steps", data=raw, headers=token("alice"),
                       content_type="application/json")
    assert_problem(resp, 400, "malformed_json")


def test_the_apps_own_json_reader_has_the_same_bounds(app):
    with app.app_context():
        assert app.json.loads(deep(32)) is not None
        with pytest.raises(ValueError, match="32 levels"):
            app.json.loads(deep(33))
        with pytest.raises(ValueError, match="out of range"):
            app.json.loads(b"[1e400]")
