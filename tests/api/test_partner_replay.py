"""A signed partner or operator request that changes state acts once: the same signature
again, inside its 300 s window, is a 409 replayed_signature and changes nothing."""

from __future__ import annotations

import time

import pytest
import time_machine
from sqlalchemy import func, select

from carbon.models import User
from carbon.services.catalog import seed_default_methodology
from game.farm.models import QuizQuestion
from tests.conftest import NOW

QUIZ = "/v1/admin/quiz-questions"
QUESTION = {"question": "Greener?", "choices": ["Bike", "Car"], "answer": "Bike"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def assert_replayed(resp):
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == "replayed_signature" and "fresh X-Timestamp" in body["detail"]


def test_a_replayed_quiz_question_is_created_once(signed, admin, session):
    assert signed(admin, "POST", QUIZ, QUESTION).status_code == 201
    for _ in range(2):
        assert_replayed(signed(admin, "POST", QUIZ, QUESTION))
    assert session.scalar(select(func.count()).select_from(QuizQuestion)) == 1


def test_a_replayed_charity_project_is_created_once(signed, admin, make_partner):
    make_partner(("donations",), name="school-meals-fund")
    body = {"name": "School meals", "partner_name": "school-meals-fund",
            "sponsor_name": "Green Sponsor", "fen_per_egg": 50, "egg_target": 100}
    path = "/v1/admin/charity-projects"
    assert signed(admin, "POST", path, body).status_code == 201
    assert_replayed(signed(admin, "POST", path, body))
    assert len(signed(admin, "GET", path).get_json()["items"]) == 1


def test_a_replayed_shield_is_extended_once(client, token, signed, admin, session):
    client.get("/v1/me", headers=token("bob"))
    granted = signed(admin, "POST", "/v1/admin/shields", {"user_id": "bob"})
    assert granted.status_code == 200
    assert_replayed(signed(admin, "POST", "/v1/admin/shields", {"user_id": "bob"}))
    until = session.scalar(select(User.shield_until).where(User.external_id == "bob"))
    assert until.isoformat() == granted.get_json()["shield_until"]


def test_a_replayed_patch_is_refused(signed, admin, uow):
    seed_default_methodology(uow, NOW)
    path = "/v1/admin/activity-types/walk"
    assert signed(admin, "PATCH", path, {"active": False}).status_code == 200
    assert_replayed(signed(admin, "PATCH", path, {"active": False}))


def test_the_same_request_signed_afresh_is_a_new_request(signed, admin, session):
    assert signed(admin, "POST", QUIZ, QUESTION, ts=time.time()).status_code == 201
    assert signed(admin, "POST", QUIZ, QUESTION, ts=time.time() + 1).status_code == 201
    assert session.scalar(select(func.count()).select_from(QuizQuestion)) == 2


def test_a_signature_is_spent_even_when_its_request_was_refused(signed, admin):
    bad = {**QUESTION, "answer": "Plane"}
    assert signed(admin, "POST", QUIZ, bad).status_code == 422
    assert_replayed(signed(admin, "POST", QUIZ, bad))


def test_a_signature_is_not_spent_by_a_request_that_failed_to_authenticate(signed, admin,
                                                                           make_partner):
    planter = make_partner(("plantings",), name="planter")
    assert signed(planter, "POST", QUIZ, QUESTION).status_code == 403
    assert signed(planter, "POST", QUIZ, QUESTION).status_code == 403


def test_reads_may_be_repeated(signed, admin):
    for _ in range(3):
        assert signed(admin, "GET", QUIZ).status_code == 200


def test_replayed_partner_events_answer_the_same_counts_again(signed, make_partner, uow):
    seed_default_methodology(uow, NOW)
    source = make_partner(("events:write",))
    body = {"events": [{"id": "e1", "user_id": "u1", "type": "walk", "quantity": 100,
                        "occurred_at": NOW.isoformat()}]}
    first = signed(source, "POST", "/v1/partner/events", body)
    again = signed(source, "POST", "/v1/partner/events", body)
    assert first.status_code == again.status_code == 200
    assert (first.get_json()["accepted"], first.get_json()["duplicates"]) == (1, 0)
    assert (again.get_json()["accepted"], again.get_json()["duplicates"]) == (0, 1)

