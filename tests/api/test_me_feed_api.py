"""GET /v1/me/feed over HTTP: newest first, the other user named, paged, refusals."""

from __future__ import annotations

import pytest
import time_machine

from carbon.services.users import get_user
from tests.conftest import NOW
from tests.factories.forest import give_energy, ripe_ball


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def users(alice_and_bob):
    return alice_and_bob


def test_a_steal_and_a_watering_show_in_the_owners_feed(client, users, session):
    bob = get_user(session, "bob").id
    ball = ripe_ball(session, bob, 100)
    give_energy(session, get_user(session, "alice").id, 10)
    assert client.post(f"/v1/friends/bob/balls/{ball}/steal",
                       headers=users["alice"]).status_code == 200
    assert client.post("/v1/friends/bob/water", json={"energy_g": 10},
                       headers=users["alice"]).status_code == 200
    body = client.get("/v1/me/feed", headers=users["bob"]).get_json()
    stolen = {"type": "energy_stolen", "user_id": "alice", "by_me": False, "ball_id": ball,
              "energy_g": 20}
    assert [i["type"] for i in body["items"]] == ["watered", "energy_stolen",
                                                  "friend_accepted", "friend_request"]
    assert stolen.items() <= body["items"][1].items()
    assert body["items"][1]["at"].startswith("2026-03-10T04:00:00")
    mine = client.get("/v1/me/feed?limit=1", headers=users["alice"]).get_json()
    assert mine["items"][0]["type"] == "watered" and mine["items"][0]["by_me"] is True
    rest = client.get(f"/v1/me/feed?cursor={mine['next_cursor']}",
                      headers=users["alice"]).get_json()
    assert [i["type"] for i in rest["items"]] == ["energy_stolen", "friend_accepted",
                                                  "friend_request"]


def test_the_feed_refuses_bad_cursors_and_strangers(client, users):
    assert client.get("/v1/me/feed").status_code == 401
    resp = client.get("/v1/me/feed?cursor=bm9wZQ", headers=users["bob"])
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert client.get("/v1/me/feed?limit=0", headers=users["bob"]).status_code == 422


def test_a_request_to_a_newcomer_waits_for_their_first_visit(client, users, token):
    resp = client.post("/v1/me/friends", json={"user_id": "dora"}, headers=users["alice"])
    assert resp.status_code == 200 and resp.get_json()["status"] == "requested"
    dora = token("dora")
    asked = client.get("/v1/me/friend-requests", headers=dora).get_json()["items"]
    assert [a["user_id"] for a in asked] == ["alice"]
    item = client.get("/v1/me/feed", headers=dora).get_json()["items"][0]
    assert (item["type"], item["user_id"], item["by_me"]) == ("friend_request", "alice", False)


def test_requests_waiting_for_newcomers_are_capped(client, users):
    for i in range(20):
        assert client.post("/v1/me/friends", json={"user_id": f"soon-{i}"},
                           headers=users["bob"]).status_code == 200
    resp = client.post("/v1/me/friends", json={"user_id": "soon-20"}, headers=users["bob"])
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert "20 friend requests waiting" in resp.get_json()["detail"]


def test_my_balls_show_the_original_energy_and_who_stole_what(client, users, session, token):
    bob = get_user(session, "bob").id
    carol = token("carol")
    client.get("/v1/me/friends", headers=carol)
    client.post("/v1/me/friends", json={"user_id": "bob"}, headers=carol)
    client.post("/v1/me/friends", json={"user_id": "carol"}, headers=users["bob"])
    stolen = ripe_ball(session, bob, 51)
    untouched = ripe_ball(session, bob, 30, activity_type="metro")
    for thief in (users["alice"], carol):
        assert client.post(f"/v1/friends/bob/balls/{stolen}/steal",
                           headers=thief).status_code == 200
    items = {b["id"]: b for b in client.get("/v1/me/balls",
                                            headers=users["bob"]).get_json()["items"]}
    assert (items[stolen]["original_energy_g"], items[stolen]["stolen_g"],
            items[stolen]["energy_g"]) == (51, 22, 29)
    assert [(t["user_id"], t["energy_g"]) for t in items[stolen]["stolen_by"]] == [
        ("alice", 11), ("carol", 11)]
    assert (items[untouched]["stolen_g"], items[untouched]["stolen_by"]) == (0, [])
