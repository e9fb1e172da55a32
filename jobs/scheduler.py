"""APScheduler wiring: settle what is due and expire balls, on intervals from the config.

The scheduler keeps no state of its own: what is due is read from the database at each tick, so
a restart catches up at once, and two schedulers started by mistake are harmless because
settlement and expiry are guarded by the database (unique batch records, conditional updates).
"""

from __future__ import annotations

import signal
from datetime import UTC, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler

from config import Config
from db import UnitOfWork, make_engine, make_session_factory, utcnow_aware
from db.applog import get_logger
from jobs.amqp import AmqpPublisher
from jobs.job_metrics import watch
from jobs.settlement_requests import settle_requested
from jobs.stream import StreamSettings, publish_outbox
from jobs.tasks import (
    Clock,
    UowFactory,
    expire_due,
    publish_log_roots,
    purge_feed,
    purge_idempotency_keys,
    reconcile_ledger,
    settle_due,
)

log = get_logger(__name__)

# The public log's roots cover whole UTC days; hourly publishes each one soon after midnight.
PUBLISH_ROOTS_EVERY_MINUTES = 60


def build_scheduler(config: Config, uow_factory: UowFactory,
                    clock: Clock = utcnow_aware) -> BlockingScheduler:
    """A scheduler whose jobs first run right away, then every few minutes; a job still
    running when its next turn comes is not started twice, and missed turns run once."""
    scheduler = BlockingScheduler(timezone=UTC)
    start = clock()
    common = {"max_instances": 1, "coalesce": True, "next_run_time": start,
              "misfire_grace_time": None}
    grace = timedelta(minutes=config.SETTLE_GRACE_MINUTES)
    scheduler.add_job(settle_due, "interval", minutes=config.SCHEDULER_TICK_MINUTES,
                      id="settle_due", name="settle due days",
                      args=(uow_factory, clock, grace, config.SETTLE_BATCH_USERS,
                            config.SETTLE_WORKERS), **common)
    scheduler.add_job(expire_due, "interval", minutes=config.EXPIRE_EVERY_MINUTES,
                      id="expire_due", name="expire balls", args=(uow_factory, clock), **common)
    scheduler.add_job(publish_log_roots, "interval", minutes=PUBLISH_ROOTS_EVERY_MINUTES,
                      id="publish_log_roots", name="publish the public log's daily roots",
                      args=(uow_factory, clock), **common)
    scheduler.add_job(purge_idempotency_keys, "interval", minutes=config.PURGE_EVERY_MINUTES,
                      id="purge_idempotency_keys", name="purge old idempotency keys",
                      args=(uow_factory, clock, timedelta(hours=config.IDEMPOTENCY_KEY_TTL_HOURS)),
                      **common)
    scheduler.add_job(purge_feed, "interval", minutes=config.PURGE_EVERY_MINUTES,
                      id="purge_feed", name="purge feed items past their retention",
                      args=(uow_factory, clock, timedelta(days=config.FEED_RETENTION_DAYS)),
                      **common)
    # Nightly, not at start: it scans whole tables, and a restart must not repeat it.
    scheduler.add_job(reconcile_ledger, "cron",
                      hour=config.RECONCILE_HOUR_UTC, minute=0, id="reconcile_ledger",
                      name="reconcile the ledger", args=(uow_factory, clock), max_instances=1,
                      coalesce=True, misfire_grace_time=None)
    # Operators' settlements (POST /v1/admin/settlements) are waited for: poll often.
    scheduler.add_job(settle_requested, "interval",
                      seconds=config.SETTLE_REQUEST_POLL_SECONDS, id="settle_requested",
                      name="settle what operators asked for",
                      args=(uow_factory, clock, config.SETTLE_BATCH_USERS,
                            config.SETTLE_WORKERS), **common)
    if config.AMQP_URL:
        _add_stream(scheduler, config, uow_factory, clock, common)
    watch(scheduler)
    return scheduler


def _add_stream(scheduler: BlockingScheduler, config: Config, uow_factory: UowFactory,
                clock: Clock, common: dict) -> None:
    """The outbox's fan-out to RabbitMQ, every few seconds: a push should follow its fact."""
    assert config.AMQP_URL is not None  # only called when it is set
    publisher = AmqpPublisher(config.AMQP_URL, config.AMQP_EXCHANGE, config.AMQP_TIMEOUT_S)
    settings = StreamSettings(config.AMQP_BATCH,
                              timedelta(seconds=config.AMQP_GAP_WINDOW_SECONDS))
    scheduler.add_job(publish_outbox, "interval", seconds=config.AMQP_PUBLISH_EVERY_SECONDS,
                      id="publish_outbox", name="publish the outbox to RabbitMQ",
                      args=(uow_factory, clock, publisher, settings), **common)


def run(config: Config | None = None, once: bool = False) -> None:
    """Run the jobs against config.DATABASE_URL until SIGTERM/SIGINT (or one round if `once`)."""
    config = config or Config()
    config.check()
    engine = make_engine(config.DATABASE_URL,
                         connect_timeout_s=config.DB_CONNECT_TIMEOUT_S,
                         statement_timeout_ms=config.JOB_STATEMENT_TIMEOUT_MS)
    sessions = make_session_factory(engine)

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(sessions)

    try:
        if once:
            settle_due(uow_factory, utcnow_aware, timedelta(minutes=config.SETTLE_GRACE_MINUTES),
                       config.SETTLE_BATCH_USERS, config.SETTLE_WORKERS)
            expire_due(uow_factory, utcnow_aware)
            settle_requested(uow_factory, utcnow_aware, config.SETTLE_BATCH_USERS,
                             config.SETTLE_WORKERS)
            return
        scheduler = build_scheduler(config, uow_factory)
        _stop_on_signals(scheduler)
        log.info("scheduler started", settle_every_min=config.SCHEDULER_TICK_MINUTES,
                 settle_grace_min=config.SETTLE_GRACE_MINUTES,
                 expire_every_min=config.EXPIRE_EVERY_MINUTES)
        scheduler.start()
        log.info("scheduler stopped")
    finally:
        engine.dispose()


def _stop_on_signals(scheduler: BlockingScheduler) -> None:
    # The job in progress runs to its end before the process exits (the executor's threads are
    # joined); if it is killed instead, its transaction rolls back and the next tick resumes it.
    def stop(signum, _frame):
        if scheduler.running:  # Ctrl-C and `serve` may both signal us
            log.info("stopping the scheduler", signal=signum)
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
