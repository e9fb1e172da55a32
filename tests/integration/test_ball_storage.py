"""Ball storage: ids that say the date and the user, listings and expiry that follow from
them, and a night that writes no per-user CO2e total (carbon/ball_ids.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from carbon import ball_ids
from carbon import settlement_sql as sql
from carbon.models import Ball, SettlementBatch, User
from carbon.repository.balls import next_loose_id
from carbon.services import co2e_totals, ledger
from carbon.services.balls import expire_balls, issue_ball, list_balls
from carbon.services.lookups import user_totals
from carbon.services.reconcile import reconcile
from carbon.services.settlement import settle_day
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
RIPE = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai the next morning
EXPIRES = RIPE + timedelta(hours=72)
TYPES = ("offline_payment", "metro_ride", "walk")  # 5 + 52 + 296 g


@pytest.fixture
def methodology(uow, session):
    seed_methodology(uow)


def pay(user, day=DAY, types=TYPES):
    at = NOON + timedelta(days=(day - DAY).days)
    for t in types:
        ActivityEventFactory(user=user, activity_type=t, occurred_at=at, local_date=day,
                             quantity=18_000 if t == "walk" else 1)


def ids_of(session, user) -> list[int]:
    return list(session.scalars(select(Ball.id).where(Ball.user_id == user.id).order_by(Ball.id)))


def test_a_settlement_balls_id_says_its_date_user_and_rank_by_type(uow, session, methodology):
    user = UserFactory()
    pay(user)
    settle_day(uow, DAY, NOW)
    balls = session.execute(select(Ball.id, Ball.activity_type).where(Ball.user_id == user.id)
                            .order_by(Ball.id)).all()
    assert balls == [(ball_ids.settlement_id(DAY, user.id, 0), "metro_ride"),
                     (ball_ids.settlement_id(DAY, user.id, 1), "offline_payment"),
                     (ball_ids.settlement_id(DAY, user.id, 2), "walk")]
    assert {ball_ids.local_date_of_id(i) for i, _ in balls} == {DAY}
    assert max(i for i, _ in balls) < 2**53  # an exact integer in JSON


def test_a_second_insert_of_a_users_night_fails_on_the_primary_key(uow, session, methodology):
    """What the unique (user, date, type) key guarded: settling a user's night twice."""
    user = UserFactory()
    pay(user)
    settle_day(uow, DAY, NOW)
    params = {**_params(user), "bid": 999}
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(sql.INSERT_BALLS, params)
    assert len(ids_of(session, user)) == 3


def _params(user) -> dict:
    from carbon.services.settlement import _Day

    lo, hi = ball_ids.user_range(DAY, user.id, user.id)
    return {**_Day(DAY, user.timezone, NOW).params(), "first": user.id, "last": user.id,
            "base": ball_ids.day_base(DAY), "lo": lo, "hi": hi}


def test_a_watering_ball_gets_an_id_of_its_dates_other_range(uow, session, methodology):
    giver, friend = UserFactory(), UserFactory()
    pay(giver, types=("walk",))
    settle_day(uow, DAY, NOW)
    [ball_id] = ids_of(session, giver)
    from carbon.services.balls import collect_ball

    collect_ball(uow, giver.id, ball_id, RIPE)
    with uow:
        s = uow.session
        source = ledger.available_account(s, giver.id)
        water = [issue_ball(s, friend.id, "water", "water", DAY, 10, RIPE, EXPIRES, False,
                            source, "water", f"w-{i}", NOW) for i in range(2)]
        uow.commit()
    low, high = ball_ids.loose_range(DAY)
    assert all(low <= w <= high for w in water) and water[0] != water[1]


def test_a_users_listing_finds_their_settlement_water_and_older_balls_only(
        uow, session, methodology):
    me, neighbour = UserFactory(), UserFactory()  # adjacent ids: adjacent key ranges
    pay(me, types=("walk",))
    pay(neighbour)
    pay(me, day=DAY - timedelta(days=1), types=("metro_ride",))
    settle_day(uow, DAY - timedelta(days=1), NOW - timedelta(days=1))
    settle_day(uow, DAY, NOW)
    older = _legacy_ball(session, me)
    water = next_loose_id(session, DAY)
    session.execute(Ball.__table__.insert().values(
        id=water, user_id=me.id, kind="water", activity_type="water", local_date=DAY, co2e_g=0,
        energy_g=5, remaining_g=5, stolen_g=0, collected_g=0, stealable=False, status="open",
        ripe_at=RIPE, expires_at=EXPIRES, created_at=NOW))
    listed = {b.id: b.activity_type for b in list_balls(uow, me.id, RIPE)}
    assert listed == {ball_ids.settlement_id(DAY - timedelta(days=1), me.id, 0): "metro_ride",
                      ball_ids.settlement_id(DAY, me.id, 0): "walk", water: "water",
                      older: "offline_payment"}


def _legacy_ball(session, user) -> int:
    """A ball made before the id scheme (a small id) and by a settlement batch."""
    legacy_id = 1000 + user.id
    session.execute(Ball.__table__.insert().values(
        id=legacy_id, user_id=user.id, kind="settlement", activity_type="offline_payment",
        local_date=DAY, co2e_g=7, energy_g=7, remaining_g=7, stolen_g=0, collected_g=0,
        stealable=True, status="open", ripe_at=RIPE, expires_at=EXPIRES,
        settlement_batch_id=1, created_at=NOW))
    return legacy_id


def test_expiry_goes_batch_by_batch_at_the_exact_instant(uow, session, methodology):
    users = [UserFactory() for _ in range(3)]
    for user in users:
        pay(user)
    report = settle_day(uow, DAY, NOW, batch_users=2)
    assert report.zones[0].batches == 2
    assert expire_balls(uow, EXPIRES - timedelta(microseconds=1)) == (0, 0)
    assert session.scalar(select(func.count()).select_from(SettlementBatch)
                          .where(SettlementBatch.expired_at.is_(None))) == 2
    assert expire_balls(uow, EXPIRES) == (9, 3 * 353)
    assert set(session.scalars(select(Ball.status))) == {"expired"}
    assert session.scalar(select(func.count()).select_from(SettlementBatch)
                          .where(SettlementBatch.expired_at.is_(None))) == 0
    assert expire_balls(uow, EXPIRES + timedelta(days=1)) == (0, 0)
    assert reconcile(uow) == []


def test_a_night_writes_no_users_total_and_the_monthly_roll_up_keeps_every_total(
        uow, session, methodology):
    user = UserFactory()
    pay(user)
    settle_day(uow, DAY, NOW)
    stored = session.scalar(select(User.co2e_total_g).where(User.id == user.id))
    assert stored == 0 and co2e_totals.all_time_g(session, user.id) == 353
    assert user_totals(session)[1] == 353
    assert co2e_totals.roll_up(uow, datetime(2026, 4, 7, tzinfo=UTC)) == 0  # too early
    assert co2e_totals.roll_up(uow, datetime(2026, 4, 9, tzinfo=UTC)) == 1
    session.expire_all()
    assert session.scalar(select(User.co2e_total_g).where(User.id == user.id)) == 353
    assert co2e_totals.all_time_g(session, user.id) == 353 and user_totals(session)[1] == 353
    # A night of the rolled-up month settled late, by hand, adds to the total itself.
    late = date(2026, 3, 20)
    pay(user, day=late, types=("walk",))
    settle_day(uow, late, datetime(2026, 4, 10, tzinfo=UTC))
    session.expire_all()
    assert co2e_totals.all_time_g(session, user.id) == 353 + 296
    assert user_totals(session)[1] == 353 + 296


def test_balls_are_partitioned_by_month_and_a_lookup_by_id_reads_one_partition(
        session, is_postgres):
    if not is_postgres:
        pytest.skip("partitions are PostgreSQL's; SQLite keeps one table")
    parts = set(session.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'balls'")))
    assert {"balls_legacy", "balls_default"} <= parts
    today = datetime.now(UTC).date()
    month = f"balls_p{today:%Y%m}"
    assert month in parts
    ball_id = ball_ids.settlement_id(today, 12345, 0)
    plan = "\n".join(session.scalars(text(f"EXPLAIN SELECT * FROM balls WHERE id = {ball_id}")))
    assert month in plan and "balls_default" not in plan and "balls_legacy" not in plan
