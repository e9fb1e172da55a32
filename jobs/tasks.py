"""The scheduler's jobs: they call services in order and log; the rules live in the services.

Every job takes `uow_factory` (a callable returning a fresh UnitOfWork) and `now_fn` (the clock),
so tests run them against their own database and instant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from carbon.services import co2e_totals, retention
from carbon.services.balls import expire_balls
from carbon.services.idempotency import purge_keys
from carbon.services.reconcile import reconcile
from carbon.services.retention import MaintenanceReport
from carbon.services.schedule import due_settlements
from carbon.services.settlement import settle_day
from db import UnitOfWork, metrics
from db.applog import get_logger
from game.daily import after_settlement, retry_followups
from game.transparency.services import publish_roots
from jobs.job_log import logged_job

log = get_logger(__name__)

UowFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]


@dataclass
class SettleOutcome:
    settled: list[tuple[date, str]] = field(default_factory=list)
    failed: list[tuple[date, str]] = field(default_factory=list)
    postponed: list[tuple[date, str]] = field(default_factory=list)


@logged_job("settle_due", lambda o: {"settled": len(o.settled), "failed": len(o.failed),
                                     "postponed": len(o.postponed)})
def settle_due(uow_factory: UowFactory, now_fn: Clock, grace: timedelta,
               batch_users: int = 20000, workers: int = 1) -> SettleOutcome:
    """Settle every due (local date, zone), oldest first; a failure is logged and the tick goes on
    with the other zones. A zone's later dates wait for the next tick when one of its dates
    failed, so that its nights are always settled in order and none is skipped."""
    now = now_fn()
    due = due_settlements(uow_factory(), now, grace)
    log.info("settlement tick", now=now.isoformat(), due=len(due))
    outcome = SettleOutcome()
    broken_zones: set[str] = set()
    for local_date, tz in due:
        if tz in broken_zones:
            outcome.postponed.append((local_date, tz))
            continue
        started = time.perf_counter()
        try:
            report = settle_day(uow_factory(), local_date, now, timezones=[tz],
                                batch_users=batch_users, workers=workers)
        except Exception:
            log.exception("settlement failed; retried next tick", date=local_date.isoformat(),
                          zone=tz)
            metrics.SETTLEMENT_FAILURES.labels(tz).inc()
            outcome.failed.append((local_date, tz))
            broken_zones.add(tz)
            continue
        if tz not in report.settled:  # the day is not over after all (a clock went back)
            outcome.postponed.append((local_date, tz))
            continue
        log.info("settled", date=local_date.isoformat(), zone=tz,
                 batches=sum(z.batches for z in report.zones), balls=report.balls,
                 energy_g=report.energy_g)
        _count_settled(local_date, tz, report.balls, report.energy_g,
                       time.perf_counter() - started)
        outcome.settled.append((local_date, tz))
        after_settlement(uow_factory, local_date, tz, now)
    _retry_followups(uow_factory, now, outcome)
    return outcome


def _count_settled(local_date: date, tz: str, balls: int, energy_g: int,
                   seconds: float) -> None:
    metrics.SETTLEMENT_SECONDS.labels(tz).observe(seconds)
    metrics.SETTLEMENT_BALLS.labels(tz).inc(balls)
    metrics.SETTLEMENT_ENERGY.labels(tz).inc(energy_g)
    midnight = datetime(local_date.year, local_date.month, local_date.day, tzinfo=UTC)
    metrics.SETTLED_DATE.labels(tz).set(midnight.timestamp())


def _retry_followups(uow_factory: UowFactory, now: datetime, outcome: SettleOutcome) -> None:
    """The follow-ups that failed on an earlier tick, once more; the days settled just now were
    followed up above. A failure here must not break the tick."""
    try:
        retry_followups(uow_factory, now, skip=outcome.settled)
    except Exception:
        log.exception("retrying the after-settlement follow-ups failed; tried again next tick")


@logged_job("expire_due", lambda r: {"balls": r[0], "energy_g": r[1]})
def expire_due(uow_factory: UowFactory, now_fn: Clock, limit: int = 10000) -> tuple[int, int]:
    """Expire every open ball past its expiry at one instant, `limit` balls per transaction.
    Returns (balls, energy_g) expired."""
    now = now_fn()
    total_balls = total_g = 0
    while True:
        balls, energy_g = expire_balls(uow_factory(), now, limit=limit)
        total_balls += balls
        total_g += energy_g
        if balls == 0:
            break
    return total_balls, total_g


@logged_job("roll_up_co2e_totals", lambda n: {"months": n})
def roll_up_co2e_totals(uow_factory: UowFactory, now_fn: Clock) -> int:
    """Copy each whole month of settlement balls that is over into carbon_days and add it to
    the users' CO2e totals (once a month does something; other days find nothing). Returns
    how many months were rolled up."""
    return co2e_totals.roll_up(uow_factory(), now_fn())


@logged_job("publish_log_roots", lambda n: {"roots": n})
def publish_log_roots(uow_factory: UowFactory, now_fn: Clock) -> int:
    """Publish the public log's root of every UTC day that is over and not published yet (once
    per day: publishing again finds nothing to do). Returns how many roots were published."""
    roots = publish_roots(uow_factory(), now_fn())
    for root in roots:
        log.info("published a public log root", date=root.log_date.isoformat(), root=root.root,
                 entries=root.count, first_seq=root.first_seq, last_seq=root.last_seq)
    return len(roots)


@logged_job("purge_idempotency_keys", lambda n: {"deleted": n})
def purge_idempotency_keys(uow_factory: UowFactory, now_fn: Clock, max_age: timedelta) -> int:
    """Forget the Idempotency-Keys older than `max_age`. Returns how many were deleted."""
    deleted = purge_keys(uow_factory(), now_fn(), max_age)
    return deleted


@logged_job("maintain_partitions", lambda r: r.figures())
def maintain_partitions(uow_factory: UowFactory, now_fn: Clock,
                        keep: Mapping[str, int]) -> MaintenanceReport:
    """Checkpoint the ledger months that are over, create partitions ahead and retire what is
    past its retention (`keep`: Config.retention()). Each table's work is logged; the job's
    end line sums it (created, detached, dropped, rows moved and deleted, duration)."""
    report = retention.maintain(uow_factory, now_fn(), keep)
    for month in report.checkpointed:
        log.info("ledger month checkpointed", month=month.isoformat())
    for t in report.partitions.tables:
        if t.created or t.dropped or t.rows_deleted or t.skipped:
            log.info("partitions maintained", table=t.table, partitions_created=len(t.created),
                     partitions_detached=len(t.dropped), partitions_dropped=len(t.dropped),
                     rows_moved=t.rows_moved, rows_deleted=t.rows_deleted, skipped=t.skipped)
    return report


@logged_job("reconcile_ledger", lambda problems: {"problems": len(problems)})
def reconcile_ledger(uow_factory: UowFactory, now_fn: Clock) -> list[str]:
    """Check the ledger against itself and the balls (carbon.services.reconcile: whole-table
    scans, fine once a night); log OK or every problem, and set the metrics an alert watches
    (canopy_reconcile_problems > 0 pages someone). Returns the problems."""
    problems = reconcile(uow_factory())
    now = now_fn().timestamp()
    metrics.RECONCILE_PROBLEMS.set(len(problems))
    metrics.RECONCILE_LAST_RUN.set(now)
    if not problems:
        metrics.RECONCILE_LAST_OK.set(now)
        log.info("ledger reconciled: OK")
        return problems
    log.error("ledger reconciled: %d problem(s)", len(problems))
    for problem in problems:
        log.error("ledger problem: %s", problem)
    return problems
