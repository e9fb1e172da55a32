"""The expiry job: every ball past its expiry is expired, in as many batches as it takes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from carbon.models import Ball, LedgerEntry
from carbon.repository import accounts as repository
from carbon.services import ledger
from jobs.tasks import expire_due
from tests.conftest import NOW
from tests.jobs.conftest import add_user, clock


def add_ball(s, user, expires_at, energy_g=50) -> Ball:
    ball = Ball(user_id=user.id, kind="settlement", activity_type="offline_payment",
                local_date=(expires_at - timedelta(days=4)).date(), co2e_g=energy_g,
                energy_g=energy_g, remaining_g=energy_g, stolen_g=0, collected_g=0,
                stealable=True, status="open", ripe_at=expires_at - timedelta(hours=72),
                expires_at=expires_at, created_at=NOW)
    s.add(ball)
    s.flush()
    return ball


def expired_account_g(s) -> int:
    account = repository.account_id(s, None, ledger.EXPIRED)[0]
    return s.scalar(select(func.sum(LedgerEntry.amount_g))
                    .where(LedgerEntry.account_id == account))


def statuses(s) -> list[str]:
    return list(s.scalars(select(Ball.status).order_by(Ball.id)))


def test_every_ball_past_its_expiry_is_expired_across_several_batches(session, uow_factory):
    users = [add_user(session) for _ in range(3)]
    for i, user in enumerate(users):
        add_ball(session, user, NOW - timedelta(hours=i), energy_g=10 + i)
    add_ball(session, add_user(session), NOW + timedelta(seconds=1))
    assert expire_due(uow_factory, clock(NOW), limit=2) == (3, 10 + 11 + 12)
    assert statuses(session) == ["expired", "expired", "expired", "open"]
    assert expired_account_g(session) == 10 + 11 + 12


def test_a_ball_expires_at_its_expiry_instant_not_a_second_before(session, uow_factory):
    add_ball(session, add_user(session), NOW)
    assert expire_due(uow_factory, clock(NOW - timedelta(seconds=1))) == (0, 0)
    assert statuses(session) == ["open"]
    assert expire_due(uow_factory, clock(NOW)) == (1, 50)
    assert statuses(session) == ["expired"]


def test_expiring_twice_changes_nothing_the_second_time(session, uow_factory):
    add_ball(session, add_user(session), NOW - timedelta(minutes=1))
    assert expire_due(uow_factory, clock(NOW)) == (1, 50)
    assert expire_due(uow_factory, clock(NOW + timedelta(minutes=5))) == (0, 0)
