"""The jobs log as data: a start and an end line per run with the job's name, duration and
figures, one line per settled (date, zone), and a failure once with its traceback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from carbon.models import Ball
from jobs import tasks
from jobs.tasks import expire_due, purge_idempotency_keys, settle_due
from tests.conftest import NOW
from tests.jobs.conftest import GRACE, add_payment, add_run, add_user, clock
from tests.jobs.test_expire_due import add_ball
from tests.jobs.test_settle_due import D_DUE, D


def events(lines: list[dict], event: str) -> list[dict]:
    return [line for line in lines if line["event"] == event]


def test_a_settlement_run_logs_each_zone_and_date_with_its_figures(
        session, uow_factory, json_logs):
    user = add_user(session)
    add_run(session, D - timedelta(days=1))
    add_payment(session, user, D, count=3)
    settle_due(uow_factory, clock(D_DUE), GRACE)
    lines = json_logs()
    (settled,) = events(lines, "settled")
    balls, energy_g = session.execute(
        select(func.count(), func.sum(Ball.energy_g)).where(Ball.user_id == user.id)).one()
    assert (settled["zone"], settled["date"]) == ("Asia/Shanghai", D.isoformat())
    assert (settled["balls"], settled["energy_g"], settled["batches"]) == (balls, energy_g, 1)
    assert energy_g > 0 and settled["job"] == "settle_due"
    (finished,) = events(lines, "job finished")
    assert (finished["job"], finished["settled"], finished["failed"]) == ("settle_due", 1, 0)
    assert isinstance(finished["duration_ms"], float)
    assert [line["job"] for line in events(lines, "job started")] == ["settle_due"]


def test_an_expiry_run_logs_the_balls_and_grams_it_expired(session, uow_factory, json_logs):
    add_ball(session, add_user(session), NOW - timedelta(hours=1), energy_g=17)
    add_ball(session, add_user(session), NOW - timedelta(hours=2), energy_g=8)
    expire_due(uow_factory, clock(NOW))
    (finished,) = events(json_logs(), "job finished")
    assert (finished["job"], finished["balls"], finished["energy_g"]) == ("expire_due", 2, 25)


def test_a_job_with_nothing_to_do_still_says_it_ran(uow_factory, json_logs):
    purge_idempotency_keys(uow_factory, clock(NOW), timedelta(hours=24))
    (finished,) = events(json_logs(), "job finished")
    assert (finished["job"], finished["deleted"]) == ("purge_idempotency_keys", 0)


def test_a_failing_job_is_logged_once_with_its_traceback_and_raises(
        uow_factory, monkeypatch, json_logs):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the ledger is on fire")

    monkeypatch.setattr(tasks, "expire_balls", broken)
    with pytest.raises(RuntimeError):
        expire_due(uow_factory, clock(NOW))
    lines = json_logs()
    (failed,) = [line for line in lines if "exception" in line]
    assert (failed["event"], failed["job"], failed["level"]) == ("job failed", "expire_due",
                                                                 "error")
    assert "RuntimeError: the ledger is on fire" in failed["exception"]
    assert events(lines, "job finished") == []


def test_the_job_name_is_not_left_on_later_lines(uow_factory, json_logs):
    from db import applog

    purge_idempotency_keys(uow_factory, clock(NOW), timedelta(hours=24))
    applog.get_logger("after").info("something else")
    assert "job" not in events(json_logs(), "something else")[0]


def test_flask_scheduler_writes_its_jobs_as_json_lines_on_stderr(
        engine, committed_uow, database_url, monkeypatch, json_logs):
    import json

    import time_machine
    from click.testing import CliRunner

    from jobs.cli import scheduler as scheduler_command
    from tests.jobs.test_scheduler import _arrange_one_user_with_a_payment_on

    _arrange_one_user_with_a_payment_on(engine, D)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("CANOPY_LOG_FORMAT", "json")
    with time_machine.travel(D_DUE, tick=False):
        result = CliRunner().invoke(scheduler_command, ["--once"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    finished = {line["job"]: line for line in events(lines, "job finished")}
    assert (finished["settle_due"]["settled"], finished["expire_due"]["balls"]) == (1, 0)
    assert result.stdout == ""  # stdout stays the commands' output
