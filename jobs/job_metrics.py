"""Each scheduler job's runs, failures, duration and last success, counted from APScheduler's
events in one place (the job functions stay plain, callable and testable on their own)."""

from __future__ import annotations

import time

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)

from db import metrics

MASK = EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR


def on_job_event(event: JobSubmissionEvent | JobExecutionEvent) -> None:
    job = event.job_id
    if event.code == EVENT_JOB_SUBMITTED:
        metrics.JOB_RUNS.labels(job).inc()
        return
    # From the run's scheduled time, not its start: the submission event may be dispatched
    # after a quick job has already ended, and the scheduled time is on the event itself.
    metrics.JOB_SECONDS.labels(job).observe(
        max(0.0, time.time() - event.scheduled_run_time.timestamp()))
    if event.code == EVENT_JOB_ERROR:
        metrics.JOB_FAILURES.labels(job).inc()
    else:
        metrics.JOB_LAST_SUCCESS.labels(job).set(time.time())


def watch(scheduler) -> None:
    scheduler.add_listener(on_job_event, MASK)
