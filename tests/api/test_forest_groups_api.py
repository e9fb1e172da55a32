"""Co-planting over HTTP: create, invite, accept, contribute, certificates."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from carbon.services.users import get_user
from tests.conftest import NOW
from tests.factories.forest import ProjectFactory, give_energy


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def couple(client, token, session):
    heads = {n: token(n) for n in ("ann", "ben", "cat")}
    for n, h in heads.items():
        client.get("/v1/me/friends", headers=h)
        give_energy(session, get_user(session, n).id, 1000)
    client.post("/v1/me/friends", json={"user_id": "ben"}, headers=heads["ann"])
    client.post("/v1/me/friends", json={"user_id": "ann"}, headers=heads["ben"])
    return heads


def test_a_couple_plants_a_tree_together(client, couple, signed, make_partner, session):
    planter = make_partner(("plantings",), name="desert-ngo")
    project = ProjectFactory(partner=None, partner_id=planter.id, energy_cost_g=300)
    created = client.post("/v1/groups", json={"name": "us", "project_id": project.id},
                          headers=couple["ann"])
    assert created.status_code == 201
    gid = created.get_json()["id"]
    invited = client.post(f"/v1/groups/{gid}/members", json={"user_id": "ben"},
                          headers=couple["ann"]).get_json()
    assert [(m["user_id"], m["status"]) for m in invited["members"]] == [
        ("ann", "member"), ("ben", "invited")]
    assert client.post(f"/v1/groups/{gid}/members", json={"user_id": "ben"},
                       headers=couple["ben"]).status_code == 200
    client.post(f"/v1/groups/{gid}/contributions", json={"energy_g": 200}, headers=couple["ann"])
    full = client.post(f"/v1/groups/{gid}/contributions", json={"energy_g": 100},
                       headers=couple["ben"])
    assert full.status_code == 201 and full.get_json()["status"] == "ordered"
    order_id = full.get_json()["order"]["id"]
    evidence = {"planted_at": (NOW - timedelta(days=1)).isoformat(), "latitude": 40,
                "longitude": 106, "plot": "C-2", "photo_urls": []}
    assert signed(planter, "POST", f"/v1/partner/plantings/{order_id}/confirm",
                  evidence).status_code == 200
    for who in ("ann", "ben"):
        certs = client.get("/v1/me/certificates", headers=couple[who]).get_json()["items"]
        assert [c["group_id"] for c in certs] == [gid]
    mine = client.get("/v1/me/groups", headers=couple["ben"]).get_json()["items"]
    assert mine[0]["order"]["status"] == "planted"


def test_group_refusals_are_problems_with_reasons(client, couple, session):
    project = ProjectFactory(energy_cost_g=300)
    gid = client.post("/v1/groups", json={"name": "us", "project_id": project.id},
                      headers=couple["ann"]).get_json()["id"]
    cases = [
        (client.post(f"/v1/groups/{gid}/members", json={"user_id": "cat"},
                     headers=couple["ann"]), 403, "not friends"),
        (client.post(f"/v1/groups/{gid}/contributions", json={"energy_g": 10},
                     headers=couple["cat"]), 403, "not a member"),
        (client.post(f"/v1/groups/{gid}/contributions", json={"energy_g": 301},
                     headers=couple["ann"]), 409, "needs only 300 g"),
        (client.post(f"/v1/groups/{gid}/contributions", json={"energy_g": 0},
                     headers=couple["ann"]), 422, "energy_g"),
        (client.get(f"/v1/groups/{gid}", headers=couple["cat"]), 404, "No co-planting group"),
        (client.get(f"/v1/groups/{2**65}", headers=couple["ann"]), 404, "No group"),
        (client.post("/v1/groups", json={"name": "x", "project_id": 2**62},
                     headers=couple["ann"]), 404, "No planting project"),
    ]
    for resp, status, words in cases:
        assert resp.status_code == status, resp.get_json()
        assert resp.mimetype == "application/problem+json"
        assert words in resp.get_json()["detail"], resp.get_json()
