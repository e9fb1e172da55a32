"""One JSON access line per request, a request id in the header, the problem body and every
line of the request, one traceback per unexpected error and none per database outage."""

from __future__ import annotations

import pytest

from tests.api.test_database_outage import CLOSED_PORT, make_app, me_headers

MISSING = "/v1/no-such-route"


def requests_logged(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "canopy.access"]


def test_every_request_writes_one_access_line_with_who_what_and_how_long(
        client, token, json_logs):
    resp = client.get("/v1/me", headers=token("alice"))
    assert resp.status_code == 200
    (line,) = requests_logged(json_logs())
    assert line["event"] == "request" and line["level"] == "info"
    assert (line["method"], line["route"], line["path"], line["status"]) == (
        "GET", "/v1/me", "/v1/me", 200)
    assert line["user_id"] == "alice" and "partner_key_id" not in line
    assert line["request_id"] == resp.headers["X-Request-ID"]
    assert line["remote_addr"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_a_signed_request_logs_the_partner_key_not_a_user(signed, make_partner, json_logs):
    partner = make_partner(("events:write",))
    resp = signed(partner, "POST", "/v1/partner/events", {"events": []})
    (line,) = requests_logged(json_logs())
    assert line["partner_key_id"] == partner.key_id and "user_id" not in line
    assert (line["route"], line["status"]) == ("/v1/partner/events", resp.status_code)


def test_a_refused_request_is_logged_with_its_status_and_no_route(client, json_logs):
    resp = client.get(MISSING, headers={"Authorization": "Bearer forged"})
    (line,) = requests_logged(json_logs())
    assert (line["status"], line["route"], line["path"]) == (404, None, MISSING)
    assert "user_id" not in line  # a header that claims someone is not who was established
    assert resp.status_code == 404


@pytest.mark.parametrize("sent", ["abc-123", "0f6c2a9e-7b1d-4c1e-9a55-3b7f0d2e8c41",
                                  "trace.id:span_1", "a" * 128])
def test_a_sane_request_id_is_echoed_in_the_header_the_problem_and_the_log(
        client, json_logs, sent):
    resp = client.get(MISSING, headers={"X-Request-ID": sent})
    assert resp.headers["X-Request-ID"] == sent
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["request_id"] == sent
    assert [line["request_id"] for line in requests_logged(json_logs())] == [sent]


@pytest.mark.parametrize("hostile", ["a" * 129, "", "-starts-with-a-dash", "two words",
                                     "<script>alert(1)</script>", 'quote"d', "ab;cd",
                                     "line\\nbreak", "caf\u00e9"])
def test_a_hostile_request_id_is_replaced_by_one_of_ours(client, json_logs, hostile):
    resp = client.get(MISSING, headers={"X-Request-ID": hostile})
    made = resp.headers["X-Request-ID"]
    assert made != hostile and len(made) == 32 and made.isalnum()
    assert resp.get_json()["request_id"] == made
    assert requests_logged(json_logs())[0]["request_id"] == made


def test_each_request_without_an_id_gets_a_new_one(client):
    ids = {client.get(MISSING).headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_validation_error_names_the_request_id_too(client, token):
    resp = client.post("/v1/me/steps", json={"steps": "many"}, headers=token("alice"))
    assert resp.status_code == 422
    assert resp.get_json()["request_id"] == resp.headers["X-Request-ID"]


def test_an_unexpected_error_is_logged_once_with_its_traceback_and_request_id(app, json_logs):
    @app.get("/test/explode")
    def explode():
        raise RuntimeError("the flux capacitor melted")

    resp = app.test_client().get("/test/explode", headers={"X-Request-ID": "report-42"})
    assert resp.status_code == 500 and resp.get_json()["request_id"] == "report-42"
    lines = json_logs()
    tracebacks = [line for line in lines if "exception" in line]
    assert len(tracebacks) == 1
    (error,) = tracebacks
    assert error["level"] == "error" and error["request_id"] == "report-42"
    assert "Traceback" in error["exception"]
    assert "RuntimeError: the flux capacitor melted" in error["exception"]
    assert [line["status"] for line in requests_logged(lines)] == [500]


def test_an_outage_of_twenty_requests_logs_no_traceback_and_one_warning(json_logs):
    client = make_app(CLOSED_PORT).test_client()
    answers = [client.get("/v1/me", headers=me_headers()) for _ in range(20)]
    assert {resp.status_code for resp in answers} == {503}
    lines = json_logs()
    assert not [line for line in lines if "exception" in line]
    warnings = [line for line in lines if line["level"] == "warning"]
    assert len(warnings) == 1
    assert (warnings[0]["refused"], warnings[0]["latest"]) == (1, "GET /v1/me")
    assert warnings[0]["request_id"] == answers[0].headers["X-Request-ID"]
    assert len(requests_logged(lines)) == 20


def test_the_access_line_can_be_turned_off(app, client, json_logs):
    app.config["CANOPY"].ACCESS_LOG = False
    resp = client.get(MISSING)
    assert requests_logged(json_logs()) == []
    assert resp.headers["X-Request-ID"]  # the id is not part of the access log
