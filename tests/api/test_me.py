"""GET /v1/me, /v1/me/balls and collecting them over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from carbon.models import User
from carbon.services.settlement import settle_day
from tests.conftest import NOW
from tests.factories import ActivityEventFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
RIPE = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice(client, token, session, uow, at_now):
    """alice (Shanghai) with 3 payments and 18,000 steps settled on DAY; her headers."""
    headers = token("alice")
    assert client.get("/v1/me", headers=headers).status_code == 200
    user = session.scalars(select(User).where(User.external_id == "alice")).one()
    seed_methodology(uow)
    for _ in range(3):
        ActivityEventFactory(user=user, occurred_at=NOON)
    ActivityEventFactory(user=user, activity_type="walk", quantity=18_000, occurred_at=NOON)
    settle_day(uow, DAY, NOW)
    return headers


def test_a_new_user_has_no_energy_and_no_co2e_yet(client, token, at_now):
    resp = client.get("/v1/me", headers=token("bob", "Europe/Paris"))
    assert resp.status_code == 200
    mine = {"user_id": "bob", "timezone": "Europe/Paris", "energy_g": 0, "co2e_total_g": 0,
            "shield_until": None}
    assert {k: v for k, v in resp.get_json().items() if k in mine} == mine


def test_me_needs_a_token(client):
    resp = client.get("/v1/me")
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"


def test_my_ripe_balls_are_listed_and_collected_into_my_energy(client, alice):
    listed = client.get("/v1/me/balls", headers=alice).get_json()
    assert listed["next_cursor"] is None
    assert {(b["type"], b["energy_g"], b["status"]) for b in listed["items"]} == {
        ("offline_payment", 15, "ripe"), ("walk", 296, "ripe")}
    assert listed["items"][0]["ripe_at"] == "2026-03-09T23:00:00+00:00"
    ball = listed["items"][0]
    resp = client.post(f"/v1/me/balls/{ball['id']}/collect", headers=alice)
    assert resp.status_code == 200
    assert resp.get_json() == {"collected_g": ball["energy_g"], "energy_g": ball["energy_g"]}
    me = client.get("/v1/me", headers=alice).get_json()
    assert (me["energy_g"], me["co2e_total_g"]) == (ball["energy_g"], 311)


def test_collecting_twice_is_a_conflict_and_someone_elses_ball_is_not_found(
        client, alice, token):
    ball_id = client.get("/v1/me/balls", headers=alice).get_json()["items"][0]["id"]
    client.post(f"/v1/me/balls/{ball_id}/collect", headers=alice)
    again = client.post(f"/v1/me/balls/{ball_id}/collect", headers=alice)
    assert again.status_code == 409 and "already collected" in again.get_json()["detail"]
    stranger = client.post(f"/v1/me/balls/{ball_id}/collect", headers=token("mallory"))
    assert stranger.status_code == 404
    huge = client.post(f"/v1/me/balls/{10**30}/collect", headers=alice)
    assert huge.status_code == 404 and huge.mimetype == "application/problem+json"


def test_a_growing_ball_says_when_it_ripens(client, alice, token):
    with time_machine.travel(RIPE - timedelta(minutes=1), tick=False):
        alice = token("alice")  # made at NOW, the fixture's token lives 30 days and 5 h from here
        [ball, _] = client.get("/v1/me/balls", headers=alice).get_json()["items"]
        assert ball["status"] == "growing"
        resp = client.post(f"/v1/me/balls/{ball['id']}/collect", headers=alice)
    assert resp.status_code == 409
    assert "ripens at 2026-03-09T23:00:00+00:00" in resp.get_json()["detail"]


def test_collect_all_takes_everything_ripe_and_replays_with_the_same_key(client, alice):
    headers = {**alice, "Idempotency-Key": "k-1"}
    first = client.post("/v1/me/balls/collect-all", headers=headers)
    assert first.get_json() == {"balls": 2, "collected_g": 311, "energy_g": 311}
    replay = client.post("/v1/me/balls/collect-all", headers=headers)
    assert replay.get_json() == first.get_json()
    assert replay.headers.get("Idempotent-Replayed") == "true"
    fresh = client.post("/v1/me/balls/collect-all", headers=alice)
    assert fresh.get_json() == {"balls": 0, "collected_g": 0, "energy_g": 311}


def test_balls_are_paged_with_a_cursor(client, alice):
    page = client.get("/v1/me/balls?limit=1", headers=alice).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(f"/v1/me/balls?limit=1&cursor={page['next_cursor']}", headers=alice)
    assert rest.get_json()["next_cursor"] is None
    assert rest.get_json()["items"][0]["id"] > page["items"][0]["id"]
    bad = client.get("/v1/me/balls?cursor=abc", headers=alice)
    assert bad.status_code == 422


def test_expired_balls_are_not_listed(client, alice):
    with time_machine.travel(RIPE + timedelta(hours=72), tick=False):
        assert client.get("/v1/me/balls", headers=alice).get_json()["items"] == []
