"""What follows a settled local day, for every caller that settles (scheduler, admin API, CLI).

carbon cannot know the game, so the game lists here what it grants from a settled day. Each
entry is "module:function" called as fn(uow, local_date, timezone, now); it opens its own
`with uow:` and must be idempotent: two schedulers, or an operator and the scheduler, may both
call it for the same day. Each follow-up that succeeds is recorded (settlement_followups), so
that the scheduler retries, each tick for RETRY_DAYS days, only the ones that failed.
"""

from __future__ import annotations

import importlib
import logging
from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import date, datetime, timedelta

from sqlalchemy import select

from carbon.services.schedule import completed_runs_since
from carbon.services.settlement import SettlementReport, settle_day
from db import UnitOfWork
from db.sql import insert_ignore
from game.daily_models import SettlementFollowup

log = logging.getLogger(__name__)

AFTER_SETTLEMENT: list[str] = [
    "game.farm.services.feed:grant_activity_feed",
]
RETRY_DAYS = 7

UowFactory = Callable[[], UnitOfWork]


def after_settlement(uow_factory: UowFactory, local_date: date, tz: str,
                     now: datetime) -> list[str]:
    """Run every follow-up for (local_date, tz) not recorded as done, and record each that
    succeeds; a failure is logged and the others still run. Returns the entries that failed."""
    done = _recorded(uow_factory(), local_date, local_date).get((local_date, tz), set())
    failed = []
    for path in AFTER_SETTLEMENT:
        if path in done:
            continue
        try:
            module, name = path.split(":")
            getattr(importlib.import_module(module), name)(uow_factory(), local_date, tz, now)
            _record(uow_factory(), local_date, tz, path, now)
        except Exception:
            log.exception("after-settlement hook %s failed for %s in %s", path, local_date, tz)
            failed.append(path)
    return failed


def retry_followups(uow_factory: UowFactory, now: datetime, days: int = RETRY_DAYS,
                    skip: Collection[tuple[date, str]] = ()) -> list[tuple[date, str]]:
    """Run the follow-ups not recorded as done of every (date, zone) whose settlement completed
    and whose date is at most `days` days before `now`, except the pairs in `skip` (just
    followed up by the caller). Returns the pairs that still have a failed follow-up."""
    since = (now - timedelta(days=days)).date()
    runs = completed_runs_since(uow_factory(), since)
    if not runs:
        return []
    recorded = _recorded(uow_factory(), since, None)
    still_failing = []
    for local_date, tz in runs:
        if (local_date, tz) in skip or recorded[(local_date, tz)].issuperset(AFTER_SETTLEMENT):
            continue
        log.info("retrying the after-settlement follow-ups of %s in %s", local_date, tz)
        if after_settlement(uow_factory, local_date, tz, now):
            still_failing.append((local_date, tz))
    return still_failing


def _recorded(uow: UnitOfWork, first: date, last: date | None) -> defaultdict[tuple, set[str]]:
    """{(local_date, zone): names of the follow-ups done} for the dates first..last."""
    query = select(SettlementFollowup.local_date, SettlementFollowup.timezone,
                   SettlementFollowup.name).where(SettlementFollowup.local_date >= first)
    if last is not None:
        query = query.where(SettlementFollowup.local_date <= last)
    done: defaultdict[tuple, set[str]] = defaultdict(set)
    with uow:
        for day, tz, name in uow.session.execute(query):
            done[(day, tz)].add(name)
    return done


def _record(uow: UnitOfWork, local_date: date, tz: str, path: str, now: datetime) -> None:
    with uow:
        insert_ignore(uow.session, SettlementFollowup.__table__,
                      {"local_date": local_date, "timezone": tz, "name": path,
                       "completed_at": now},
                      index_elements=["local_date", "timezone", "name"])
        uow.commit()


def settle_day_and_follow_up(uow_factory: UowFactory, local_date: date,
                             now: datetime, timezones: list[str] | None, batch_users: int,
                             workers: int = 1) -> SettlementReport:
    """What an operator's settlement does (admin API, CLI): settle the date, then run the
    follow-ups for every zone now settled that are not recorded as done."""
    report = settle_day(uow_factory(), local_date, now, timezones, batch_users, workers=workers)
    for tz in report.settled:
        after_settlement(uow_factory, local_date, tz, now)
    return report
