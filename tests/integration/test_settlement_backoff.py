"""A settler whose pending batches are all held by another settler waits with backoff instead of
planning again in a tight loop."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from carbon.backoff import Backoff
from carbon.services import settlement
from carbon.services.catalog import seed_default_methodology
from db import UnitOfWork, make_session_factory
from tests.conftest import NOW
from tests.jobs.conftest import add_payment, add_user, ball_dates
from tests.jobs.test_settle_due import D_DUE, D

HELD_FOR_S = 10.0  # simulated seconds the other settler holds the batches


def test_backoff_doubles_from_its_first_wait_to_its_cap_with_jitter_and_resets():
    slept: list[float] = []
    draws = iter([0.0, 1.0] * 10)
    backoff = Backoff(first_s=0.05, max_s=2.0, sleep=slept.append, random=lambda: next(draws))
    for _ in range(8):
        backoff.wait()
    assert slept == pytest.approx([0.025, 0.1, 0.1, 0.4, 0.4, 1.6, 1.0, 2.0])
    backoff.reset()
    backoff.wait()
    assert slept[-1] == pytest.approx(0.025)


def test_a_settler_waiting_on_batches_another_holds_replans_a_bounded_number_of_times(
        engine, committed_uow, is_postgres, monkeypatch):
    if not is_postgres:
        pytest.skip("SQLite has one writer: a batch being settled holds the whole database")
    sessions = make_session_factory(engine)
    seed_default_methodology(UnitOfWork(sessions), NOW)
    with sessions() as s:
        users = [add_user(s) for _ in range(3)]
        for user in users:
            add_payment(s, user, D)
        s.commit()
    other = engine.connect()  # the other settler, inside its batch transactions
    plans, waited = [], []
    real_plan = settlement._plan_batches

    def release():
        if other.in_transaction():
            other.rollback()

    def plan(*args):
        pending = real_plan(*args)
        plans.append(pending)
        if len(plans) == 1:
            other.execute(text("SELECT id FROM settlement_batches FOR UPDATE"))
        if len(plans) > 1000:  # the tight loop: stop it so that the test fails, not hangs
            release()
        return pending

    def sleep(seconds):
        waited.append(seconds)
        if sum(waited) >= HELD_FOR_S:
            release()

    monkeypatch.setattr(settlement, "_plan_batches", plan)
    try:
        report = settlement.settle_day(UnitOfWork(sessions), D, D_DUE, timezones=["Asia/Shanghai"],
                                       workers=1, backoff=Backoff(sleep=sleep))
    finally:
        release()
        other.close()
    # 10 s of waits from 0.05 s doubling to 2 s, each at least half its step: at most 15
    # waits, so 17 plans with the one that finds the batches free and the one that completes.
    assert len(plans) <= 18, len(plans)
    assert all(0.025 <= w <= 2.0 for w in waited)
    assert report.balls == 3
    with sessions() as s:
        assert all(ball_dates(s, u) == [D] for u in users)
