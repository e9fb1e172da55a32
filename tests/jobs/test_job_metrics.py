"""Settlement figures per zone, and every scheduler job's runs, failures and last success."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import REGISTRY

from jobs import tasks
from jobs.job_metrics import watch
from jobs.tasks import settle_due
from tests.jobs.conftest import GRACE, add_payment, add_run, add_user, clock
from tests.jobs.test_settle_due import D_DUE, D

SHANGHAI, PARIS = "Asia/Shanghai", "Europe/Paris"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def zone_figures(tz: str) -> tuple[float, ...]:
    return (sample("canopy_settlement_balls_total", zone=tz),
            sample("canopy_settlement_energy_grams_total", zone=tz),
            sample("canopy_settlement_duration_seconds_count", zone=tz),
            sample("canopy_settlement_failures_total", zone=tz))


def test_a_settled_zone_counts_its_balls_energy_duration_and_last_date(session, uow_factory):
    user = add_user(session, SHANGHAI)
    add_payment(session, user, D, count=3)  # 3 x 5 g: one offline_payment ball of 15 g
    add_run(session, D.replace(day=D.day - 1), SHANGHAI)
    before = zone_figures(SHANGHAI)
    assert settle_due(uow_factory, clock(D_DUE), GRACE).settled == [(D, SHANGHAI)]
    after = zone_figures(SHANGHAI)
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (1, 15, 1, 0)
    midnight = datetime(D.year, D.month, D.day, tzinfo=UTC).timestamp()
    assert sample("canopy_settlement_last_date_seconds", zone=SHANGHAI) == midnight


def test_a_failed_settlement_is_counted_for_its_zone(session, uow_factory, monkeypatch):
    add_payment(session, add_user(session, PARIS), D)
    add_run(session, D.replace(day=D.day - 1), PARIS)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "settle_day", fail)
    before = zone_figures(PARIS)
    now = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # Paris's D ended at 23:00 UTC
    assert settle_due(uow_factory, clock(now), GRACE).failed == [(D, PARIS)]
    after = zone_figures(PARIS)
    assert tuple(a - b for a, b in zip(after, before, strict=True)) == (0, 0, 0, 1)


def test_each_job_counts_its_runs_failures_and_last_success():
    scheduler = BackgroundScheduler(timezone=UTC)
    watch(scheduler)
    done = threading.Event()
    finished: list[str] = []

    def on_end(event):
        finished.append(event.job_id)
        if len(finished) == 2:
            done.set()

    def broken():
        raise RuntimeError("no database")

    names = ("metrics_test_ok", "metrics_test_broken")
    runs_before = [sample("canopy_job_runs_total", job=n) for n in names]
    failures_before = [sample("canopy_job_failures_total", job=n) for n in names]
    scheduler.add_listener(on_end, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    started = datetime.now(UTC).timestamp()
    scheduler.add_job(lambda: None, id=names[0])
    scheduler.add_job(broken, id=names[1])
    scheduler.start()
    try:
        assert done.wait(timeout=30)
    finally:
        scheduler.shutdown()
    runs = [sample("canopy_job_runs_total", job=n) - b for n, b in zip(names, runs_before, strict=True)]
    failures = [sample("canopy_job_failures_total", job=n) - b
                for n, b in zip(names, failures_before, strict=True)]
    assert (runs, failures) == ([1, 1], [0, 1])
    assert sample("canopy_job_last_success_timestamp_seconds", job=names[0]) >= started
    assert sample("canopy_job_last_success_timestamp_seconds", job=names[1]) == 0
    assert sample("canopy_job_duration_seconds_count", job=names[1]) == 1
