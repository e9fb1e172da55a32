"""GET /v1/me/farm, feeding, thief chickens and the daily quiz over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from carbon.services.users import get_user
from tests.conftest import NOW
from tests.factories.farm import FarmFactory, QuizQuestionFactory

MEAL = timedelta(seconds=16_800)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def farmer(client, token, session, name, store_g=0, eaten_g=0):
    headers = token(name)
    assert client.get("/v1/me/farm", headers=headers).status_code == 200  # user on first sight
    FarmFactory(user=get_user(session, name), feed_store_g=store_g, eaten_g=eaten_g)
    return headers


def assert_problem(resp, status, words):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and body["title"]
    assert words in body["detail"], body["detail"]


def test_a_new_user_sees_an_empty_farm(client, token, clock):
    body = client.get("/v1/me/farm", headers=token("newbie")).get_json()
    assert {k: body[k] for k in ("feed_store_g", "trough_g", "state", "egg_progress", "eggs",
                                 "visiting", "visitors")} == {
        "feed_store_g": 0, "trough_g": 0, "state": "hungry", "egg_progress": 0, "eggs": 0,
        "visiting": None, "visitors": []}


def test_feeding_then_reading_to_the_second(client, token, session, clock):
    headers = farmer(client, token, session, "alice", store_g=360)
    fed = client.post("/v1/me/farm/feed", headers=headers).get_json()
    assert (fed["feed_store_g"], fed["trough_g"], fed["state"]) == (180, 180, "eating")
    clock.move_to(NOW + MEAL - timedelta(seconds=1))
    body = client.get("/v1/me/farm", headers=headers).get_json()
    assert (body["trough_g"], body["egg_progress"], body["state"]) == (1, 179, "eating")
    clock.move_to(NOW + MEAL)
    body = client.get("/v1/me/farm", headers=headers).get_json()
    assert (body["trough_g"], body["egg_progress"], body["state"]) == (0, 180, "hungry")


def test_feeding_refusals_say_why(client, token, session, clock):
    headers = farmer(client, token, session, "bob", store_g=180)
    assert_problem(client.post("/v1/me/farm/feed", headers=token("empty")), 409,
                   "You have 0 g of feed, 180 g needed")
    assert client.post("/v1/me/farm/feed", headers=headers).status_code == 200
    clock.move_to(NOW + timedelta(hours=1))
    assert_problem(client.post("/v1/me/farm/feed", headers=headers), 409,
                   "The trough still has 142 g")


def test_a_retried_feeding_with_the_same_key_feeds_once(client, token, session, clock):
    headers = {**farmer(client, token, session, "carol", store_g=360), "Idempotency-Key": "k1"}
    first = client.post("/v1/me/farm/feed", headers=headers)
    again = client.post("/v1/me/farm/feed", headers=headers)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert client.get("/v1/me/farm", headers=headers).get_json()["feed_store_g"] == 180


def befriend(client, a_headers, a, b_headers, b):
    client.post("/v1/me/friends", json={"user_id": b}, headers=a_headers)
    client.post("/v1/me/friends", json={"user_id": a}, headers=b_headers)


def test_a_thief_chicken_visits_and_is_chased_home(client, token, session, clock):
    thief = farmer(client, token, session, "thief")
    owner = farmer(client, token, session, "owner", store_g=180)
    befriend(client, thief, "thief", owner, "owner")
    client.post("/v1/me/farm/feed", headers=owner)
    visiting = client.post("/v1/me/farm/visit/owner", headers=thief).get_json()
    assert (visiting["state"], visiting["visiting"]) == ("visiting", "owner")
    clock.move_to(NOW + timedelta(seconds=1_680))
    assert client.get("/v1/me/farm", headers=owner).get_json()["visitors"] == ["thief"]
    chased = client.post("/v1/me/farm/chase", headers=owner).get_json()
    assert chased["chased"] == [{"user_id": "thief", "eaten_g": 18}]
    assert chased["farm"]["trough_g"] == 180 - 18 - 18
    back = client.get("/v1/me/farm", headers=thief).get_json()
    assert (back["state"], back["visiting"], back["egg_progress"]) == ("hungry", None, 18)


def test_visit_and_chase_refusals_say_why(client, token, session, clock):
    me = farmer(client, token, session, "me")
    farmer(client, token, session, "stranger", store_g=180)
    assert_problem(client.post("/v1/me/farm/visit/stranger", headers=me), 403, "not friends")
    assert_problem(client.post("/v1/me/farm/visit/ghost", headers=me), 404, "ghost")
    assert_problem(client.post("/v1/me/farm/visit/me", headers=me), 422, "your own trough")
    assert_problem(client.post("/v1/me/farm/chase", headers=me), 409, "No chicken is eating")


def test_no_question_in_the_bank_is_a_clear_404(client, token, clock):
    assert_problem(client.get("/v1/me/farm/quiz", headers=token("q")), 404,
                   "question bank is empty")


def test_the_quiz_once_a_day_and_a_clear_refusal_for_a_second_try(client, token, session,
                                                                   clock):
    QuizQuestionFactory(choices=["The bus", "A private jet"], answer="The bus")
    headers = farmer(client, token, session, "quizzer")
    today = client.get("/v1/me/farm/quiz", headers=headers).get_json()
    assert (today["answered"], today["choices"]) == (False, ["The bus", "A private jet"])
    right = client.post("/v1/me/farm/quiz", json={"answer": " the BUS "}, headers=headers)
    assert right.status_code == 200
    body = right.get_json()
    assert (body["correct"], body["feed_g"], body["lost_g"], body["feed_store_g"]) == (
        True, 180, 0, 180)
    again = client.post("/v1/me/farm/quiz", json={"answer": "The bus"}, headers=headers)
    assert_problem(again, 409, "You already answered today's quiz (right)")
    assert client.get("/v1/me/farm/quiz", headers=headers).get_json()["answered"] is True
    clock.move_to(NOW + timedelta(days=1))
    wrong = client.post("/v1/me/farm/quiz", json={"answer": "A private jet"}, headers=headers)
    assert (wrong.get_json()["correct"], wrong.get_json()["feed_g"]) == (False, 0)
    assert "the answer was 'The bus'" in wrong.get_json()["message"]


def test_a_right_answer_into_a_nearly_full_store_says_what_was_lost(client, token, session,
                                                                   clock):
    QuizQuestionFactory(answer="The bus")
    headers = farmer(client, token, session, "hoarder", store_g=1_700)
    body = client.post("/v1/me/farm/quiz", json={"answer": "The bus"}, headers=headers).get_json()
    assert (body["feed_g"], body["lost_g"], body["feed_store_g"]) == (180, 80, 1_800)
    assert "80 g did not fit" in body["message"]


def test_a_quiz_answer_must_be_text(client, token, session, clock):
    QuizQuestionFactory()
    resp = client.post("/v1/me/farm/quiz", json={"answer": 42}, headers=token("typo"))
    assert resp.status_code == 422 and "answer" in resp.get_json()["errors"]


def test_me_shows_eggs_held_and_donated(client, token, session, clock):
    headers = farmer(client, token, session, "layer", eaten_g=2_000)
    body = client.get("/v1/me", headers=headers).get_json()
    assert (body["eggs"], body["eggs_donated"]) == (2, 0)


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/v1/me/farm/visit/" + "x" * 300, None),
    ("POST", "/v1/me/farm/visit/%F0%9F%90%94", None),
    ("POST", "/v1/me/farm/quiz", "{not json"),
    ("POST", "/v1/me/farm/quiz", {"answer": "x" * 5000}),
    ("POST", "/v1/me/farm/quiz", []),
    ("POST", "/v1/me/donations", {"project_id": "one", "eggs": 1}),
    ("POST", "/v1/me/donations", {"project_id": 2**70, "eggs": 1}),
    ("POST", "/v1/me/donations", {"project_id": 1, "eggs": -3}),
    ("POST", "/v1/me/donations", {"project_id": 1, "eggs": 1.5}),
    ("GET", "/v1/charity-projects?cursor=abc", None),
    ("GET", "/v1/charity-projects?status=burning", None),
    ("GET", "/v1/charity-projects/99999999999999999999999", None),
    ("POST", "/v1/me/farm/feed?x=%00", None),
])
def test_odd_inputs_are_refused_with_a_sentence_never_a_500(client, token, clock, method, path,
                                                            body):
    kwargs = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {
        "json": body}
    resp = client.open(path, method=method, headers=token("fuzzer"), **kwargs)
    assert 400 <= resp.status_code < 500, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["detail"]


def test_the_farm_says_when_the_trough_runs_dry_and_the_next_egg_comes(client, token, session,
                                                                       clock):
    headers = farmer(client, token, session, "timer", store_g=180, eaten_g=800)
    fed = client.post("/v1/me/farm/feed", headers=headers).get_json()
    assert fed["trough_empty_at"].startswith((NOW + MEAL).isoformat()[:19])
    assert fed["next_egg_at"].startswith((NOW + timedelta(seconds=9_334)).isoformat()[:19])
    assert (fed["visitor_meals"], fed["visiting_eaten_g"]) == ([], None)
    empty = client.get("/v1/me/farm", headers=token("newbie")).get_json()
    assert (empty["trough_empty_at"], empty["next_egg_at"]) == (None, None)
