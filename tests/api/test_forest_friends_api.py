"""Friends, a friend's balls, stealing, watering and shields over HTTP."""

from __future__ import annotations

from datetime import timedelta

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
def users(client, token):
    """alice and bob, friends; carol knows nobody."""
    heads = {n: token(n) for n in ("alice", "bob", "carol")}
    for n in heads:
        client.get("/v1/me/friends", headers=heads[n])
    assert client.post("/v1/me/friends", json={"user_id": "bob"},
                       headers=heads["alice"]).get_json()["status"] == "requested"
    assert client.post("/v1/me/friends", json={"user_id": "alice"},
                       headers=heads["bob"]).get_json()["status"] == "friends"
    return heads


def uid(session, name):
    return get_user(session, name).id


def problem(resp, status, words):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["title"] and words in body["detail"], body
    return body


def test_friends_are_listed_and_can_be_removed(client, users):
    listed = client.get("/v1/me/friends", headers=users["alice"]).get_json()
    assert [f["user_id"] for f in listed["items"]] == ["bob"] and listed["next_cursor"] is None
    assert client.delete("/v1/me/friends/bob", headers=users["alice"]).status_code == 204
    assert client.get("/v1/me/friends", headers=users["bob"]).get_json()["items"] == []
    problem(client.delete("/v1/me/friends/bob", headers=users["alice"]), 404, "no friendship")


def test_friend_requests_are_refused_with_reasons(client, users):
    problem(client.post("/v1/me/friends", json={"user_id": "bad id"}, headers=users["alice"]),
            422, "user_id")
    problem(client.post("/v1/me/friends", json={"user_id": "alice"}, headers=users["alice"]),
            422, "yourself")
    problem(client.post("/v1/me/friends", json={}, headers=users["alice"]), 422, "user_id")
    assert client.post("/v1/me/friends", json={"user_id": "bob"}).status_code == 401


def test_incoming_requests_are_listed(client, users):
    client.post("/v1/me/friends", json={"user_id": "alice"}, headers=users["carol"])
    items = client.get("/v1/me/friend-requests", headers=users["alice"]).get_json()["items"]
    assert [i["user_id"] for i in items] == ["carol"]


def test_a_friend_sees_and_steals_from_my_ripe_ball(client, users, session):
    ball = ripe_ball(session, uid(session, "bob"), 100)
    view = client.get("/v1/friends/bob/balls", headers=users["alice"]).get_json()
    assert [(b["id"], b["can_steal_g"]) for b in view["items"]] == [(ball, 20)]
    resp = client.post(f"/v1/friends/bob/balls/{ball}/steal", headers=users["alice"])
    assert resp.status_code == 200
    assert resp.get_json() == {"ball_id": ball, "stolen_g": 20, "energy_g": 20}
    problem(client.post(f"/v1/friends/bob/balls/{ball}/steal", headers=users["alice"]),
            409, "already stole")
    board = client.get("/v1/me/leaderboard?period=week", headers=users["alice"]).get_json()
    assert [(i["user_id"], i["energy_g"]) for i in board["items"]] == [("alice", 20),
                                                                       ("bob", 0)]


def test_refused_steals_say_why(client, users, session):
    bob = uid(session, "bob")
    growing = ripe_ball(session, bob, 100, ripe_at=NOW + timedelta(hours=2))
    problem(client.post(f"/v1/friends/bob/balls/{growing}/steal", headers=users["alice"]),
            409, "not ripe")
    problem(client.post(f"/v1/friends/bob/balls/{growing}/steal", headers=users["carol"]),
            403, "not friends")
    problem(client.get("/v1/friends/bob/balls", headers=users["carol"]), 403, "not friends")
    problem(client.post(f"/v1/friends/alice/balls/{growing}/steal", headers=users["bob"]),
            404, "no ball")
    problem(client.post(f"/v1/friends/bob/balls/{growing}/steal", headers=users["bob"]),
            403, "your own ball")
    problem(client.post(f"/v1/friends/bob/balls/{2**64}/steal", headers=users["alice"]),
            404, "No ball")
    problem(client.post(f"/v1/friends/ghost/balls/{growing}/steal", headers=users["alice"]),
            404, "ghost")


def test_a_shield_granted_by_an_operator_stops_thieves(client, users, session, signed,
                                                      make_partner):
    ball = ripe_ball(session, uid(session, "bob"), 100)
    admin = make_partner(("admin",), name="ops")
    resp = signed(admin, "POST", "/v1/admin/shields", {"user_id": "bob"})
    assert resp.status_code == 200
    assert resp.get_json()["shield_until"].startswith("2026-03-11T04:00:00")
    problem(client.post(f"/v1/friends/bob/balls/{ball}/steal", headers=users["alice"]),
            409, "shield")
    problem(signed(admin, "POST", "/v1/admin/shields", {"user_id": "ghost"}), 404, "ghost")
    problem(signed(admin, "POST", "/v1/admin/shields", {"user_id": "bob", "hours": 0}),
            422, "hours")


def test_watering_a_friend_three_times_a_day(client, users, session):
    give_energy(session, uid(session, "alice"), 100)
    for left in (2, 1, 0):
        resp = client.post("/v1/friends/bob/water", json={"energy_g": 10}, headers=users["alice"])
        assert resp.status_code == 200 and resp.get_json()["waterings_left_today"] == left
    problem(client.post("/v1/friends/bob/water", json={"energy_g": 10}, headers=users["alice"]),
            409, "3 times today")
    balls = client.get("/v1/me/balls", headers=users["bob"]).get_json()["items"]
    assert [(b["kind"], b["energy_g"], b["status"]) for b in balls] == [("water", 10, "ripe")] * 3


def test_watering_refusals_say_why(client, users, session):
    give_energy(session, uid(session, "alice"), 15)
    problem(client.post("/v1/friends/bob/water", json={"energy_g": 11}, headers=users["alice"]),
            422, "one of 10, 18, 33, 66")
    problem(client.post("/v1/friends/bob/water", json={"energy_g": 18}, headers=users["alice"]),
            409, "only 15 g")
    problem(client.post("/v1/friends/bob/water", json={"energy_g": 10}, headers=users["carol"]),
            403, "not friends")
    problem(client.post("/v1/friends/bob/water", json={"energy_g": "ten"},
                        headers=users["alice"]), 422, "energy_g")


def test_the_shield_cli_grants_a_shield(app, client, users):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["shield", "bob", "--hours", "5"])
    assert result.exit_code == 0, result.output
    assert "bob is shielded until 2026-03-10T09:00:00" in result.output
    assert runner.invoke(args=["shield", "ghost"]).exit_code != 0
