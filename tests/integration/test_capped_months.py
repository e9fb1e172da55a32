"""capped_months: each batch adds its balls of monthly-capped types to their month's row, so that
a night's monthly allowance is one probe; a version that gives a type its first monthly cap
counts the months it can reach; migration 0029 counts every settled month of a filled database."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from carbon import ball_ids
from carbon.history_models import CappedMonth
from carbon.models import Ball
from carbon.repository import capped
from carbon.services import methodology, settlement
from carbon.services.catalog import seed_default_methodology
from carbon.services.settlement import settle_day
from db import UnitOfWork
from db.migrate import upgrade
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology
from tests.migrations import database_at

MONTHLY = {"movie_ticket", "clothes_recycle"}  # of the types below, the monthly-capped ones


def on(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=4)


def events(user, activity_type: str, count: int, day: date) -> None:
    for i in range(count):
        ActivityEventFactory(user=user, activity_type=activity_type,
                             occurred_at=on(day) + timedelta(seconds=i))


def capped_rows(session) -> dict[tuple, int]:
    session.expire_all()
    return {(m, u, t): g for m, u, t, g in session.execute(select(
        CappedMonth.month, CappedMonth.user_id, CappedMonth.activity_type, CappedMonth.co2e_g))}


def settled_by_month(session, types: set[str]) -> dict[tuple, int]:
    sums: dict[tuple, int] = defaultdict(int)
    for d, u, t, g in session.execute(select(
            Ball.local_date, Ball.user_id, Ball.activity_type, Ball.co2e_g).where(
            Ball.kind == "settlement", Ball.activity_type.in_(types))):
        sums[(d.replace(day=1), u, t)] += g
    return dict(sums)


def energy(session, user, day: date, activity_type: str) -> int | None:
    return session.scalar(select(Ball.energy_g).where(
        Ball.user_id == user.id, Ball.local_date == day, Ball.activity_type == activity_type,
        Ball.kind == "settlement"))


def test_each_batch_adds_its_monthly_capped_balls_to_their_month_in_any_order(uow, session):
    seed_methodology(uow)
    ann, bob = UserFactory(), UserFactory()
    nights = [date(2026, 3, 31), date(2026, 3, 2), date(2026, 4, 1), date(2026, 3, 20)]
    for day in nights:  # settled out of order, across two months
        for user, tickets in ((ann, 6), (bob, 2)):
            events(user, "movie_ticket", tickets, day)
            events(user, "metro_ride", 2, day)
        events(ann, "clothes_recycle", 1, day)
        settle_day(uow, day, NOW + timedelta(days=40))
    rows = capped_rows(session)
    assert rows == settled_by_month(session, MONTHLY)
    assert {t for _, _, t in rows} == MONTHLY  # metro_ride has a daily cap: not kept
    march = date(2026, 3, 1)
    assert rows[(march, ann.id, "movie_ticket")] == 1800  # 18 tickets, a cap of 10 a month
    assert rows[(march, bob.id, "movie_ticket")] == 1080
    assert rows[(march, ann.id, "clothes_recycle")] == 790


def test_a_version_that_starts_a_monthly_cap_counts_the_nights_settled_before_it(uow, session):
    seed_methodology(uow)
    ann = UserFactory()
    for day in (date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)):
        events(ann, "metro_ride", 3, day)  # 156 g a day (a daily cap of 260)
        settle_day(uow, day, NOW)
    assert capped_rows(session) == {}
    start = NOW + timedelta(hours=1)
    methodology.add_version(uow, "metro_ride", methodology.VersionSpec(
        start, 52, 1, cap_g=500, cap_period="month"), NOW)
    assert capped_rows(session) == {(date(2026, 3, 1), ann.id, "metro_ride"): 468}
    later = date(2026, 3, 11)
    events(ann, "metro_ride", 5, later)  # 260 g, after the version's start
    settle_day(uow, later, NOW + timedelta(days=2))
    assert energy(session, ann, later, "metro_ride") == 32  # 500 - 468
    assert capped_rows(session) == {(date(2026, 3, 1), ann.id, "metro_ride"): 500}


def test_a_first_monthly_cap_from_a_month_not_begun_anywhere_recounts_nothing(uow, session):
    """What a large deployment does: the version reaches no month that holds a settled night,
    so nothing is read; the month it starts in is counted from its first night."""
    seed_methodology(uow)
    ann = UserFactory()
    events(ann, "metro_ride", 3, date(2026, 3, 2))
    settle_day(uow, date(2026, 3, 2), NOW)
    start = datetime(2026, 4, 2, tzinfo=UTC)
    assert capped.months_a_version_reaches(start, NOW) == (date(2026, 4, 1), date(2026, 3, 1))
    methodology.add_version(uow, "metro_ride", methodology.VersionSpec(
        start, 52, 1, cap_g=300, cap_period="month"), NOW)
    assert capped_rows(session) == {}
    april = [date(2026, 4, 2), date(2026, 4, 3)]
    for day in april:
        events(ann, "metro_ride", 4, day)  # 208 g a night
        settle_day(uow, day, NOW + timedelta(days=30))
    assert [energy(session, ann, day, "metro_ride") for day in april] == [208, 92]
    assert capped_rows(session) == {(date(2026, 4, 1), ann.id, "metro_ride"): 300}


def test_a_second_monthly_version_recounts_nothing(uow, session):
    seed_methodology(uow)
    ann = UserFactory()
    events(ann, "movie_ticket", 2, date(2026, 3, 2))
    settle_day(uow, date(2026, 3, 2), NOW)
    session.execute(text("UPDATE capped_months SET co2e_g = co2e_g + 1"))  # a marker
    methodology.add_version(uow, "movie_ticket", methodology.VersionSpec(
        NOW + timedelta(hours=1), 200, 1, cap_g=2000, cap_period="month"), NOW)
    assert capped_rows(session) == {(date(2026, 3, 1), ann.id, "movie_ticket"): 361}


@pytest.fixture
def old_database(engine, database_url):
    with database_at(engine, database_url, "0026_citus") as old:
        yield old


def _ball(conn, day: date, activity_type: str, g: int, rank: int) -> None:
    at = NOW if conn.dialect.name == "postgresql" else NOW.replace(tzinfo=None)
    conn.execute(text(
        "INSERT INTO balls (id, user_id, kind, activity_type, local_date, co2e_g, energy_g, "
        "remaining_g, stolen_g, collected_g, stealable, status, ripe_at, expires_at, "
        "settlement_batch_id, created_at) VALUES (:id, 1, 'settlement', :t, :d, :g, :g, 0, 0, "
        ":g, true, 'collected', :at, :at, 1, :at)"),
        {"id": ball_ids.settlement_id(day, 1, rank), "t": activity_type, "d": day, "g": g,
         "at": at})


def test_the_upgrade_counts_every_settled_month_from_carbon_days_and_balls(old_database):
    """Filled at 0026_citus: February and early March rolled up into carbon_days (their balls
    retired), March 9 still in its balls."""
    seed_default_methodology(UnitOfWork(sessionmaker(bind=old_database)), NOW)
    feb, mar_2, mar_9 = date(2026, 2, 27), date(2026, 3, 2), date(2026, 3, 9)
    with old_database.begin() as conn:
        conn.execute(text("INSERT INTO users (id, external_id, timezone, co2e_total_g, "
                          "created_at) VALUES (1, 'u1', 'Asia/Shanghai', 0, '2026-01-01')"))
        for day in (feb, mar_2, mar_9):
            conn.execute(text("INSERT INTO settlement_runs (local_date, timezone, started_at) "
                              "VALUES (:d, 'Asia/Shanghai', '2026-03-10')"), {"d": day})
        conn.execute(text("UPDATE co2e_rollup SET days_through = '2026-03-05'"))
        conn.execute(text(
            "INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g) VALUES "
            "(:feb, 1, 'movie_ticket', 720), (:mar, 1, 'movie_ticket', 540), "
            "(:mar, 1, 'metro_ride', 104)"), {"feb": feb, "mar": mar_2})
        _ball(conn, mar_9, "metro_ride", 52, 0)
        _ball(conn, mar_9, "movie_ticket", 360, 1)
        _ball(conn, mar_2, "movie_ticket", 999, 0)  # retired in carbon_days: not counted
        upgrade(str(old_database.url), "head", connection=conn)
    with old_database.connect() as conn:
        rows = {(str(m), t): g for m, t, g in conn.execute(text(
            "SELECT month, activity_type, co2e_g FROM capped_months WHERE user_id = 1"))}
    assert rows == {("2026-02-01", "movie_ticket"): 720, ("2026-03-01", "movie_ticket"): 900}


def test_a_batch_that_dies_after_its_upsert_leaves_no_total_and_its_retry_counts_once(
        uow, session, monkeypatch):
    """The upsert, the balls and the ledger are one transaction: a batch killed after the
    month's total was written (here: its ledger posting fails) leaves nothing, and the rerun
    counts its night once (a doubled total would cut the next night's allowance)."""
    seed_methodology(uow)
    ann = UserFactory()
    first, second = date(2026, 3, 2), date(2026, 3, 3)
    events(ann, "movie_ticket", 6, first)
    real, calls = settlement.ledger.post, []

    def dies_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the process died after the batch's upsert")
        return real(*args, **kwargs)

    monkeypatch.setattr(settlement.ledger, "post", dies_once)
    with pytest.raises(RuntimeError):
        settle_day(uow, first, NOW)
    assert capped_rows(session) == {} and energy(session, ann, first, "movie_ticket") is None
    settle_day(uow, first, NOW)
    assert capped_rows(session) == {(date(2026, 3, 1), ann.id, "movie_ticket"): 1080}
    events(ann, "movie_ticket", 6, second)
    settle_day(uow, second, NOW)
    assert energy(session, ann, second, "movie_ticket") == 720  # 1,800 a month - 1,080
    assert capped_rows(session) == {(date(2026, 3, 1), ann.id, "movie_ticket"): 1800}
