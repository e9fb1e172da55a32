"""Settlement writes the statement's compact history (carbon_days), and the statement reads it,
so that it stays exact once events and balls are retired."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from carbon.history_models import CarbonDay
from carbon.models import ActivityEvent, Ball
from carbon.services.account import STATEMENT_MAX_DAYS, carbon_statement
from carbon.services.settlement import settle_day
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # noon in Shanghai on DAY


@pytest.fixture(autouse=True)
def methodology(uow, session):
    seed_methodology(uow)


def events(user, activity_type, count, at=NOON):
    for i in range(count):
        ActivityEventFactory(user=user, activity_type=activity_type,
                             occurred_at=at + timedelta(seconds=i))


def history(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(CarbonDay.local_date, CarbonDay.user_id, CarbonDay.activity_type, CarbonDay.co2e_g)
        .order_by(CarbonDay.local_date, CarbonDay.user_id, CarbonDay.activity_type))]


def settlement_balls(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(Ball.local_date, Ball.user_id, Ball.activity_type, Ball.co2e_g)
        .where(Ball.kind == "settlement")
        .order_by(Ball.local_date, Ball.user_id, Ball.activity_type))]


def test_settlement_writes_one_history_row_for_every_ball_it_makes(uow, session):
    ann, bob, idle = UserFactory(), UserFactory(), UserFactory()
    events(ann, "offline_payment", 12)  # capped at 10 a day: 50 g
    events(ann, "metro_ride", 1)
    events(bob, "offline_payment", 1)
    settle_day(uow, DAY, NOW, batch_users=1)  # a batch per user: each writes its own rows
    rows = history(session)
    assert rows == settlement_balls(session)
    assert rows == [(DAY, ann.id, "metro_ride", 52), (DAY, ann.id, "offline_payment", 50),
                    (DAY, bob.id, "offline_payment", 5)]
    assert idle.id not in {r[1] for r in rows}


def test_the_statement_stays_exact_after_the_events_and_balls_are_retired(uow, session):
    ann = UserFactory()
    events(ann, "offline_payment", 2, at=NOON - timedelta(days=1))
    events(ann, "offline_payment", 1)
    events(ann, "metro_ride", 1)
    for day in (DAY - timedelta(days=1), DAY):
        settle_day(uow, day, NOW)
    session.execute(delete(Ball))
    session.execute(delete(ActivityEvent))
    st = carbon_statement(uow, ann.id, DAY - timedelta(days=29), DAY)
    assert [(d.date, d.co2e_g, d.by_type) for d in st.days] == [
        (DAY - timedelta(days=1), 10, {"offline_payment": 10}),
        (DAY, 57, {"metro_ride": 52, "offline_payment": 5})]
    assert st.months == [("2026-03", 67)]
    assert (st.by_type, st.total_co2e_g, st.all_time_co2e_g) == (
        {"metro_ride": 52, "offline_payment": 15}, 67, 67)


def test_a_full_length_statement_reads_both_end_days_and_nothing_beyond(uow, session):
    ann, bob = UserFactory(), UserFactory()
    first = DAY - timedelta(days=STATEMENT_MAX_DAYS - 1)
    for day, grams in ((first - timedelta(days=1), 1), (first, 2), (DAY, 4),
                       (DAY + timedelta(days=1), 8)):
        session.add(CarbonDay(local_date=day, user_id=ann.id, activity_type="walk", co2e_g=grams))
    session.add(CarbonDay(local_date=DAY, user_id=bob.id, activity_type="walk", co2e_g=16))
    session.flush()
    st = carbon_statement(uow, ann.id, first, DAY)
    assert [(d.date, d.co2e_g) for d in st.days] == [(first, 2), (DAY, 4)]
    assert st.months == [(first.strftime("%Y-%m"), 2), ("2026-03", 4)]
    assert st.total_co2e_g == 6


@pytest.mark.parametrize(("first", "later"), [(date(2026, 3, 1), date(2026, 3, 31)),
                                              (date(2026, 3, 31), date(2026, 3, 1))])
def test_a_monthly_cap_counts_earlier_days_whose_balls_were_retired(uow, session, first, later):
    ann = UserFactory()
    events(ann, "movie_ticket", 7, at=datetime.combine(first, NOON.timetz()))
    settle_day(uow, first, NOW + timedelta(days=30))
    session.execute(delete(Ball))
    events(ann, "movie_ticket", 7, at=datetime.combine(later, NOON.timetz()))
    settle_day(uow, later, NOW + timedelta(days=30))
    given = dict(session.execute(select(CarbonDay.local_date, CarbonDay.co2e_g)
                                 .where(CarbonDay.user_id == ann.id)).all())
    assert given == {first: 1260, later: 540}  # 1,800 g a month in all


def test_a_monthly_cap_does_not_count_the_day_before_the_month(uow, session):
    ann = UserFactory()
    feb, mar = date(2026, 2, 28), date(2026, 3, 1)
    for day in (feb, mar):
        events(ann, "movie_ticket", 7, at=datetime.combine(day, NOON.timetz()))
        settle_day(uow, day, NOW)
    given = dict(session.execute(select(CarbonDay.local_date, CarbonDay.co2e_g)
                                 .where(CarbonDay.user_id == ann.id)).all())
    assert given == {feb: 1260, mar: 1260}
