"""Two schedulers started by mistake: the database decides, nothing is settled twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from carbon.models import Ball, LedgerEntry, SettlementBatch, User
from carbon.repository import accounts as repository
from carbon.services import ledger
from carbon.services.catalog import seed_default_methodology
from db import UnitOfWork, make_session_factory
from jobs.tasks import settle_due
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.jobs.conftest import GRACE, add_payment, add_run, add_user, clock, completed_runs
from tests.jobs.test_settle_due import D_DUE, D

USERS = 40
NIGHTS = [D - timedelta(days=2), D - timedelta(days=1), D]


def _arrange(engine):
    sessions = make_session_factory(engine)
    seed_default_methodology(UnitOfWork(sessions), NOW)
    with sessions() as s:
        add_run(s, D - timedelta(days=3))
        for i in range(USERS):
            user = add_user(s)
            for day in NIGHTS:
                add_payment(s, user, day, count=1 + i % 3)
        s.commit()
    return sessions


def _run_two_schedulers_at_once(sessions):
    return at_once([lambda: settle_due(lambda: UnitOfWork(sessions), clock(D_DUE), GRACE,
                                       batch_users=3)] * 2)


def test_two_schedulers_at_once_settle_every_ball_exactly_once(engine, committed_uow):
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    sessions = _arrange(engine)
    outcomes = _run_two_schedulers_at_once(sessions)
    assert [o.failed for o in outcomes] == [[], []]
    with sessions() as s:
        per_ball = s.execute(select(Ball.user_id, Ball.local_date, func.count())
                             .group_by(Ball.user_id, Ball.local_date)).all()
        assert len(per_ball) == USERS * len(NIGHTS)
        assert {n for *_, n in per_ball} == {1}
        balls_g = s.scalar(select(func.sum(Ball.energy_g)))
        assert balls_g == len(NIGHTS) * sum(5 * (1 + i % 3) for i in range(USERS))
        # The energy was issued once: the system balls account holds exactly the open balls.
        account = repository.account_id(s, None, ledger.BALLS)[0]
        assert s.scalar(select(func.sum(LedgerEntry.amount_g))
                        .where(LedgerEntry.account_id == account)) == balls_g
        assert s.scalar(select(func.sum(User.co2e_total_g))) == balls_g
        batches = s.execute(select(SettlementBatch.local_date, SettlementBatch.first_user_id)).all()
        assert len(batches) == len(set(batches))
        assert completed_runs(s) == [D - timedelta(days=3), *NIGHTS]
