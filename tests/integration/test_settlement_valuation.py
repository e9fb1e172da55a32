"""Settlement values events by the methodology in force, aggregates, caps and deduplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from carbon.models import Ball, MethodologyVersion
from carbon.services.co2e_totals import all_time_g
from carbon.services.settlement import settle_day
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # noon in Shanghai on DAY


@pytest.fixture(autouse=True)
def methodology(uow, session):
    seed_methodology(uow)


def events(user, activity_type, count, at=NOON, quantity=1, **kw):
    for i in range(count):
        ActivityEventFactory(user=user, activity_type=activity_type, quantity=quantity,
                             occurred_at=at + timedelta(seconds=i), **kw)


def ball_energy(session, user, day=DAY) -> dict[str, int]:
    rows = session.execute(select(Ball.activity_type, Ball.energy_g).where(
        Ball.user_id == user.id, Ball.local_date == day, Ball.kind == "settlement"))
    return dict(rows.all())


@pytest.mark.parametrize(("payments", "expected"), [(9, 45), (10, 50), (11, 50)])
def test_offline_payments_are_capped_at_ten_a_day(uow, session, payments, expected):
    user = UserFactory()
    events(user, "offline_payment", payments)
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {"offline_payment": expected}


@pytest.mark.parametrize(("steps", "expected"), [(17_999, 295), (18_000, 296), (18_001, 296),
                                                  (100_000, 296)])
def test_walking_energy_is_proportional_below_18000_steps_and_capped_at_296(
        uow, session, steps, expected):
    user = UserFactory()
    events(user, "walk", 1, quantity=steps)
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {"walk": expected}


def test_the_highest_step_count_of_the_day_counts_not_the_sum(uow, session):
    user = UserFactory()
    for steps in (5_000, 12_000, 9_000):
        events(user, "walk", 1, quantity=steps)
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {"walk": 12_000 * 296 // 18_000}


def test_a_ball_worth_zero_grams_is_not_created(uow, session):
    user = UserFactory()
    events(user, "walk", 1, quantity=60)  # 60 * 296 // 18000 = 0
    report = settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {}
    assert report.balls == 0 and report.energy_g == 0


def test_each_type_of_a_day_makes_one_ball_and_users_all_time_co2e_grows(uow, session):
    user = UserFactory()
    events(user, "offline_payment", 3)
    events(user, "metro_ride", 2)
    events(user, "walk", 1, quantity=18_000)
    report = settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {"offline_payment": 15, "metro_ride": 104, "walk": 296}
    assert report.balls == 3 and report.energy_g == 415
    assert all_time_g(session, user.id) == 415


def test_a_monthly_cap_counts_what_earlier_days_of_the_month_gave(uow, session):
    user = UserFactory()
    days = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    for day, tickets in zip(days, (7, 5, 1), strict=True):
        events(user, "movie_ticket", tickets, at=datetime.combine(day, NOON.timetz()))
        settle_day(uow, day, NOW)
    given = [ball_energy(session, user, day).get("movie_ticket") for day in days]
    assert given == [1260, 540, None]  # 1800 g a month, then nothing


def test_a_monthly_cap_starts_again_in_a_new_local_month(uow, session):
    user = UserFactory()
    feb, mar = date(2026, 2, 27), date(2026, 3, 2)
    for day in (feb, mar):
        events(user, "clothes_recycle", 1, at=datetime.combine(day, NOON.timetz()))
        settle_day(uow, day, NOW)
    assert ball_energy(session, user, feb) == {"clothes_recycle": 790}
    assert ball_energy(session, user, mar) == {"clothes_recycle": 790}


def test_two_bills_of_one_account_no_in_a_month_count_once(uow, session):
    user = UserFactory()
    events(user, "utility_bill", 2, dedupe_key="ACC-1")
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {"utility_bill": 262}


def test_a_bill_of_an_account_no_already_billed_earlier_in_the_month_counts_nothing(uow, session):
    user = UserFactory()
    earlier = date(2026, 3, 2)
    events(user, "utility_bill", 1, at=datetime.combine(earlier, NOON.timetz()),
           dedupe_key="ACC-1")
    settle_day(uow, earlier, NOW)
    events(user, "utility_bill", 1, dedupe_key="ACC-1")
    events(user, "utility_bill", 1, dedupe_key="ACC-2")
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, user, earlier) == {"utility_bill": 262}
    assert ball_energy(session, user) == {"utility_bill": 262}  # ACC-2 only


def test_bills_of_two_account_nos_both_count(uow, session):
    user = UserFactory()
    events(user, "utility_bill", 1, dedupe_key="ACC-1")
    events(user, "utility_bill", 1, dedupe_key="ACC-2")
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {"utility_bill": 524}


def _switch_payment_factor(session, at: datetime, factor: int, cap_g: int) -> None:
    session.execute(update(MethodologyVersion).where(
        MethodologyVersion.activity_type == "offline_payment").values(effective_to=at))
    session.add(MethodologyVersion(activity_type="offline_payment", effective_from=at,
                                   effective_to=None, factor_num=factor, factor_den=1,
                                   cap_g=cap_g, cap_period="day", note="v2", created_at=NOW))
    session.flush()


def test_an_event_is_valued_by_the_version_in_force_at_its_instant(uow, session):
    switch = NOON
    _switch_payment_factor(session, switch, factor=7, cap_g=70)
    before, at = UserFactory(), UserFactory()
    events(before, "offline_payment", 1, at=switch - timedelta(microseconds=1))
    events(at, "offline_payment", 1, at=switch)
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, before) == {"offline_payment": 5}
    assert ball_energy(session, at) == {"offline_payment": 7}


def test_a_day_spanning_two_versions_is_capped_by_the_higher_cap(uow, session):
    switch = NOON
    _switch_payment_factor(session, switch, factor=7, cap_g=70)
    user = UserFactory()
    events(user, "offline_payment", 8, at=switch - timedelta(hours=1))  # 8 x 5 g
    events(user, "offline_payment", 8, at=switch)  # 8 x 7 g
    settle_day(uow, DAY, NOW)
    assert ball_energy(session, user) == {"offline_payment": 70}
