"""POST /v1/me/steps: the day's highest count counts; future, stale and settled days refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from carbon.models import ActivityEvent, SettlementRun
from carbon.services.catalog import seed_default_methodology
from carbon.services.events import ingest_events
from tests.conftest import NOW

TODAY = NOW.date()  # 2026-03-10 in Shanghai (12:00); still 2026-03-09 in Los Angeles


@pytest.fixture(autouse=True)
def frozen(uow):
    seed_default_methodology(uow, NOW)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def steps(client, token):
    def _post(count, day=TODAY, user="alice", tz=None):
        return client.post("/v1/me/steps", json={"date": str(day), "steps": count},
                           headers=token(user, tz))

    return _post


def walk_events(session):
    return session.scalars(select(ActivityEvent).where(ActivityEvent.activity_type == "walk")
                           .order_by(ActivityEvent.id)).all()


def test_a_step_count_is_stored_as_a_walk_event_of_that_local_date(steps, session):
    resp = steps(8000, TODAY - timedelta(days=1))
    assert resp.status_code == 201
    assert resp.get_json() == {"date": "2026-03-09", "steps": 8000}
    (event,) = walk_events(session)
    assert (event.source, event.quantity, event.local_date) == ("app", 8000, date(2026, 3, 9))
    assert event.occurred_at == NOW


def test_the_highest_count_of_the_day_is_returned(steps, session):
    assert steps(5000).get_json()["steps"] == 5000
    assert steps(3000).get_json()["steps"] == 5000
    assert steps(12000).get_json()["steps"] == 12000
    assert [e.quantity for e in walk_events(session)] == [5000, 3000, 12000]


def test_the_same_count_twice_is_stored_once(steps, session):
    steps(4000)
    assert steps(4000).status_code == 201
    assert len(walk_events(session)) == 1


def test_a_partner_walk_event_counts_toward_the_days_highest(steps, uow):
    ingest_events(uow, "band", [{"id": "w1", "user_id": "alice", "type": "walk",
                                 "quantity": 9000, "occurred_at": NOW.isoformat()}],
                  "Asia/Shanghai", NOW)
    assert steps(5000).get_json()["steps"] == 9000


@pytest.mark.parametrize("count, status", [(0, 201), (100_000, 201), (100_001, 422), (-1, 422)])
def test_step_counts_are_between_0_and_100000(steps, count, status):
    resp = steps(count)
    assert resp.status_code == status
    if status == 422:
        assert "100,000" in resp.get_json()["detail"]


@pytest.mark.parametrize("body", [{"date": "2026-03-10", "steps": "many"},
                                  {"date": "2026-03-10", "steps": 1.5},
                                  {"date": "10/03/2026", "steps": 1}, {"steps": 1}, {}])
def test_a_malformed_body_is_422_problem_json(client, token, body):
    resp = client.post("/v1/me/steps", json=body, headers=token("alice"))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"]


def test_a_date_after_the_users_local_today_is_refused(steps):
    assert steps(10, TODAY, user="la", tz="America/Los_Angeles").status_code == 422
    assert steps(10, TODAY - timedelta(days=1), user="la",
                 tz="America/Los_Angeles").status_code == 201
    resp = steps(10, TODAY + timedelta(days=1))
    assert resp.status_code == 422 and "future" in resp.get_json()["detail"]


def test_seven_days_ago_is_accepted_and_eight_is_not(steps):
    assert steps(10, TODAY - timedelta(days=7)).status_code == 201
    resp = steps(10, TODAY - timedelta(days=8))
    assert resp.status_code == 422 and "7 days" in resp.get_json()["detail"]


def test_a_settled_date_is_refused_with_409(steps, session):
    yesterday = TODAY - timedelta(days=1)
    steps(100, yesterday)
    session.add(SettlementRun(local_date=yesterday, timezone="Asia/Shanghai", started_at=NOW,
                              completed_at=NOW))
    session.flush()
    resp = steps(20000, yesterday)
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["title"] == "Day already settled"
    assert [e.quantity for e in walk_events(session)] == [100]


def test_steps_need_a_user_token(client):
    resp = client.post("/v1/me/steps", json={"date": "2026-03-10", "steps": 1})
    assert resp.status_code == 401
