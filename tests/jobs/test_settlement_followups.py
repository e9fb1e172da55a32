"""After-settlement follow-ups: recorded once done, retried each tick for a week while they fail."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from game import daily
from game.daily_models import SettlementFollowup
from jobs import tasks
from jobs.tasks import settle_due
from tests.jobs.conftest import GRACE, add_run, add_user, clock
from tests.jobs.test_settle_due import D_DUE, D

FLAKY = "tests.jobs.test_settlement_followups:flaky_hook"
COUNTED = "tests.jobs.test_settlement_followups:counted_hook"
calls: list[tuple] = []
failures_left: dict[str, int] = {}


def flaky_hook(uow, local_date, tz, now):
    calls.append(("flaky", local_date, now))
    if failures_left.get("flaky", 0) > 0:
        failures_left["flaky"] -= 1
        raise RuntimeError("the farm is closed")


def counted_hook(uow, local_date, tz, now):
    calls.append(("counted", local_date, now))


def use_hooks(monkeypatch, *paths, flaky_failures=0):
    monkeypatch.setattr(daily, "AFTER_SETTLEMENT", list(paths))
    calls.clear()
    failures_left["flaky"] = flaky_failures


def recorded(s) -> list[tuple]:
    return list(s.execute(select(SettlementFollowup.local_date, SettlementFollowup.timezone,
                                 SettlementFollowup.name, SettlementFollowup.completed_at)
                          .order_by(SettlementFollowup.local_date, SettlementFollowup.name)))


def test_a_follow_up_that_failed_runs_again_on_the_next_tick_and_is_then_recorded(
        session, uow_factory, monkeypatch):
    add_user(session)
    add_run(session, D - timedelta(days=1))
    use_hooks(monkeypatch, FLAKY, COUNTED, flaky_failures=1)
    first = settle_due(uow_factory, clock(D_DUE), GRACE)
    assert first.settled == [(D, "Asia/Shanghai")]
    assert recorded(session) == [(D - timedelta(days=1), "Asia/Shanghai", COUNTED, D_DUE),
                                 (D - timedelta(days=1), "Asia/Shanghai", FLAKY, D_DUE),
                                 (D, "Asia/Shanghai", COUNTED, D_DUE)]
    later = D_DUE + timedelta(minutes=5)
    second = settle_due(uow_factory, clock(later), GRACE)
    assert second.settled == []
    # On the first tick D's flaky hook failed, then D-1 (never followed up) got both hooks.
    assert calls == [("flaky", D, D_DUE), ("counted", D, D_DUE),
                     ("flaky", D - timedelta(days=1), D_DUE),
                     ("counted", D - timedelta(days=1), D_DUE), ("flaky", D, later)]
    assert (D, "Asia/Shanghai", FLAKY, later) in recorded(session)
    settle_due(uow_factory, clock(later + timedelta(minutes=5)), GRACE)
    assert len(calls) == 5


def test_a_recorded_follow_up_is_not_run_twice_by_the_scheduler_or_an_operator(
        session, uow_factory, monkeypatch):
    add_user(session)
    add_run(session, D - timedelta(days=1))
    use_hooks(monkeypatch, COUNTED)
    settle_due(uow_factory, clock(D_DUE), GRACE)
    assert calls == [("counted", D, D_DUE), ("counted", D - timedelta(days=1), D_DUE)]
    settle_due(uow_factory, clock(D_DUE + timedelta(minutes=5)), GRACE)
    assert daily.after_settlement(uow_factory, D, "Asia/Shanghai", D_DUE) == []
    daily.settle_day_and_follow_up(uow_factory, D, D_DUE, ["Asia/Shanghai"], 100)
    assert len(calls) == 2
    assert len(recorded(session)) == 2


def test_runs_older_than_the_retry_window_are_not_followed_up_again(
        session, uow_factory, monkeypatch):
    add_user(session)
    for back in (8, 7, 1):
        add_run(session, D - timedelta(days=back))
    use_hooks(monkeypatch, COUNTED)
    assert daily.retry_followups(uow_factory, D_DUE, days=3) == []
    assert calls == [("counted", D - timedelta(days=1), D_DUE)]
    assert daily.retry_followups(uow_factory, D_DUE) == []
    assert calls == [("counted", D - timedelta(days=1), D_DUE),
                     ("counted", D - timedelta(days=7), D_DUE)]
    assert [day for day, _, _, _ in recorded(session)] == [D - timedelta(days=d) for d in (7, 1)]


def test_a_follow_up_still_failing_is_reported_and_left_unrecorded(
        session, uow_factory, monkeypatch):
    add_run(session, D - timedelta(days=1))
    use_hooks(monkeypatch, FLAKY, COUNTED, flaky_failures=2)
    assert daily.retry_followups(uow_factory, D_DUE) == [(D - timedelta(days=1), "Asia/Shanghai")]
    assert daily.retry_followups(uow_factory, D_DUE) == [(D - timedelta(days=1), "Asia/Shanghai")]
    assert daily.retry_followups(uow_factory, D_DUE) == []
    assert [name for _, _, name, _ in recorded(session)] == [COUNTED, FLAKY]
    assert [c[0] for c in calls] == ["flaky", "counted", "flaky", "flaky"]


def test_a_broken_retry_is_logged_and_the_tick_still_reports_its_settlements(
        session, uow_factory, monkeypatch, caplog):
    add_user(session)
    add_run(session, D - timedelta(days=1))

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks, "retry_followups", broken)
    with caplog.at_level(logging.ERROR, logger="jobs.tasks"):
        outcome = settle_due(uow_factory, clock(D_DUE), GRACE)
    assert outcome.settled == [(D, "Asia/Shanghai")]
    assert "retrying the after-settlement follow-ups failed" in caplog.text
    assert "database went away" in caplog.text
