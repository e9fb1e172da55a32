"""The scheduler's jobs: they call services in order and log; the rules live in the services.

Every job takes `uow_factory` (a callable returning a fresh UnitOfWork) and `now_fn` (the clock),
so tests run them against their own database and instant.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from carbon.services.balls import expire_balls
from carbon.services.schedule import due_settlements
from carbon.services.settlement import settle_day
from db import UnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]

# "module:function" called as fn(uow, local_date, timezone, now) once a (date, zone) settlement
# has completed; each opens its own `with uow:`. A hook must be idempotent: two schedulers both
# call it for the same date. A hook that fails (logged) or is cut short by a stop is not retried:
# the date is settled, so it is not due again.
AFTER_SETTLEMENT: list[str] = [
    "game.farm.services.feed:grant_activity_feed",
]


@dataclass
class SettleOutcome:
    settled: list[tuple[date, str]] = field(default_factory=list)
    failed: list[tuple[date, str]] = field(default_factory=list)
    postponed: list[tuple[date, str]] = field(default_factory=list)


def settle_due(uow_factory: UowFactory, now_fn: Clock, grace: timedelta,
               batch_users: int = 20000) -> SettleOutcome:
    """Settle every due (local date, zone), oldest first; a failure is logged and the tick goes on
    with the other zones. A zone's later dates wait for the next tick when one of its dates
    failed, so that its nights are always settled in order and none is skipped."""
    now = now_fn()
    due = due_settlements(uow_factory(), now, grace)
    log.info("settlement tick at %s: %d (date, zone) due", now.isoformat(), len(due))
    outcome = SettleOutcome()
    broken_zones: set[str] = set()
    for local_date, tz in due:
        if tz in broken_zones:
            outcome.postponed.append((local_date, tz))
            continue
        try:
            report = settle_day(uow_factory(), local_date, now, timezones=[tz],
                                batch_users=batch_users)
        except Exception:
            log.exception("settlement of %s in %s failed; retried next tick", local_date, tz)
            outcome.failed.append((local_date, tz))
            broken_zones.add(tz)
            continue
        if tz not in report.settled:  # the day is not over after all (a clock went back)
            outcome.postponed.append((local_date, tz))
            continue
        log.info("settled %s in %s: %d balls, %d g", local_date, tz, report.balls,
                 report.energy_g)
        outcome.settled.append((local_date, tz))
        _after_settlement(uow_factory, local_date, tz, now)
    return outcome


def _after_settlement(uow_factory: UowFactory, local_date: date, tz: str, now: datetime) -> None:
    for path in AFTER_SETTLEMENT:
        try:
            module, name = path.split(":")
            getattr(importlib.import_module(module), name)(uow_factory(), local_date, tz, now)
        except Exception:
            log.exception("after-settlement hook %s failed for %s in %s", path, local_date, tz)


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
    if total_balls:
        log.info("expired %d balls (%d g) at %s", total_balls, total_g, now.isoformat())
    return total_balls, total_g
