"""Every problem+json body carries a stable code and type, and the OpenAPI document says which."""

from __future__ import annotations

import re

import pytest
import time_machine

from api.core.errors import ApiProblem, problem_codes
from carbon.errors import LedgerUnbalanced
from tests.factories.forest import ProjectFactory, give_energy

URN = "urn:canopy:problem:"


def assert_problem(resp, status, code):
    body = resp.get_json()
    assert (resp.status_code, resp.mimetype) == (status, "application/problem+json"), body
    assert (body["code"], body["type"], body["status"]) == (code, URN + code, status)
    assert body["title"] and body["detail"]
    return body


@pytest.fixture
def project(make_partner, session):
    def _project(budget):
        planter = make_partner(("plantings",))
        return ProjectFactory(partner=None, partner_id=planter.id, energy_cost_g=100,
                              budget=budget)

    return _project


@pytest.mark.parametrize(("grams", "budget", "code"), [
    (0, 5, "insufficient_energy"), (1000, 0, "budget_exhausted")])
def test_two_409s_are_told_apart_by_their_code(client, token, session, project, grams, budget,
                                              code):
    from carbon.services.users import get_user

    headers = token("alice")
    client.get("/v1/me", headers=headers)
    if grams:
        give_energy(session, get_user(session, "alice").id, grams)
    resp = client.post("/v1/me/plantings", json={"project_id": project(budget).id,
                                                 "quantity": 1}, headers=headers)
    assert_problem(resp, 409, code)


def test_an_unknown_path_is_not_found(client):
    assert_problem(client.get("/v1/nowhere"), 404, "not_found")


def test_a_wrong_method_is_method_not_allowed_and_says_which_are(client, token):
    resp = client.delete("/v1/me", headers=token("alice"))
    assert_problem(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


def test_an_unreadable_body_is_malformed_json(client, token):
    resp = client.post("/v1/me/steps", data="{not json", headers={
        **token("alice"), "Content-Type": "application/json"})
    assert_problem(resp, 400, "malformed_json")


def test_a_field_that_breaks_the_schema_is_invalid_input_with_its_errors(client, token):
    resp = client.post("/v1/me/steps", json={"date": "soon", "steps": "many"}, headers=token("alice"))
    assert set(assert_problem(resp, 422, "invalid_input")["errors"]) >= {"date", "steps"}


def test_a_body_over_the_limit_is_body_too_large(app, client, token):
    limit = app.config["CANOPY"].BODY_MAX_BYTES
    resp = client.post("/v1/me/steps", json={"date": "2026-03-10", "pad": "x" * limit},
                       headers=token("alice"))
    assert_problem(resp, 413, "body_too_large")


def test_a_reused_idempotency_key_is_told_apart_from_invalid_input(client, token, uow):
    from carbon.services.catalog import seed_default_methodology
    from tests.conftest import NOW

    seed_default_methodology(uow, NOW)
    with time_machine.travel(NOW, tick=False):
        headers = {**token("alice"), "Idempotency-Key": "k1"}  # a token of that time
        client.post("/v1/me/steps", json={"date": "2026-03-10", "steps": 5000}, headers=headers)
        resp = client.post("/v1/me/steps", json={"date": "2026-03-10", "steps": 6000},
                           headers=headers)
    assert_problem(resp, 422, "idempotency_key_reused")


def test_a_refusal_raised_without_a_code_gets_its_status_default(app, client):
    from api.core.errors import ApiProblem

    def refuse():
        raise ApiProblem(409, "Busy", "A refusal that names no code of its own.")

    app.add_url_rule("/test-only/refuse", "test_only_refuse", refuse)
    assert_problem(client.get("/test-only/refuse"), 409, "conflict")
    assert_problem(client.get("/v1/me"), 401, "token_missing")


@pytest.fixture
def raising(app):
    """A client of the app with one extra route that raises the given exception."""
    box: dict = {}

    def boom():
        raise box["exc"]

    app.add_url_rule("/test-raise", "test_raise", boom)
    client = app.test_client()

    def _raise(exc):
        box["exc"] = exc
        return client.get("/test-raise")

    return _raise


def test_an_api_refusal_keeps_the_code_it_names(raising):
    resp = raising(ApiProblem(401, "Unauthorized", "The token has expired.", code="token_expired"))
    assert_problem(resp, 401, "token_expired")


def test_a_status_without_a_default_code_still_gets_one(raising):
    assert_problem(raising(ApiProblem(429, "Slow down", "Too many.")), 429, "rate_limited")
    assert_problem(raising(ApiProblem(431, "Headers", "Too big.")), 431,
                   "request_header_fields_too_large")


def test_a_server_fault_in_the_domain_hides_its_words_behind_internal_error(raising):
    body = assert_problem(raising(LedgerUnbalanced("debits 5 credits 4")), 500, "internal_error")
    assert "debits" not in body["detail"] and "Ledger" not in body["title"]


def test_an_unexpected_exception_is_internal_error(raising):
    assert_problem(raising(RuntimeError("secret")), 500, "internal_error")


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").get_json()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method != "parameters":
                yield path, method, op


def test_every_error_response_in_the_document_is_the_one_problem(spec):
    components = spec["components"]["responses"]
    for path, method, op in _operations(spec):
        assert "default" not in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                ref = response["$ref"].rsplit("/", 1)[1]
                content = components[ref]["content"]
                assert content == {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, status)


def test_the_problem_schema_requires_code_and_type(spec):
    schema = spec["components"]["schemas"]["Problem"]
    assert set(schema["required"]) == {"type", "code", "status", "title", "detail"}
    assert {"errors", "request_id"} <= set(schema["properties"])


def test_the_document_carries_the_catalogue_of_codes(spec):
    listed = spec["x-problem-codes"]
    assert {c: e["status"] for c, e in listed.items()} == {
        c: e.status for c, e in problem_codes().items()}
    assert listed["budget_exhausted"]["type"] == URN + "budget_exhausted"


def test_each_problem_response_names_the_codes_it_can_carry(spec):
    conflict = spec["components"]["responses"]["Conflict"]["description"]
    assert "`budget_exhausted`" in conflict and "`insufficient_energy`" in conflict
    assert "`ball_not_found`" not in conflict


@pytest.mark.parametrize(("method", "path", "statuses"), [
    ("post", "/v1/me/plantings", {201, 400, 401, 403, 404, 409, 413, 415, 422, 429, 503}),
    ("get", "/v1/public/stats", {200, 429, 503}),
    ("get", "/v1/charity-projects/{project_id}", {200, 404, 429, 503}),
    ("get", "/v1/me/balls", {200, 401, 403, 422, 429, 503}),
    ("post", "/v1/friends/{user_id}/balls/{ball_id}/steal",
     {200, 400, 401, 403, 404, 409, 422, 429, 503}),
])
def test_an_operation_documents_the_refusals_it_can_meet(spec, method, path, statuses):
    assert {int(s) for s in spec["paths"][path][method]["responses"]} == statuses


def test_every_operation_asked_without_credentials_answers_a_documented_problem(client, spec):
    """What an anonymous caller meets is documented, and a 401 only where security is."""
    for path, method, op in _operations(spec):
        url = re.sub(r"\{[^}]+\}", "1", path)
        resp = client.open(url, method=method.upper(), json={} if "requestBody" in op else None)
        assert str(resp.status_code) in op["responses"], (method, path, resp.status_code)
        if resp.status_code == 401:
            assert op.get("security"), (method, path)
        if resp.status_code >= 400:
            assert resp.get_json()["code"] in problem_codes(), (method, path)
