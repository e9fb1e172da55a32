"""Balls: listing, collecting (once, only when ripe and not expired), expiring, watering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from carbon.errors import BallClosed, BallNotFound, BallNotRipe, InsufficientEnergy
from carbon.models import Ball, LedgerTransaction
from carbon.services import ledger
from carbon.services.balls import collect_all, collect_ball, expire_balls, issue_ball, list_balls
from carbon.services.catalog import seed_default_methodology
from carbon.services.reconcile import reconcile
from carbon.services.settlement import settle_day
from db import UnitOfWork
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
RIPE = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai the next morning
EXPIRES = RIPE + timedelta(hours=72)


@pytest.fixture
def methodology(uow, session):
    seed_methodology(uow)


def settled_balls(uow, session, user, types=("offline_payment",)) -> list[int]:
    for t in types:
        ActivityEventFactory(user=user, activity_type=t, occurred_at=NOON,
                             quantity=18_000 if t == "walk" else 1)
    settle_day(uow, DAY, NOW, timezones=[user.timezone])
    return list(session.scalars(select(Ball.id).where(Ball.user_id == user.id).order_by(Ball.id)))


def test_listed_balls_are_growing_before_ripe_at_and_ripe_from_it(uow, session, methodology):
    user = UserFactory()
    [ball_id] = settled_balls(uow, session, user)
    [growing] = list_balls(uow, user.id, RIPE - timedelta(microseconds=1))
    [ripe] = list_balls(uow, user.id, RIPE)
    assert (growing.id, growing.status, growing.energy_g) == (ball_id, "growing", 5)
    assert (ripe.status, ripe.ripe_at, ripe.expires_at) == ("ripe", RIPE, EXPIRES)
    assert list_balls(uow, user.id, EXPIRES) == []


def test_collecting_a_ripe_ball_moves_its_energy_to_the_owner_once(uow, session, methodology):
    user = UserFactory()
    [ball_id] = settled_balls(uow, session, user)
    assert collect_ball(uow, user.id, ball_id, RIPE) == (5, 5)
    ball = session.get(Ball, ball_id)
    session.refresh(ball)
    assert (ball.status, ball.remaining_g, ball.collected_g) == ("collected", 0, 5)
    txn = session.get(LedgerTransaction, ball.close_txn_id)
    assert (txn.kind, txn.cause_type, txn.cause_id) == ("collect", "ball", str(ball_id))
    with pytest.raises(BallClosed):
        collect_ball(uow, user.id, ball_id, RIPE)
    assert list_balls(uow, user.id, RIPE) == []
    assert reconcile(uow) == []


def test_a_growing_ball_is_refused_with_the_time_it_ripens(uow, session, methodology):
    user = UserFactory()
    [ball_id] = settled_balls(uow, session, user)
    with pytest.raises(BallNotRipe) as refused:
        collect_ball(uow, user.id, ball_id, RIPE - timedelta(microseconds=1))
    assert RIPE.isoformat() in refused.value.detail


def test_a_ball_is_collectable_until_just_before_it_expires(uow, session, methodology):
    user = UserFactory()
    first, second = settled_balls(uow, session, user, ("offline_payment", "walk"))
    with pytest.raises(BallClosed):
        collect_ball(uow, user.id, first, EXPIRES)
    assert collect_ball(uow, user.id, second, EXPIRES - timedelta(microseconds=1)) == (296, 296)


def test_someone_elses_ball_and_an_unknown_ball_are_not_found(uow, session, methodology):
    owner, other = UserFactory(), UserFactory()
    [ball_id] = settled_balls(uow, session, owner)
    for user_id, target in ((other.id, ball_id), (owner.id, ball_id + 1000), (owner.id, 2**70)):
        with pytest.raises(BallNotFound):
            collect_ball(uow, user_id, target, RIPE)


def test_collect_all_takes_every_ripe_ball_and_leaves_growing_ones(uow, session, methodology):
    user = UserFactory()
    settled_balls(uow, session, user, ("offline_payment", "walk", "metro_ride"))
    with uow:
        s = uow.session
        issue_ball(s, user.id, "water", "water", DAY, 10, RIPE + timedelta(days=1),
                   EXPIRES, False, ledger.account(s, ledger.ISSUED), "test", "grant", NOW)
        uow.commit()
    assert collect_all(uow, user.id, RIPE) == (3, 5 + 296 + 52, 353)
    assert [b.status for b in list_balls(uow, user.id, RIPE)] == ["growing"]
    assert collect_all(uow, user.id, RIPE) == (0, 0, 353)
    assert reconcile(uow) == []


def test_issue_ball_takes_energy_from_the_giver_and_refuses_without_enough(uow, session, methodology):
    giver, friend = UserFactory(), UserFactory()
    [ball_id] = settled_balls(uow, session, giver)
    collect_ball(uow, giver.id, ball_id, RIPE)
    with uow:
        s = uow.session
        source = ledger.available_account(s, giver.id)
        water = issue_ball(s, friend.id, "water", "water", DAY, 5, RIPE, EXPIRES, False,
                           source, "water", "w-1", NOW)
        assert ledger.available_balance(s, giver.id) == 0
        assert s.get(Ball, water).stealable is False
        with pytest.raises(InsufficientEnergy):
            issue_ball(s, friend.id, "water", "water", DAY, 1, RIPE, EXPIRES, False,
                       source, "water", "w-2", NOW)
        uow.rollback()
    assert ledger.available_balance(session, giver.id) == 5  # rolled back whole


def test_balls_expire_at_their_exact_instant_and_the_ledger_follows(uow, session, methodology):
    for _ in range(3):
        ActivityEventFactory(user=UserFactory(), occurred_at=NOON)
    settle_day(uow, DAY, NOW)
    assert expire_balls(uow, EXPIRES - timedelta(microseconds=1)) == (0, 0)
    assert expire_balls(uow, EXPIRES, limit=2) == (3, 15)
    balls = session.scalars(select(Ball)).all()
    for b in balls:
        session.refresh(b)
    assert {(b.status, b.remaining_g) for b in balls} == {("expired", 5)}
    assert expire_balls(uow, EXPIRES) == (0, 0)
    assert reconcile(uow) == []


def test_many_threads_collecting_one_ball_collect_it_exactly_once(committed_uow, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    seed_default_methodology(committed_uow, NOW)
    ball_id, user_id = _one_settled_ball(committed_uow)
    results = at_once([lambda: collect_ball(UnitOfWork(sessionmaker(bind=engine)), user_id,
                                            ball_id, RIPE)] * 8, expected=(BallClosed,))
    assert sorted(map(str, results)).count(str((5, 5))) == 1
    assert sum(isinstance(r, BallClosed) for r in results) == 7
    assert reconcile(committed_uow) == []


def _one_settled_ball(uow, name="collector", settle=True) -> tuple[int, int]:
    from carbon.models import ActivityEvent, User

    with uow:
        s = uow.session
        user = User(external_id=name, timezone="Asia/Shanghai", co2e_total_g=0, created_at=NOW)
        s.add(user)
        s.flush()
        s.add(ActivityEvent(source="t", source_event_id=name, user_id=user.id,
                            activity_type="offline_payment", quantity=1, occurred_at=NOON,
                            local_date=DAY, attributes={}, payload_hash="h", received_at=NOW))
        user_id = user.id
        uow.commit()
    if settle:
        settle_day(uow, DAY, NOW)
    with uow:
        return uow.session.scalar(select(Ball.id).where(Ball.user_id == user_id)), user_id


def test_two_expiry_jobs_at_once_expire_each_ball_once(committed_uow, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    seed_default_methodology(committed_uow, NOW)
    for i in range(6):
        _one_settled_ball(committed_uow, f"owner-{i}", settle=False)
    settle_day(committed_uow, DAY, NOW)
    results = at_once([lambda: expire_balls(UnitOfWork(sessionmaker(bind=engine)), EXPIRES,
                                            limit=2)] * 2)
    assert sum(n for n, _ in results) == 6 and sum(g for _, g in results) == 30
    assert reconcile(committed_uow) == []
