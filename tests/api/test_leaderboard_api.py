"""GET /v1/me/leaderboard: day, week and total over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from carbon.services.users import get_user
from tests.conftest import NOW
from tests.factories.forest import ripe_ball


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def heads(alice_and_bob):
    return alice_and_bob


def test_the_total_board_counts_what_was_earned_before_this_week(client, heads, session,
                                                                 token):
    bob = get_user(session, "bob").id
    last_month = NOW - timedelta(days=30)
    old = ripe_ball(session, bob, 60, ripe_at=last_month, activity_type="old")
    with time_machine.travel(last_month, tick=False):  # a token of that time (iat, exp)
        assert client.post(f"/v1/me/balls/{old}/collect",
                           headers=token("bob")).status_code == 200
    new = ripe_ball(session, bob, 25)
    assert client.post(f"/v1/me/balls/{new}/collect", headers=heads["bob"]).status_code == 200
    week = client.get("/v1/me/leaderboard?period=week", headers=heads["alice"]).get_json()
    total = client.get("/v1/me/leaderboard?period=total", headers=heads["alice"])
    assert [(i["user_id"], i["energy_g"]) for i in week["items"]] == [("bob", 25), ("alice", 0)]
    assert total.status_code == 200
    body = total.get_json()
    assert (body["period"], body["from"], body["to"]) == ("total", None, None)
    assert [(i["rank"], i["user_id"], i["energy_g"], i["me"]) for i in body["items"]] == [
        (1, "bob", 85, False), (2, "alice", 0, True)]


@pytest.mark.parametrize("period", ["month", "", "TOTAL", "total\x00"])
def test_an_unknown_period_is_a_validation_problem(client, heads, period):
    resp = client.get("/v1/me/leaderboard", query_string={"period": period},
                      headers=heads["alice"])
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert "period" in resp.get_json()["errors"]


@pytest.mark.parametrize("period", ["day", "week", "total"])
def test_the_hand_written_board_is_what_its_documented_schema_dumps(client, heads, session,
                                                                    uow, token, period):
    """The view writes the body itself; it must stay the shape /openapi.json documents."""
    from api.app.forest_friends import LeaderboardSchema
    from game.forest.services import friends

    for name, grams in (("bob", 25), ("carol", 25), ("dave", 40), ("erin", 0)):
        head = heads.get(name) or token(name)
        client.get("/v1/me", headers=head)
        client.post("/v1/me/friends", json={"user_id": "alice"}, headers=head)
        client.post("/v1/me/friends", json={"user_id": name}, headers=heads["alice"])
        if grams:
            ball = ripe_ball(session, get_user(session, name).id, grams, activity_type=name)
            assert client.post(f"/v1/me/balls/{ball}/collect", headers=head).status_code == 200
    resp = client.get(f"/v1/me/leaderboard?period={period}", headers=heads["alice"])
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    schema = LeaderboardSchema()
    assert schema.validate(body) == {}
    assert set(body) == {f.data_key or name for name, f in schema.fields.items()}
    assert all(set(i) == {"rank", "user_id", "energy_g", "me"} for i in body["items"])
    alice = get_user(session, "alice")
    board = friends.leaderboard(uow, alice.id, alice.timezone, period, NOW)
    assert body == schema.dump({**board, "from_": board["from"]})
    # Equal grams share a rank, then go by user id (bob and alice came first).
    assert [(i["rank"], i["user_id"], i["me"]) for i in body["items"]] == [
        (1, "dave", False), (2, "bob", False), (2, "carol", False), (4, "alice", True),
        (4, "erin", False)]
    documented = client.get("/openapi.json").get_json()["paths"]["/v1/me/leaderboard"]["get"]
    assert documented["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Leaderboard"}
