"""GET /v1/me/farm/feed-grants: feed that arrived after settlement or from the quiz, per day,
with what a full store lost."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from carbon.services.users import get_user
from game.farm.services.feed import grant_activity_feed
from tests.conftest import NOW
from tests.factories.carbon import ActivityEventFactory
from tests.factories.farm import FarmFactory, QuizQuestionFactory

DAY = date(2026, 3, 10)  # NOW is noon of this day in Shanghai
URL = "/v1/me/farm/feed-grants"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def farmer(client, token, session, name, store_g=0):
    headers = token(name)
    assert client.get("/v1/me/farm", headers=headers).status_code == 200  # user on first sight
    user = get_user(session, name)
    FarmFactory(user=user, feed_store_g=store_g)
    return headers, user


def payments(user, n, day_offset=0):
    for _ in range(n):
        ActivityEventFactory(user=user, occurred_at=NOW + timedelta(days=day_offset),
                             activity_type="offline_payment")


def test_a_day_settled_into_a_full_store_reads_as_granted_and_lost(client, token, session,
                                                                  clock, uow):
    headers, user = farmer(client, token, session, "hoarder", store_g=1_700)
    payments(user, 4)
    assert grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW) == 720
    body = client.get(URL, headers=headers).get_json()
    assert body["next_cursor"] is None
    [grant] = body["items"]
    assert {k: grant[k] for k in ("date", "source", "kind", "units", "feed_g", "stored_g",
                                  "lost_g")} == {
        "date": "2026-03-10", "source": "offline_payment", "kind": "activity", "units": 4,
        "feed_g": 720, "stored_g": 100, "lost_g": 620}
    assert client.get("/v1/me/farm", headers=headers).get_json()["feed_store_g"] == 1_800


def test_grants_are_paged_newest_day_first_and_only_mine(client, token, session, clock, uow):
    QuizQuestionFactory(answer="The bus")
    headers, user = farmer(client, token, session, "busy")
    other_headers, other = farmer(client, token, session, "other")
    payments(user, 1, day_offset=-1)
    payments(user, 2)
    payments(other, 3)
    grant_activity_feed(uow, DAY - timedelta(days=1), "Asia/Shanghai", NOW)
    grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW)
    assert client.post("/v1/me/farm/quiz", json={"answer": "The bus"},
                       headers=headers).status_code == 200
    seen, cursor = [], None
    for _ in range(4):
        query = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get(URL, query_string=query, headers=headers).get_json()
        seen += [(g["date"], g["kind"], g["feed_g"]) for g in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [("2026-03-10", "quiz", 180), ("2026-03-10", "activity", 360),
                    ("2026-03-09", "activity", 180)]
    assert cursor is None
    theirs = client.get(URL, headers=other_headers).get_json()["items"]
    assert [(g["units"], g["lost_g"]) for g in theirs] == [(3, 0)]


@pytest.mark.parametrize("cursor", ["x", "2026-03-10", "2026-02-30.5", "2026-03-10.",
                                    "2026-03-10.1234567890123456789", "٢٠٢٦-03-10.1", ""])
def test_a_cursor_not_from_a_page_is_a_validation_problem(client, token, clock, cursor):
    resp = client.get(URL, query_string={"cursor": cursor}, headers=token("someone"))
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert "cursor" in resp.get_json()["errors"]


def test_the_feed_grants_need_a_user(client, clock):
    assert client.get(URL).status_code == 401
