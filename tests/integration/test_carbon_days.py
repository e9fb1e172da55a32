"""A night writes only its balls; the monthly roll-up copies them into carbon_days (their retired
form) before their month may be retired. The statement, the totals, the monthly caps and the
public figures answer the same before the roll-up, after it, and once the balls are gone."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from carbon import ball_ids
from carbon import settlement_sql as sql
from carbon.history_models import CarbonDay, CarbonMonth, CO2eRollup
from carbon.models import ActivityEvent, Ball
from carbon.repository import settled as settled_repo
from carbon.services import co2e_totals
from carbon.services.account import STATEMENT_MAX_DAYS, carbon_statement, statement_document
from carbon.services.balls import expire_balls
from carbon.services.lookups import user_totals
from carbon.services.settlement import _Day, settle_day
from db import partition_ops
from db.citus_layout import SHARD_COUNT
from db.partitions import spec
from game.stats.repository import counted
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # noon in Shanghai on DAY
APRIL_9 = datetime(2026, 4, 9, tzinfo=UTC)  # March is rolled up from April 8 on


@pytest.fixture(autouse=True)
def methodology(uow, session):
    seed_methodology(uow)


def events(user, activity_type, count, at=NOON):
    for i in range(count):
        ActivityEventFactory(user=user, activity_type=activity_type,
                             occurred_at=at + timedelta(seconds=i))


def on(day: date) -> datetime:
    return datetime.combine(day, NOON.timetz())


def history(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(CarbonDay.local_date, CarbonDay.user_id, CarbonDay.activity_type, CarbonDay.co2e_g)
        .order_by(CarbonDay.local_date, CarbonDay.user_id, CarbonDay.activity_type))]


def settlement_balls(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(Ball.local_date, Ball.user_id, Ball.activity_type, Ball.co2e_g)
        .where(Ball.kind == "settlement")
        .order_by(Ball.local_date, Ball.user_id, Ball.activity_type))]


def watermarks(session) -> tuple:
    session.expire_all()
    return session.execute(select(CO2eRollup.through, CO2eRollup.days_through)).one()


def answers(uow, session, user) -> dict:
    """Everything that reads settled CO2e, for one user and for everyone."""
    session.expire_all()
    st = carbon_statement(uow, user.id, date(2026, 2, 1), date(2026, 4, 30))
    return {"days": [(d.date, d.co2e_g, d.by_type) for d in st.days], "months": st.months,
            "all_time": st.all_time_co2e_g, "everyone": user_totals(session)[1],
            "public": counted(session)["co2e_total_g"]}


def test_a_night_writes_only_its_balls_and_the_roll_up_copies_them(uow, session):
    ann, bob, idle = UserFactory(), UserFactory(), UserFactory()
    events(ann, "offline_payment", 12)  # capped at 10 a day: 50 g
    events(ann, "metro_ride", 1)
    events(bob, "offline_payment", 1)
    settle_day(uow, DAY, NOW, batch_users=1)  # a batch per user
    assert history(session) == []
    balls = settlement_balls(session)
    assert balls == [(DAY, ann.id, "metro_ride", 52), (DAY, ann.id, "offline_payment", 50),
                     (DAY, bob.id, "offline_payment", 5)]
    assert co2e_totals.roll_up(uow, APRIL_9) == 1
    assert history(session) == balls and idle.id not in {r[1] for r in balls}
    assert watermarks(session) == (date(2026, 3, 31), date(2026, 3, 31))


def test_everything_answers_the_same_before_and_after_the_roll_up_and_retirement(uow, session):
    ann, bob = UserFactory(), UserFactory()
    events(ann, "offline_payment", 2, at=NOON - timedelta(days=9))  # Feb 28
    events(ann, "offline_payment", 1)
    events(ann, "metro_ride", 1)
    events(bob, "bus_ride", 1)
    for day in (date(2026, 2, 28), DAY):
        settle_day(uow, day, NOW)
    before = answers(uow, session, ann)
    assert before["days"] == [(date(2026, 2, 28), 10, {"offline_payment": 10}),
                              (DAY, 57, {"metro_ride": 52, "offline_payment": 5})]
    assert (before["months"], before["all_time"]) == ([("2026-02", 10), ("2026-03", 57)], 67)
    assert before["everyone"] == before["public"] == 67 + 80  # bob: a bus ride
    assert co2e_totals.roll_up(uow, APRIL_9) == 2
    assert answers(uow, session, ann) == before
    session.execute(delete(Ball))
    session.execute(delete(ActivityEvent))
    assert answers(uow, session, ann) == before


def test_a_full_length_statement_reads_both_end_days_and_nothing_beyond(uow, session):
    ann, bob = UserFactory(), UserFactory()
    first = DAY - timedelta(days=STATEMENT_MAX_DAYS - 1)
    for day, grams in ((first - timedelta(days=1), 1), (first, 2), (DAY, 4),
                       (DAY + timedelta(days=1), 8)):
        session.add(CarbonDay(local_date=day, user_id=ann.id, activity_type="walk", co2e_g=grams))
    session.add(CarbonDay(local_date=DAY, user_id=bob.id, activity_type="walk", co2e_g=16))
    session.execute(delete(CO2eRollup))
    session.add(CO2eRollup(slot=1, through=None, days_through=DAY + timedelta(days=1)))
    session.flush()
    st = carbon_statement(uow, ann.id, first, DAY)
    assert [(d.date, d.co2e_g) for d in st.days] == [(first, 2), (DAY, 4)]
    assert st.months == [(first.strftime("%Y-%m"), 2), ("2026-03", 4)]
    assert st.total_co2e_g == 6


@pytest.mark.parametrize("rolled_up", [False, True])
@pytest.mark.parametrize(("first", "later"), [(date(2026, 3, 1), date(2026, 3, 31)),
                                              (date(2026, 3, 31), date(2026, 3, 1))])
def test_a_monthly_cap_counts_the_other_days_from_balls_or_carbon_days(
        uow, session, first, later, rolled_up):
    ann = UserFactory()
    events(ann, "movie_ticket", 7, at=on(first))
    settle_day(uow, first, NOW + timedelta(days=30))
    if rolled_up:  # the first day is in carbon_days, its balls are gone
        assert co2e_totals.roll_up(uow, APRIL_9) == 1
        session.execute(delete(Ball))
    events(ann, "movie_ticket", 7, at=on(later))
    settle_day(uow, later, NOW + timedelta(days=30))
    st = carbon_statement(uow, ann.id, date(2026, 3, 1), date(2026, 3, 31))
    assert {d.date: d.co2e_g for d in st.days} == {first: 1260, later: 540}  # 1,800 g a month


def test_a_monthly_cap_does_not_count_the_day_before_the_month(uow, session):
    ann = UserFactory()
    feb, mar = date(2026, 2, 28), date(2026, 3, 1)
    for day in (feb, mar):
        events(ann, "movie_ticket", 7, at=on(day))
        settle_day(uow, day, NOW)
    st = carbon_statement(uow, ann.id, feb, mar)
    assert {d.date: d.co2e_g for d in st.days} == {feb: 1260, mar: 1260}


def test_a_late_night_across_a_roll_up_is_counted_once(uow, session):
    """A night of a rolled-up month settled late writes carbon_days and the users' total
    itself; a late night after the roll-up waits for the next one; neither is doubled."""
    ann = UserFactory()
    events(ann, "metro_ride", 1)
    settle_day(uow, DAY, NOW)
    assert co2e_totals.roll_up(uow, APRIL_9) == 1
    march_20, april_2 = date(2026, 3, 20), date(2026, 4, 2)
    for late in (march_20, april_2):
        events(ann, "bus_ride", 1, at=on(late))
        settle_day(uow, late, datetime(2026, 4, 20, tzinfo=UTC))
    assert [r[0] for r in history(session)] == [DAY, march_20]  # April's is a ball only
    after = answers(uow, session, ann)
    assert after["all_time"] == after["everyone"] == after["public"] == 52 + 2 * 80
    assert co2e_totals.roll_up(uow, datetime(2026, 5, 9, tzinfo=UTC)) == 1
    assert [r[0] for r in history(session)] == [DAY, march_20, april_2]
    assert watermarks(session) == (date(2026, 4, 30), date(2026, 4, 30))
    assert answers(uow, session, ann) == after


def test_a_month_of_balls_is_retired_only_once_it_is_copied(uow, session):
    ann = UserFactory()
    events(ann, "metro_ride", 1)
    settle_day(uow, DAY, NOW)
    expire_balls(uow, NOW + timedelta(days=5))  # no open ball holds the month back
    before = answers(uow, session, ann)
    balls_only = (spec("balls"),)
    keep = {"RETAIN_BALLS_DAYS": 60}
    partition_ops.maintain(lambda: uow, NOW.date(), keep, registry=balls_only)
    later = NOW.date() + timedelta(days=365)
    partition_ops.maintain(lambda: uow, later, keep, registry=balls_only)
    assert session.scalar(select(func.count()).select_from(Ball)) == 1
    assert co2e_totals.roll_up(uow, APRIL_9) == 1
    partition_ops.maintain(lambda: uow, later, keep, registry=balls_only)
    assert session.scalar(select(func.count()).select_from(Ball)) == 0
    assert answers(uow, session, ann) == before


def test_the_monthly_allowance_is_one_probe_of_capped_months_whatever_the_day(
        session, is_postgres, is_citus):
    """No read of the month's earlier nights, in balls or in carbon_days: their batches added
    to capped_months. On Citus: the plan shown is one shard's, the INSERT ... SELECT runs on
    every shard (one task each) with the same pinned plan (tune_batch_transaction sends the
    SET LOCALs)."""
    if not is_postgres:
        pytest.skip("a PostgreSQL plan")
    params = {**_Day(DAY, "Asia/Shanghai", NOW).params(), "first": 1, "last": 20_000,
              "bid": 1, "base": ball_ids.day_base(DAY)}
    sql.tune_batch_transaction(session)
    with sql.ball_insert_plan(session):
        plan = "\n".join(r[0] for r in session.execute(sql.explain(sql.INSERT_BALLS), params))
    assert re.search(r"Index (Only )?Scan using pk_capped_months\S* on capped_months", plan), plan
    assert not re.search(r" on balls\S* b\b", plan) and "carbon_days" not in plan, plan
    assert "Seq Scan" not in plan and "Nested Loop" not in plan, plan
    if is_citus:
        assert f"Task Count: {SHARD_COUNT}" in plan and "pull to coordinator" not in plan, plan


def _document_says(uow, user, first: date, last: date) -> None:
    st = carbon_statement(uow, user.id, first, last)
    doc = statement_document(uow, user.id, first, last)
    assert json.loads(doc.days_json) == [
        {"date": d.date.isoformat(), "co2e_g": d.co2e_g, "by_type": d.by_type} for d in st.days]
    assert json.loads(doc.months_json) == [{"month": m, "co2e_g": g} for m, g in st.months]
    assert json.loads(doc.by_type_json) == st.by_type
    assert (doc.total_co2e_g, doc.all_time_co2e_g) == (st.total_co2e_g, st.all_time_co2e_g)


def test_the_statement_document_says_what_the_statement_says(uow, session):
    """On PostgreSQL the document is read and encoded by one statement; it must say exactly
    what the rows say, from carbon_days and from balls, across months, and when empty."""
    ann, bob = UserFactory(), UserFactory()
    nights = {date(2026, 2, 27): {"metro_ride": 2, "bus_ride": 1}, date(2026, 3, 2):
              {"movie_ticket": 1}, date(2026, 3, 31): {"metro_ride": 1},
              date(2026, 4, 2): {"bus_ride": 2, "e_invoice": 1}}
    for day, kinds in nights.items():
        for kind, count in kinds.items():
            events(ann, kind, count, at=on(day))
        settle_day(uow, day, NOW + timedelta(days=40))
    for first, last in ((date(2026, 2, 1), date(2026, 4, 30)), (DAY, DAY)):
        _document_says(uow, ann, first, last)
        _document_says(uow, bob, first, last)
    assert co2e_totals.roll_up(uow, APRIL_9) >= 1  # February and March into carbon_days
    assert watermarks(session)[1] == date(2026, 3, 31)
    _document_says(uow, ann, date(2026, 2, 1), date(2026, 4, 30))
    _document_says(uow, ann, date(2026, 3, 31), date(2026, 4, 2))  # both sources
    _document_says(uow, ann, date(2026, 4, 2), date(2026, 4, 2))  # after `through` + 1
    _document_says(uow, ann, date(2026, 2, 1), date(2026, 3, 31))  # before the last night
    doc = statement_document(uow, bob.id, date(2026, 2, 1), date(2026, 4, 30))
    assert (doc.days_json, doc.months_json, doc.by_type_json, doc.total_co2e_g) == (
        "[]", "[]", "{}", 0)


def test_a_statement_holding_every_night_after_the_roll_up_reads_the_all_time_total_too(
        uow, session, is_postgres):
    """On PostgreSQL a statement whose dates hold every night settled after the roll-up's
    `through` sums those nights itself (users.co2e_total_g + them): the same all-time CO2e
    as co2e_totals.all_time_g, without its statements; other ranges leave it to them."""
    if not is_postgres or sql.is_citus(session):
        pytest.skip("the statement's one PostgreSQL statement (plain PostgreSQL only)")
    ann = UserFactory()
    for day in (date(2026, 3, 2), date(2026, 3, 31), date(2026, 4, 2), date(2026, 4, 5)):
        events(ann, "metro_ride", 2, at=on(day))
        settle_day(uow, day, NOW + timedelta(days=40))
    assert co2e_totals.roll_up(uow, APRIL_9) >= 1  # March: through = March 31
    with uow.reading():
        marks = settled_repo.watermarks(uow.session)
        expected = co2e_totals.all_time_g(uow.session, ann.id)
        for first, last, folded in ((date(2026, 4, 1), date(2026, 4, 5), True),
                                    (date(2025, 4, 6), date(2026, 4, 5), True),
                                    (date(2026, 3, 31), date(2026, 4, 30), True),
                                    (date(2026, 4, 2), date(2026, 4, 5), False),
                                    (date(2026, 4, 1), date(2026, 4, 4), False)):
            found = settled_repo.statement_json(uow.session, ann.id, first, last, marks)
            assert found is not None
            assert found.all_time_g == (expected if folded else None), (first, last)
    assert expected == 4 * 2 * 52 and marks.through == date(2026, 3, 31)
    for first, last in ((date(2026, 4, 1), date(2026, 4, 5)), (date(2026, 4, 2), date(2026, 4, 5))):
        _document_says(uow, ann, first, last)


def _rendered(session) -> dict[tuple[date, int], tuple[int, dict, list]]:
    session.expire_all()
    return {(m, u): (g, json.loads(t), json.loads(d)) for m, u, g, t, d in session.execute(
        select(CarbonMonth.month, CarbonMonth.user_id, CarbonMonth.co2e_g, CarbonMonth.by_type,
               CarbonMonth.days))}


@pytest.fixture
def plain_postgres(session, is_postgres):
    if not is_postgres or sql.is_citus(session):
        pytest.skip("carbon_months is written and read on plain PostgreSQL only")


def test_the_roll_up_renders_its_month_and_statements_read_it(uow, session, plain_postgres):
    """Each user's month is rendered by the roll-up; a statement holding whole rendered months
    says what one reading every day says, with partial months on either side."""
    ann, bob = UserFactory(), UserFactory()
    nights = {date(2026, 2, 27): {"metro_ride": 2, "bus_ride": 1},
              date(2026, 3, 2): {"movie_ticket": 1, "bus_ride": 1},
              date(2026, 3, 31): {"metro_ride": 1}, date(2026, 4, 2): {"bus_ride": 2}}
    events(bob, "bus_ride", 1, at=on(date(2026, 3, 2)))
    for day, kinds in nights.items():
        for kind, count in kinds.items():
            events(ann, kind, count, at=on(day))
        settle_day(uow, day, NOW + timedelta(days=40))
    assert co2e_totals.roll_up(uow, APRIL_9) == 2
    rendered = _rendered(session)
    assert sorted(rendered) == [(date(2026, 2, 1), ann.id), (date(2026, 3, 1), ann.id),
                                (date(2026, 3, 1), bob.id)]
    st = carbon_statement(uow, ann.id, date(2026, 3, 1), date(2026, 3, 31))
    assert rendered[(date(2026, 3, 1), ann.id)] == (
        st.total_co2e_g, st.by_type,
        [{"date": d.date.isoformat(), "co2e_g": d.co2e_g, "by_type": d.by_type} for d in st.days])
    session.expire_all()
    assert session.scalar(select(CO2eRollup.months_through)) == date(2026, 3, 31)
    for first, last in ((date(2026, 2, 1), date(2026, 4, 30)), (date(2026, 2, 15), date(2026, 3, 31)),
                        (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 27), date(2026, 4, 2)),
                        (date(2025, 4, 3), date(2026, 4, 2)), (date(2026, 3, 2), date(2026, 3, 30))):
        _document_says(uow, ann, first, last)
        _document_says(uow, bob, first, last)
    # What is rendered is what is read: March's days are no longer probed in carbon_days.
    session.execute(delete(CarbonDay).where(CarbonDay.user_id == bob.id))
    doc = statement_document(uow, bob.id, date(2026, 2, 1), date(2026, 4, 30))
    assert json.loads(doc.days_json) == [
        {"date": "2026-03-02", "co2e_g": 80, "by_type": {"bus_ride": 80}}]


def test_a_late_night_of_a_rendered_month_renders_it_again(uow, session, plain_postgres):
    ann, bob = UserFactory(), UserFactory()
    for user in (ann, bob):
        events(user, "metro_ride", 1)
    settle_day(uow, DAY, NOW)
    assert co2e_totals.roll_up(uow, APRIL_9) == 1
    events(ann, "bus_ride", 2, at=on(date(2026, 3, 20)))
    settle_day(uow, date(2026, 3, 20), datetime(2026, 4, 20, tzinfo=UTC), batch_users=1)
    rendered = _rendered(session)
    assert rendered[(date(2026, 3, 1), ann.id)][0] == 52 + 160
    assert rendered[(date(2026, 3, 1), bob.id)][0] == 52
    _document_says(uow, ann, date(2026, 3, 1), date(2026, 3, 31))
    _document_says(uow, ann, date(2025, 3, 21), date(2026, 3, 20))


def test_a_roll_up_renders_every_month_not_rendered_yet(uow, session, plain_postgres):
    """months_through unset (a database whose watermarks were set by hand, or restored): the
    next roll-up renders every month carbon_days holds up to its own."""
    ann = UserFactory()
    for day, grams in ((date(2026, 1, 5), 3), (date(2026, 2, 10), 5)):
        session.add(CarbonDay(local_date=day, user_id=ann.id, activity_type="walk", co2e_g=grams))
    session.execute(delete(CO2eRollup))
    session.add(CO2eRollup(slot=1, through=date(2026, 2, 28), days_through=date(2026, 2, 28)))
    session.flush()
    events(ann, "metro_ride", 1)
    settle_day(uow, DAY, NOW)
    assert co2e_totals.roll_up(uow, APRIL_9) == 1
    assert {m: g for (m, _), (g, _, _) in _rendered(session).items()} == {
        date(2026, 1, 1): 3, date(2026, 2, 1): 5, date(2026, 3, 1): 52}
    _document_says(uow, ann, date(2025, 12, 1), date(2026, 3, 31))
