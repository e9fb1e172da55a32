"""GET /v1/me/carbon: the carbon statement by day, type and month."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from carbon.models import User
from carbon.services.settlement import settle_day
from tests.conftest import NOW
from tests.factories import ActivityEventFactory
from tests.factories.carbon import seed_methodology


@pytest.fixture
def carol(client, token, session, uow):
    """carol (Shanghai) settled on Feb 27 (a payment) and Mar 2 (a payment and a metro ride)."""
    with time_machine.travel(NOW, tick=False):
        headers = token("carol")
        client.get("/v1/me", headers=headers)
        user = session.scalars(select(User).where(User.external_id == "carol")).one()
        seed_methodology(uow)
        for day, types in ((date(2026, 2, 27), ["offline_payment"]),
                           (date(2026, 3, 2), ["offline_payment", "metro_ride"])):
            for t in types:
                ActivityEventFactory(user=user, activity_type=t,
                                     occurred_at=datetime.combine(day, datetime.min.time(),
                                                                  tzinfo=UTC).replace(hour=4))
            settle_day(uow, day, NOW)
        yield headers


def test_the_statement_defaults_to_the_last_30_days(client, carol):
    with time_machine.travel(NOW, tick=False):
        body = client.get("/v1/me/carbon", headers=carol).get_json()
    assert (body["from"], body["to"]) == ("2026-02-09", "2026-03-10")
    assert body["days"] == [
        {"date": "2026-02-27", "co2e_g": 5, "by_type": {"offline_payment": 5}},
        {"date": "2026-03-02", "co2e_g": 57, "by_type": {"metro_ride": 52, "offline_payment": 5}},
    ]
    assert body["months"] == [{"month": "2026-02", "co2e_g": 5}, {"month": "2026-03", "co2e_g": 57}]
    assert body["by_type"] == {"metro_ride": 52, "offline_payment": 10}
    assert (body["total_co2e_g"], body["all_time_co2e_g"]) == (62, 62)


def test_a_range_shows_only_its_days_but_the_all_time_total(client, carol):
    with time_machine.travel(NOW, tick=False):
        body = client.get("/v1/me/carbon?from=2026-03-01&to=2026-03-31", headers=carol).get_json()
    assert [d["date"] for d in body["days"]] == ["2026-03-02"]
    assert (body["total_co2e_g"], body["all_time_co2e_g"]) == (57, 62)


@pytest.mark.parametrize("query", ["from=2026-03-02&to=2026-03-01", "from=2025-01-01&to=2026-03-01",
                                   "from=yesterday", "to=2026-13-01"])
def test_a_bad_range_is_a_422_problem(client, carol, query):
    with time_machine.travel(NOW, tick=False):
        resp = client.get(f"/v1/me/carbon?{query}", headers=carol)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["detail"]


@pytest.mark.parametrize("query", ["from=2000-01-01&to=2000-12-31", "from=2026-03-03&to=2026-03-03"])
def test_a_range_without_settled_days_is_an_empty_statement(client, carol, query):
    with time_machine.travel(NOW, tick=False):
        resp = client.get(f"/v1/me/carbon?{query}", headers=carol)
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert (body["days"], body["months"], body["by_type"], body["total_co2e_g"]) == ([], [], {}, 0)
    assert body["all_time_co2e_g"] == 62
