"""The jobs carry out operator settlements: a request recorded by the API is settled at the
next poll, and one interrupted by the death of the jobs process is resumed by the poll after."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

import carbon.services.settlement as settlement
from carbon.models import Ball, SettlementBatch
from carbon.request_models import SettlementRequest
from carbon.services.settlement_requests import request_settlement, settlement_progress
from config import Config
from game.farm.models import FeedGrant
from jobs.scheduler import build_scheduler
from jobs.settlement_requests import settle_requested
from tests.conftest import NOW
from tests.jobs.conftest import add_payment, add_user, clock, count

DAY = date(2026, 3, 9)  # over in Shanghai at NOW


class Killed(BaseException):
    """The jobs process dying (SIGKILL, OOM): nothing of the job runs after it, not even its
    `except Exception`."""


def _three_payers(session):
    users = [add_user(session) for _ in range(3)]
    for user in users:
        add_payment(session, user, DAY)
    return users


def _die_at_batch(monkeypatch, n: int) -> None:
    issued = []
    real = settlement._issue_batch

    def issue(*args):
        if len(issued) == n - 1:
            raise Killed
        issued.append(args)
        return real(*args)

    monkeypatch.setattr(settlement, "_issue_batch", issue)


def _status(session, request_id):
    return session.scalar(select(SettlementRequest.status).where(
        SettlementRequest.id == request_id))


@pytest.mark.parametrize("batches_before_death", [0, 2])
def test_a_request_whose_jobs_process_died_is_resumed_by_the_next_poll(
        uow_factory, uow, session, monkeypatch, batches_before_death):
    users = _three_payers(session)
    request_id = request_settlement(uow, DAY, None, NOW)
    _die_at_batch(monkeypatch, batches_before_death + 1)
    with pytest.raises(Killed):
        settle_requested(uow_factory, clock(NOW), batch_users=1)
    assert _status(session, request_id) == "running"
    assert count(session, Ball) == batches_before_death
    monkeypatch.undo()
    assert settle_requested(uow_factory, clock(NOW + timedelta(minutes=1)), batch_users=1) == [
        request_id]
    progress = settlement_progress(uow, request_id)
    assert (progress.status, progress.batches_planned, progress.batches_done) == (
        "completed", 3, 3)
    assert (progress.balls, progress.energy_g) == (3, 15)
    assert progress.started_at == NOW  # the first start, not the resumption
    assert session.execute(select(Ball.user_id).order_by(Ball.user_id)).scalars().all() == [
        u.id for u in users]
    assert count(session, FeedGrant) == 3  # the follow-ups ran for the operator's settlement


def test_a_request_recorded_but_never_started_is_settled_at_the_next_poll(uow_factory, uow,
                                                                         session):
    _three_payers(session)
    request_id = request_settlement(uow, DAY, ["Asia/Shanghai"], NOW)
    assert _status(session, request_id) == "requested"
    assert settle_requested(uow_factory, clock(NOW)) == [request_id]
    assert _status(session, request_id) == "completed"
    assert settle_requested(uow_factory, clock(NOW)) == []  # nothing open any more
    assert count(session, Ball) == 3


def test_a_failed_settlement_says_why_and_frees_the_question(uow_factory, uow, session,
                                                             monkeypatch):
    _three_payers(session)
    request_id = request_settlement(uow, DAY, None, NOW)

    def broken(*_args):
        raise ValueError("the ledger is on fire")

    monkeypatch.setattr(settlement, "_issue_batch", broken)
    settle_requested(uow_factory, clock(NOW))
    progress = settlement_progress(uow, request_id)
    assert (progress.status, progress.error) == ("failed", "ValueError: the ledger is on fire")
    assert progress.finished_at == NOW
    assert count(session, SettlementBatch) == 1 and count(session, Ball) == 0
    monkeypatch.undo()
    again = request_settlement(uow, DAY, None, NOW)
    assert again != request_id
    settle_requested(uow_factory, clock(NOW))
    assert settlement_progress(uow, again).balls == 3


def test_a_zone_whose_day_is_not_over_is_skipped_not_settled(uow_factory, uow, session):
    angeleno = add_user(session, "America/Los_Angeles")
    add_payment(session, angeleno, date(2026, 3, 10))
    request_id = request_settlement(uow, date(2026, 3, 10), None, NOW)
    settle_requested(uow_factory, clock(NOW))
    progress = settlement_progress(uow, request_id)
    assert progress.status == "completed"
    assert [(z.timezone, z.status) for z in progress.zones] == [
        ("America/Los_Angeles", "not_over")]
    assert session.scalar(select(func.count()).select_from(Ball)) == 0


def test_the_scheduler_polls_for_requests_every_few_seconds(monkeypatch):
    monkeypatch.setenv("CANOPY_SETTLE_REQUEST_POLL_SECONDS", "3")
    jobs = {j.id: j for j in build_scheduler(Config(), lambda: None, clock(NOW)).get_jobs()}
    job = jobs["settle_requested"]
    assert (job.func, job.trigger.interval) == (settle_requested, timedelta(seconds=3))
    assert (job.next_run_time, job.max_instances, job.coalesce) == (NOW, 1, True)
