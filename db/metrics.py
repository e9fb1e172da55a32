"""The Prometheus metrics of Canopy, defined once and shared by the web workers and the scheduler.

This module imports nothing of the application (only prometheus_client), so that both the api
layer and the jobs, which may not import Flask, can count into the same objects.

Processes: the server runs several worker processes and a scheduler process. When
PROMETHEUS_MULTIPROC_DIR is set (api/server/supervisor.py sets it to a fresh directory) every process writes
its values into files there and /metrics adds them up (`registry()`); without it (tests, a
single `flask run`) the values live in the default registry of this process.

Labels are kept bounded: routes are URL rules (not raw paths), reasons and outcomes come from
fixed sets of codes or error classes, sources are the partners' names and zones the IANA names
users live in. Dates are never labels (one new series a day, forever): the last settled date
of a zone is a gauge's value instead.
"""

from __future__ import annotations

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "canopy_http_request_duration_seconds",
    "Time to answer a request, by URL rule (`unmatched` for a path no route has), method and "
    "status.", ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))

EVENTS = Counter(
    "canopy_events_total",
    "Partner events by source and outcome (accepted, duplicate, rejected); `reason` is the "
    "rejection code (empty when accepted or duplicate).", ["source", "outcome", "reason"])

RUSH = Counter(
    "canopy_rush_requests_total",
    "The 07:00 rush paths (collect, collect_all, steal) by outcome: success, or the refusal's "
    "error class in snake case (ball_not_ripe, already_stolen, ...), or http_<status>.",
    ["action", "outcome"])

SETTLEMENT_SECONDS = Histogram(
    "canopy_settlement_duration_seconds", "Time to settle one local date of one zone.",
    ["zone"], buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600))
SETTLEMENT_BALLS = Counter(
    "canopy_settlement_balls_total", "Energy balls issued by settlement.", ["zone"])
SETTLEMENT_ENERGY = Counter(
    "canopy_settlement_energy_grams_total", "Grams of energy issued by settlement.", ["zone"])
SETTLEMENT_FAILURES = Counter(
    "canopy_settlement_failures_total", "Settlements of a (date, zone) that failed.", ["zone"])
SETTLED_DATE = Gauge(
    "canopy_settlement_last_date_seconds",
    "The latest local date settled in a zone, as the Unix time of its 00:00 UTC (a date as a "
    "label would add a series every day).", ["zone"], multiprocess_mode="max")

JOB_RUNS = Counter("canopy_job_runs_total", "Scheduler job runs started.", ["job"])
JOB_FAILURES = Counter(
    "canopy_job_failures_total", "Scheduler job runs that ended with an exception.", ["job"])
JOB_SECONDS = Histogram(
    "canopy_job_duration_seconds",
    "Time from a job run's scheduled time to its end (its run, plus any wait for a thread).",
    ["job"],
    buckets=(0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600))
JOB_LAST_SUCCESS = Gauge(
    "canopy_job_last_success_timestamp_seconds",
    "Unix time at which the job last ended without an exception.", ["job"],
    multiprocess_mode="max")

RECONCILE_PROBLEMS = Gauge(
    "canopy_reconcile_problems",
    "Problems the last ledger reconciliation found (0: the ledger is consistent).",
    multiprocess_mode="mostrecent")
RECONCILE_LAST_RUN = Gauge(
    "canopy_reconcile_last_run_timestamp_seconds",
    "Unix time at which the ledger was last reconciled.", multiprocess_mode="max")
RECONCILE_LAST_OK = Gauge(
    "canopy_reconcile_last_ok_timestamp_seconds",
    "Unix time of the last reconciliation that found no problem.", multiprocess_mode="max")


STREAM_PUBLISHED = Counter(
    "canopy_stream_published_total",
    "Outbox rows published to the message broker and confirmed by it.")
STREAM_FAILURES = Counter(
    "canopy_stream_failures_total",
    "Publisher runs the broker stopped: unroutable (no queue took a message), nacked, "
    "connection (down, refused, dropped), database.", ["reason"])
STREAM_LAG = Gauge(
    "canopy_stream_lag_seconds",
    "Age of the oldest outbox row known to be unpublished after the last run (0: caught up).",
    multiprocess_mode="mostrecent")
STREAM_GAP_IDS = Gauge(
    "canopy_stream_gap_ids",
    "Outbox ids below the stream's mark still awaited (transactions not committed yet).",
    multiprocess_mode="mostrecent")
STREAM_GIVEN_UP = Counter(
    "canopy_stream_given_up_ids_total",
    "Outbox ids the stream stopped waiting for after the gap window (rolled back or purged).")

def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> bytes:
    """The text format of every metric: summed over the processes' files in multiprocess mode,
    else this process's own."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)

