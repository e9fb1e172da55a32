"""The settlement job: catch-up, fresh start, grace period, crash recovery, failures, hooks."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from carbon.models import SettlementRun
from carbon.services.settlement import settle_day
from game import daily
from jobs import tasks
from jobs.tasks import settle_due
from tests.jobs.conftest import (
    GRACE,
    add_payment,
    add_run,
    add_user,
    ball_dates,
    clock,
    completed_runs,
)

D = date(2026, 3, 9)  # a Monday; in Shanghai it ends at 2026-03-09 16:00 UTC
D_DUE = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)  # D's end + grace
SECOND = timedelta(seconds=1)
recorded_hook_calls: list[tuple] = []


def record_hook(uow, local_date, tz, now):
    with uow:
        recorded_hook_calls.append((local_date, tz, now))


def failing_hook(uow, local_date, tz, now):
    raise RuntimeError("the farm is closed")


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


def test_after_three_missed_nights_all_three_are_settled_oldest_first(session, uow_factory):
    user = add_user(session)
    add_run(session, D - timedelta(days=3))
    for day in days(-2, -1, 0):
        add_payment(session, user, day)
    outcome = settle_due(uow_factory, clock(D_DUE), GRACE)
    assert outcome.settled == [(d, "Asia/Shanghai") for d in days(-2, -1, 0)]
    assert ball_dates(session, user) == days(-2, -1, 0)
    assert completed_runs(session) == days(-3, -2, -1, 0)


def test_catch_up_over_two_zones_goes_in_the_order_the_days_ended(session, uow_factory):
    add_payment(session, add_user(session, "America/New_York"), D - timedelta(days=1))
    add_payment(session, add_user(session, "Asia/Shanghai"), D - timedelta(days=1))
    add_run(session, D - timedelta(days=2), "America/New_York")
    add_run(session, D - timedelta(days=2), "Asia/Shanghai")
    now = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # New York's D ended at 04:00 UTC
    outcome = settle_due(uow_factory, clock(now), GRACE)
    assert outcome.settled == [(D - timedelta(days=1), "Asia/Shanghai"),
                               (D - timedelta(days=1), "America/New_York"),
                               (D, "Asia/Shanghai"), (D, "America/New_York")]


def test_a_fresh_database_settles_only_the_last_ended_day(session, uow_factory):
    user = add_user(session)
    for day in days(-2, -1, 0):
        add_payment(session, user, day)
    outcome = settle_due(uow_factory, clock(D_DUE), GRACE)
    assert outcome.settled == [(D, "Asia/Shanghai")]
    assert ball_dates(session, user) == [D]


def test_a_database_without_users_has_nothing_to_settle(session, uow_factory):
    outcome = settle_due(uow_factory, clock(D_DUE), GRACE)
    assert (outcome.settled, outcome.failed, outcome.postponed) == ([], [], [])
    assert completed_runs(session) == []


def test_the_grace_period_is_respected_to_the_second(session, uow_factory):
    user = add_user(session)
    add_run(session, D - timedelta(days=1))
    add_payment(session, user, D)
    assert settle_due(uow_factory, clock(D_DUE - SECOND), GRACE).settled == []
    assert ball_dates(session, user) == []
    assert settle_due(uow_factory, clock(D_DUE), GRACE).settled == [(D, "Asia/Shanghai")]
    assert ball_dates(session, user) == [D]


def test_a_run_that_crashed_after_its_first_batch_is_resumed(session, uow, uow_factory):
    first = add_user(session)
    add_payment(session, first, D, count=2)
    add_run(session, D - timedelta(days=1))
    settle_day(uow, D, D_DUE, timezones=["Asia/Shanghai"], batch_users=1)
    # The crash: the run was never marked complete, and a user the batch did not cover exists.
    session.execute(update(SettlementRun).where(SettlementRun.local_date == D)
                    .values(completed_at=None))
    second = add_user(session)
    add_payment(session, second, D)
    outcome = settle_due(uow_factory, clock(D_DUE + timedelta(hours=1)), GRACE, batch_users=1)
    assert outcome.settled == [(D, "Asia/Shanghai")]
    assert ball_dates(session, first) == [D]
    assert ball_dates(session, second) == [D]
    assert completed_runs(session) == days(-1, 0)


def test_a_crashed_night_is_resumed_even_after_later_nights_completed(session, uow_factory):
    user = add_user(session)
    add_payment(session, user, D - timedelta(days=2))
    add_run(session, D - timedelta(days=2), completed=False)
    add_run(session, D - timedelta(days=1))
    add_run(session, D)
    outcome = settle_due(uow_factory, clock(D_DUE), GRACE)
    assert outcome.settled == [(D - timedelta(days=2), "Asia/Shanghai")]
    assert ball_dates(session, user) == days(-2)


def test_a_failing_zone_is_logged_and_the_other_zones_are_still_settled(
        session, uow_factory, monkeypatch, caplog):
    ny = add_user(session, "America/New_York")
    add_user(session, "Asia/Shanghai")
    add_run(session, D - timedelta(days=3), "Asia/Shanghai")
    add_run(session, D - timedelta(days=2), "America/New_York")
    add_payment(session, ny, D - timedelta(days=1))

    def settle_or_fail(uow, local_date, now, timezones=None, **kw):
        if timezones == ["Asia/Shanghai"] and local_date == D - timedelta(days=2):
            raise RuntimeError("disk full")
        return settle_day(uow, local_date, now, timezones=timezones, **kw)

    monkeypatch.setattr(tasks, "settle_day", settle_or_fail)
    now = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)  # New York's D-1 has just ended
    with caplog.at_level(logging.ERROR, logger="jobs.tasks"):
        outcome = settle_due(uow_factory, clock(now), GRACE)
    assert outcome.failed == [(D - timedelta(days=2), "Asia/Shanghai")]
    # Shanghai's later night waits: nights are settled in order, none is skipped.
    assert outcome.postponed == [(D - timedelta(days=1), "Asia/Shanghai")]
    assert outcome.settled == [(D - timedelta(days=1), "America/New_York")]
    assert ball_dates(session, ny) == days(-1)
    assert "disk full" in caplog.text
    monkeypatch.setattr(tasks, "settle_day", settle_day)
    retried = settle_due(uow_factory, clock(now + timedelta(minutes=5)), GRACE)
    assert retried.settled == [(d, "Asia/Shanghai") for d in days(-2, -1)]


def test_hooks_run_after_each_settled_day_and_a_failing_hook_stops_nothing(
        session, uow_factory, monkeypatch, caplog):
    add_user(session)
    add_run(session, D - timedelta(days=2))
    monkeypatch.setattr(daily, "AFTER_SETTLEMENT", [
        "tests.jobs.test_settle_due:failing_hook", "tests.jobs.test_settle_due:record_hook"])
    recorded_hook_calls.clear()
    with caplog.at_level(logging.ERROR, logger="game.daily"):
        outcome = settle_due(uow_factory, clock(D_DUE), GRACE)
    assert outcome.settled == [(d, "Asia/Shanghai") for d in days(-1, 0)]
    # D-2 was settled before, with no follow-up recorded: the end of the tick retries it.
    assert recorded_hook_calls == [(d, "Asia/Shanghai", D_DUE) for d in days(-1, 0, -2)]
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert failures == [f"after-settlement hook tests.jobs.test_settle_due:failing_hook failed "
                        f"for {d} in Asia/Shanghai" for d in days(-1, 0, -2)]
