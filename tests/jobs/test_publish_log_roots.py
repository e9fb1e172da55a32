"""The scheduler publishes the public log's roots: hourly, once per finished UTC day."""

from __future__ import annotations

from datetime import timedelta

from config import Config
from game.forest.services import decisions
from jobs.scheduler import build_scheduler
from jobs.tasks import publish_log_roots
from tests.conftest import NOW
from tests.factories.transparency import EVIDENCE, pending_order
from tests.jobs.conftest import clock


def test_the_job_publishes_each_finished_day_once(session, uow):
    order, project = pending_order(session, uow, quantity=2)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)

    def factory():
        return uow

    assert publish_log_roots(factory, clock(NOW + timedelta(hours=19))) == 0  # still 2026-03-10
    assert publish_log_roots(factory, clock(NOW + timedelta(hours=20))) == 1
    assert publish_log_roots(factory, clock(NOW + timedelta(hours=21))) == 0


def test_the_scheduler_publishes_roots_hourly_starting_at_once():
    jobs = {j.id: j for j in build_scheduler(Config(), lambda: None, clock(NOW)).get_jobs()}
    job = jobs["publish_log_roots"]
    assert (job.func, job.trigger.interval) == (publish_log_roots, timedelta(hours=1))
    assert (job.next_run_time, job.max_instances, job.coalesce) == (NOW, 1, True)
