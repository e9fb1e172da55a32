"""Charity projects (admin and public), egg donations, partners' donation records, quiz bank."""

from __future__ import annotations

import time

import pytest
import time_machine

from carbon.services.users import get_user
from tests.conftest import NOW
from tests.factories.farm import CharityProjectFactory, FarmFactory

ADMIN = "/v1/admin/charity-projects"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def project(charity, session):
    return CharityProjectFactory(partner=None, partner_id=charity.id, egg_target=5,
                                 fen_per_egg=50, sponsor_name="Green Sponsor")


def donor(client, token, session, name, eggs):
    headers = token(name)
    client.get("/v1/me/farm", headers=headers)
    FarmFactory(user=get_user(session, name), eaten_g=900 * eggs)
    return headers


def assert_problem(resp, status, words):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert words in resp.get_json()["detail"], resp.get_json()["detail"]


def test_operators_create_a_project_that_everyone_can_see(client, signed, admin, charity):
    body = {"name": "School meals", "partner_name": "school-meals-fund",
            "sponsor_name": "Green Sponsor", "fen_per_egg": 50, "egg_target": 100}
    created = signed(admin, "POST", ADMIN, body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["partner_id"] == charity.id
    items = client.get("/v1/charity-projects").get_json()["items"]
    assert [(p["name"], p["eggs_donated"], p["egg_target"]) for p in items] == [
        ("School meals", 0, 100)]


def test_a_project_needs_a_charity_with_the_donations_scope(signed, admin, make_partner):
    make_partner(("plantings",), name="tree-ngo")
    body = {"name": "X", "partner_name": "tree-ngo", "sponsor_name": "S", "fen_per_egg": 1,
            "egg_target": 1}
    assert_problem(signed(admin, "POST", ADMIN, body), 422, "lacks the 'donations' scope")
    assert_problem(signed(admin, "POST", ADMIN, {**body, "partner_name": "nobody"}), 422,
                   "No partner named 'nobody'")


def test_donating_across_the_target_makes_one_record_the_charity_confirms(
        client, token, session, signed, charity, project, make_partner):
    headers = donor(client, token, session, "giver", eggs=7)
    resp = client.post("/v1/me/donations", json={"project_id": project.id, "eggs": 6},
                       headers=headers)
    assert resp.status_code == 201, resp.get_json()
    assert (resp.get_json()["records_created"], resp.get_json()["eggs_left"]) == ([1], 1)
    me = client.get("/v1/me", headers=headers).get_json()
    assert (me["eggs"], me["eggs_donated"]) == (1, 6)
    pending = signed(charity, "GET", "/v1/partner/donations?status=pending").get_json()["items"]
    assert [(r["eggs"], r["amount_fen"], r["sponsor_name"]) for r in pending] == [
        (5, 250, "Green Sponsor")]
    path = f"/v1/partner/donations/{pending[0]['id']}/confirm"
    other = make_partner(("donations",), name="third-charity")
    assert_problem(signed(other, "POST", path, {"reference": "R-1"}), 404, "No donation record")
    first = signed(charity, "POST", path, {"reference": "BANK-77"})
    again = signed(charity, "POST", path, {"reference": "BANK-77"}, ts=time.time() + 1)
    assert first.status_code == again.status_code == 200
    assert again.get_json()["status"] == "confirmed"
    assert_problem(signed(charity, "POST", path, {"reference": "OTHER"}), 409, "BANK-77")
    confirmed = signed(charity, "GET", "/v1/partner/donations?status=confirmed").get_json()
    assert [r["reference"] for r in confirmed["items"]] == ["BANK-77"]


def test_donation_refusals_say_why(client, token, session, project, charity):
    headers = donor(client, token, session, "poor", eggs=2)
    assert_problem(client.post("/v1/me/donations", json={"project_id": project.id, "eggs": 3},
                               headers=headers), 409, "You have 2 eggs; you asked to donate 3")
    assert_problem(client.post("/v1/me/donations", json={"project_id": 999_999, "eggs": 1},
                               headers=headers), 404, "No charity project 999999")
    closed = CharityProjectFactory(partner=None, partner_id=charity.id, status="closed")
    assert_problem(client.post("/v1/me/donations", json={"project_id": closed.id, "eggs": 1},
                               headers=headers), 409, "closed")
    resp = client.post("/v1/me/donations", json={"project_id": project.id, "eggs": 0},
                       headers=headers)
    assert resp.status_code == 422 and "eggs" in resp.get_json()["errors"]


def test_the_target_is_fixed_once_eggs_were_donated(client, token, session, signed, admin,
                                                     project):
    headers = donor(client, token, session, "early", eggs=1)
    client.post("/v1/me/donations", json={"project_id": project.id, "eggs": 1}, headers=headers)
    resp = signed(admin, "PATCH", f"{ADMIN}/{project.id}", {"egg_target": 10})
    assert_problem(resp, 409, "egg target can no longer change")
    closed = signed(admin, "PATCH", f"{ADMIN}/{project.id}", {"status": "closed"})
    assert closed.get_json()["status"] == "closed"


def test_donation_records_need_the_donations_scope(signed, make_partner):
    planter = make_partner(("plantings",), name="planter")
    assert_problem(signed(planter, "GET", "/v1/partner/donations"), 403, "donations")


def test_operators_manage_the_quiz_bank(client, token, signed, admin, session):
    path = "/v1/admin/quiz-questions"
    body = {"question": "Greener?", "choices": ["Bike", "Car"], "answer": "Bike"}
    created = signed(admin, "POST", path, body)
    assert created.status_code == 201, created.get_json()
    qid = created.get_json()["id"]
    assert client.get("/v1/me/farm/quiz", headers=token("u")).get_json()["question_id"] == qid
    assert_problem(signed(admin, "POST", path, {**body, "answer": "Plane"}), 422,
                   "answer must be one of the choices")
    retired = signed(admin, "PATCH", f"{path}/{qid}", {"active": False})
    assert retired.get_json()["active"] is False
    assert client.get("/v1/me/farm/quiz", headers=token("u2")).status_code == 404
    assert [q["id"] for q in signed(admin, "GET", path).get_json()["items"]] == [qid]
    assert_problem(signed(admin, "PATCH", f"{path}/999999", {"active": True}), 404, "999999")


def test_public_stats_count_the_eggs_donated(client, token, session, project):
    headers = donor(client, token, session, "generous", eggs=3)
    client.post("/v1/me/donations", json={"project_id": project.id, "eggs": 3}, headers=headers)
    assert client.get("/v1/public/stats").get_json()["eggs_donated"] == 3
    assert client.get(f"/v1/charity-projects/{project.id}").get_json()["eggs_donated"] == 3


def test_my_donations_are_listed_newest_first_and_only_mine(client, token, session, project):
    headers = donor(client, token, session, "lister", eggs=4)
    other = donor(client, token, session, "someone-else", eggs=1)
    assert client.post("/v1/me/donations", json={"project_id": project.id, "eggs": 1},
                       headers=other).status_code == 201
    ids = [client.post("/v1/me/donations", json={"project_id": project.id, "eggs": n},
                       headers=headers).get_json()["id"] for n in (1, 3)]
    first = client.get("/v1/me/donations?limit=1", headers=headers).get_json()
    assert [(d["id"], d["eggs"], d["project_name"]) for d in first["items"]] == [
        (ids[1], 3, project.name)]
    rest = client.get(f"/v1/me/donations?cursor={first['next_cursor']}",
                      headers=headers).get_json()
    assert [d["id"] for d in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    made = client.get("/v1/me/feed", headers=headers).get_json()["items"][0]
    assert (made["type"], made["donation_id"], made["eggs"]) == ("donation_made", ids[1], 3)
