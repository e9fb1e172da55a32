"""The scheduler's wiring: its jobs, its first run at start, and `flask scheduler`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from importlib.metadata import entry_points

import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from click.testing import CliRunner

from carbon.services.catalog import seed_default_methodology
from config import Config
from db import UnitOfWork, make_session_factory
from jobs.cli import scheduler as scheduler_command
from jobs.scheduler import build_scheduler
from jobs.tasks import expire_due, settle_due
from tests.conftest import NOW
from tests.jobs.conftest import add_payment, add_user, ball_dates, clock
from tests.jobs.test_settle_due import D_DUE, D


def test_both_jobs_run_at_start_then_every_few_minutes_one_at_a_time(monkeypatch):
    monkeypatch.setenv("CANOPY_SCHEDULER_TICK_MINUTES", "7")
    monkeypatch.setenv("CANOPY_EXPIRE_EVERY_MINUTES", "3")
    jobs = {j.id: j for j in build_scheduler(Config(), lambda: None, clock(NOW)).get_jobs()
            if j.id != "reconcile_ledger"}  # nightly: tests/jobs/test_reconcile_job.py
    assert (jobs["settle_due"].func, jobs["expire_due"].func) == (settle_due, expire_due)
    assert jobs["settle_due"].trigger.interval == timedelta(minutes=7)
    assert jobs["expire_due"].trigger.interval == timedelta(minutes=3)
    for job in jobs.values():
        assert (job.next_run_time, job.max_instances, job.coalesce) == (NOW, 1, True)


def _arrange_one_user_with_a_payment_on(engine, day):
    sessions = make_session_factory(engine)
    seed_default_methodology(UnitOfWork(sessions), NOW)
    with sessions() as s:
        user = add_user(s)
        add_payment(s, user, day)
        s.commit()
    return sessions, user


def test_a_started_scheduler_settles_what_is_due_at_once(engine, committed_uow, monkeypatch):
    # The jobs start at D_DUE, months ago: APScheduler walks every missed turn of an interval
    # job to coalesce them, millions for a 5-second one; one such job is enough for the test.
    monkeypatch.setenv("CANOPY_WEBHOOK_EVERY_SECONDS", "3600")
    sessions, user = _arrange_one_user_with_a_payment_on(engine, D)
    scheduler = build_scheduler(Config(), lambda: UnitOfWork(sessions), clock(D_DUE))
    ran: list[str] = []
    both_ran = threading.Event()
    at_start = len(scheduler.get_jobs()) - 1  # all but the nightly reconcile

    def on_job(event):
        ran.append(f"{event.job_id}: {event.exception or 'ok'}")
        # settle_requested polls every few seconds: it may run again before the others end.
        if len(set(ran)) == at_start:
            both_ran.set()

    scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        assert both_ran.wait(timeout=180)  # a loaded machine: the partition maintenance too
    finally:
        scheduler.shutdown()
        thread.join(timeout=60)
    assert sorted(set(ran)) == ["deliver_webhooks: ok", "expire_due: ok",
                                "maintain_partitions: ok", "publish_log_roots: ok",
                                "purge_idempotency_keys: ok", "purge_webhook_deliveries: ok",
                                "roll_up_co2e_totals: ok", "settle_due: ok",
                                "settle_requested: ok"]
    with sessions() as s:
        assert ball_dates(s, user) == [D]


def test_flask_scheduler_once_settles_what_is_due_and_exits(
        engine, committed_uow, database_url, monkeypatch):
    sessions, user = _arrange_one_user_with_a_payment_on(engine, D)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with time_machine.travel(D_DUE, tick=False):
        result = CliRunner().invoke(scheduler_command, ["--once"])
    assert result.exit_code == 0, result.output
    with sessions() as s:
        assert ball_dates(s, user) == [D]


def test_flask_finds_the_scheduler_command_through_its_entry_point():
    (ep,) = [e for e in entry_points(group="flask.commands") if e.name == "scheduler"]
    assert ep.load() is scheduler_command
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    out = subprocess.run([flask, "scheduler", "--help"], capture_output=True, text=True,
                         env=dict(os.environ, FLASK_APP="wsgi:app"), timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Run the scheduler alone." in out.stdout
