"""User ids are 1-64 characters of A-Z a-z 0-9 _ . : @ - (not '.' or '..'): every id the API
accepts works in every route that carries one in its path, as sent or percent-encoded."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import time_machine

from carbon.services.users import get_user
from tests.conftest import NOW
from tests.factories.farm import FarmFactory
from tests.factories.forest import give_energy, ripe_ball

# Each character the alphabet allows beyond letters and digits, alone, inside and at the ends.
SPECIAL_IDS = ["dot.ted", "under_score", "co:lon", "at@sign.example", "da-sh", "_", "-", ":",
               "@", "..lead", "trail..", "a.b_c:d@e-f", "Z" * 64]
REFUSED_IDS = [".", "..", "a/b", "a b", "a%b", "a+b", "a~b", "a?b", "a#b", "ü", "Z" * 65, ""]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def befriend(client, token, session, friend_id):
    me, friend = token("alice"), token(friend_id)
    for headers in (me, friend):
        assert client.get("/v1/me/farm", headers=headers).status_code == 200
    assert client.post("/v1/me/friends", json={"user_id": friend_id},
                       headers=me).get_json()["status"] == "requested"
    assert client.post("/v1/me/friends", json={"user_id": "alice"},
                       headers=friend).get_json()["status"] == "friends"
    return me, friend


@pytest.mark.parametrize("encode", [False, True], ids=["as-is", "percent-encoded"])
@pytest.mark.parametrize("friend_id", SPECIAL_IDS)
def test_every_path_route_works_for_every_accepted_id(client, token, session, friend_id, encode):
    me, friend = befriend(client, token, session, friend_id)
    segment = quote(friend_id, safe="") if encode else friend_id
    friend_pk, my_pk = get_user(session, friend_id).id, get_user(session, "alice").id

    view = client.get(f"/v1/friends/{segment}/balls", headers=me)
    assert view.status_code == 200 and view.get_json()["user_id"] == friend_id

    ball = ripe_ball(session, friend_pk, 100)
    stolen = client.post(f"/v1/friends/{segment}/balls/{ball}/steal", headers=me)
    assert stolen.status_code == 200 and stolen.get_json()["stolen_g"] == 20

    give_energy(session, my_pk, 100)
    watered = client.post(f"/v1/friends/{segment}/water", json={"energy_g": 10}, headers=me)
    assert watered.status_code == 200 and watered.get_json()["user_id"] == friend_id

    FarmFactory(user=get_user(session, friend_id), feed_store_g=180)
    assert client.post("/v1/me/farm/feed", headers=friend).status_code == 200
    visit = client.post(f"/v1/me/farm/visit/{segment}", headers=me)
    assert visit.status_code == 200 and visit.get_json()["visiting"] == friend_id

    assert client.delete(f"/v1/me/friends/{segment}", headers=me).status_code == 204
    assert client.get("/v1/me/friends", headers=me).get_json()["items"] == []


@pytest.mark.parametrize("user_id", REFUSED_IDS)
def test_an_id_outside_the_alphabet_is_refused_as_a_token_subject(client, token, user_id):
    resp = client.get("/v1/me", headers=token(user_id))
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_invalid"


@pytest.mark.parametrize("user_id", REFUSED_IDS)
def test_an_id_outside_the_alphabet_is_refused_in_a_friend_request(client, token, user_id):
    resp = client.post("/v1/me/friends", json={"user_id": user_id}, headers=token("alice"))
    assert resp.status_code == 422 and "user_id" in resp.get_json()["errors"]


@pytest.mark.parametrize("user_id", REFUSED_IDS)
def test_an_id_outside_the_alphabet_is_rejected_in_a_partner_event(signed, make_partner, user_id):
    event = {"id": "e1", "user_id": user_id, "type": "walk", "quantity": 1,
             "occurred_at": NOW.isoformat()}
    resp = signed(make_partner(("events:write",)), "POST", "/v1/partner/events",
                  {"events": [event]})
    assert resp.status_code == 200
    assert [r["code"] for r in resp.get_json()["rejected"]] == ["invalid_user_id"]
