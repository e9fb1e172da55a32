"""Projects, plantings, partner confirmation and rejection, certificates, admin projects."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine

from carbon.services.users import get_user
from tests.conftest import NOW
from tests.factories.forest import ProjectFactory, give_energy

EVIDENCE = {"planted_at": (NOW - timedelta(days=2)).isoformat(), "latitude": 40.1,
            "longitude": 105.2, "plot": "B-3", "photo_urls": ["https://example.org/1.jpg"],
            "note": "planted in spring"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def project(planter, session):
    return ProjectFactory(partner=None, partner_id=planter.id, energy_cost_g=100, budget=2)


def rich_user(client, token, session, name="alice", grams=1000):
    headers = token(name)
    client.get("/v1/projects", headers=headers)
    client.get("/v1/me/friends", headers=headers)  # creates the user on first sight
    give_energy(session, get_user(session, name).id, grams)
    return headers


def assert_problem(resp, status, words):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert words in resp.get_json()["detail"]


def test_projects_are_public(client, project):
    resp = client.get("/v1/projects")
    assert resp.status_code == 200
    item = resp.get_json()["items"][0]
    assert (item["energy_cost_g"], item["budget"], item["partner_name"]) == (100, 2, "green-ngo")


def test_a_user_plants_and_the_partner_confirms_with_evidence(client, token, session, signed,
                                                            planter, project):
    headers = rich_user(client, token, session)
    resp = client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 2},
                       headers=headers)
    assert resp.status_code == 201
    order = resp.get_json()
    assert (order["status"], order["energy_g"]) == ("pending", 200)
    listed = signed(planter, "GET", "/v1/partner/plantings?status=pending").get_json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]
    path = f"/v1/partner/plantings/{order['id']}/confirm"
    done = signed(planter, "POST", path, EVIDENCE)
    assert done.status_code == 200
    assert done.get_json()["certificates"] == ["CNP-2026-000001", "CNP-2026-000002"]
    retry = signed(planter, "POST", path, EVIDENCE, ts=time.time() + 1)  # signed afresh
    assert retry.get_json() == done.get_json()
    # A confirmation is idempotent, so even the very same signed bytes again (a partner's
    # library retrying after a lost answer) get the same answer, not replayed_signature.
    replay = signed(planter, "POST", path, EVIDENCE)
    assert replay.status_code == 200 and replay.get_json() == done.get_json()
    certs = client.get("/v1/me/certificates", headers=headers).get_json()["items"]
    assert [c["number"] for c in certs] == ["CNP-2026-000001", "CNP-2026-000002"]
    mine = client.get("/v1/me/plantings", headers=headers).get_json()["items"]
    assert mine[0]["status"] == "planted" and mine[0]["evidence"]["plot"] == "B-3"


def test_refusals_of_planting_say_why(client, token, session, project):
    headers = rich_user(client, token, session, grams=150)
    assert_problem(client.post("/v1/me/plantings", json={"project_id": project.id,
                                                         "quantity": 2}, headers=headers),
                   409, "only 150 g")
    assert_problem(client.post("/v1/me/plantings", json={"project_id": project.id,
                                                         "quantity": 3}, headers=headers),
                   409, "2 trees left")
    assert_problem(client.post("/v1/me/plantings", json={"project_id": 2**62, "quantity": 1},
                               headers=headers), 404, "No planting project")
    resp = client.post("/v1/me/plantings", json={"project_id": "x"}, headers=headers)
    assert_problem(resp, 422, "project_id")
    resp = client.post("/v1/me/plantings", json={"project_id": 2**70}, headers=headers)
    assert resp.status_code == 422


def test_a_partner_rejects_and_the_energy_comes_back(client, token, session, signed, planter,
                                                     project):
    headers = rich_user(client, token, session, grams=100)
    order = client.post("/v1/me/plantings", json={"project_id": project.id},
                        headers=headers).get_json()
    resp = signed(planter, "POST", f"/v1/partner/plantings/{order['id']}/reject",
                  {"reason": "the plot flooded"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    again = client.post("/v1/me/plantings", json={"project_id": project.id}, headers=headers)
    assert again.status_code == 201


def test_a_partner_cannot_touch_another_partners_order(client, token, session, signed,
                                                       make_partner, project):
    headers = rich_user(client, token, session)
    order = client.post("/v1/me/plantings", json={"project_id": project.id},
                        headers=headers).get_json()
    other = make_partner(("plantings",), name="other-ngo")
    assert signed(other, "GET", "/v1/partner/plantings").get_json()["items"] == []
    for action, body in (("confirm", EVIDENCE), ("reject", {"reason": "mine now"})):
        resp = signed(other, "POST", f"/v1/partner/plantings/{order['id']}/{action}", body)
        assert_problem(resp, 404, "No planting order")
    events_only = make_partner(("events:write",), name="a-source")
    assert signed(events_only, "GET", "/v1/partner/plantings").status_code == 403


def test_bad_evidence_is_a_field_by_field_422(client, token, session, signed, planter, project):
    headers = rich_user(client, token, session)
    order = client.post("/v1/me/plantings", json={"project_id": project.id},
                        headers=headers).get_json()
    bad = {**EVIDENCE, "latitude": 95, "photo_urls": ["ftp://x"],
           "planted_at": (NOW + timedelta(hours=1)).isoformat()}
    resp = signed(planter, "POST", f"/v1/partner/plantings/{order['id']}/confirm", bad)
    assert resp.status_code == 422
    assert {"latitude", "photo_urls"} <= set(resp.get_json()["errors"])
    future = {**EVIDENCE, "planted_at": (NOW + timedelta(hours=1)).isoformat()}
    resp = signed(planter, "POST", f"/v1/partner/plantings/{order['id']}/confirm", future)
    assert_problem(resp, 422, "planted_at is in the future")
    naive = {**EVIDENCE, "planted_at": "2026-03-01T10:00:00"}
    resp = signed(planter, "POST", f"/v1/partner/plantings/{order['id']}/confirm", naive)
    assert resp.status_code == 422


def test_duty_certificate_needs_three_tree_certificates(client, token, session, signed,
                                                        planter, project):
    headers = rich_user(client, token, session)
    resp = client.post("/v1/me/duty-certificates", json={"year": 2026}, headers=headers)
    assert_problem(resp, 409, "you have 0")
    project.budget = 10
    session.flush()
    order = client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 3},
                        headers=headers).get_json()
    signed(planter, "POST", f"/v1/partner/plantings/{order['id']}/confirm", EVIDENCE)
    resp = client.post("/v1/me/duty-certificates", json={"year": 2026}, headers=headers)
    assert resp.status_code == 201 and resp.get_json()["number"] == "DUTY-2026-000001"
    again = client.post("/v1/me/duty-certificates", json={"year": 2026}, headers=headers)
    assert_problem(again, 409, "already hold")


def test_operators_manage_projects(signed, make_partner, planter):
    admin = make_partner(("admin",), name="ops")
    body = {"code": "poplar", "name": "Poplar", "kind": "tree", "region": "Gansu",
            "energy_cost_g": 20_000, "budget": 500, "partner_name": "green-ngo"}
    created = signed(admin, "POST", "/v1/admin/projects", body)
    assert created.status_code == 201 and created.get_json()["partner_id"] == planter.id
    pid = created.get_json()["id"]
    resp = signed(admin, "PATCH", f"/v1/admin/projects/{pid}", {"status": "closed"})
    assert resp.get_json()["status"] == "closed"
    assert signed(admin, "POST", "/v1/admin/projects", body, ts=time.time() + 1).status_code == 422
    unknown = signed(admin, "POST", "/v1/admin/projects", {**body, "code": "x",
                                                           "partner_name": "nobody"})
    assert_problem(unknown, 422, "No partner named")
    assert signed(admin, "GET", "/v1/admin/projects/99999999").status_code == 404
    assert signed(planter, "POST", "/v1/admin/projects", body).status_code == 403


def test_trees_planted_show_on_me_and_in_public_stats(client, token, session, signed, planter,
                                                      project):
    headers = rich_user(client, token, session)
    before = client.get("/v1/public/stats").get_json()
    assert before["trees_planted"] == 0 and before["users"] >= 1 and before["eggs_donated"] == 0
    order = client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 2},
                        headers=headers).get_json()
    assert client.get("/v1/me", headers=headers).get_json()["trees_planted"] == 0
    signed(planter, "POST", f"/v1/partner/plantings/{order['id']}/confirm", EVIDENCE)
    assert client.get("/v1/me", headers=headers).get_json()["trees_planted"] == 2
    assert client.get("/v1/public/stats").get_json()["trees_planted"] == 2
