"""What the scheduler should settle now: every (local date, time zone) that is due, oldest first."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from carbon.domain.account import local_midnight_after
from carbon.domain.settlement_days import days_due
from carbon.models import SettlementRun
from db import UnitOfWork
from db.sql import is_citus

log = logging.getLogger(__name__)


def due_settlements(uow: UnitOfWork, now: datetime, grace: timedelta) -> list[tuple[date, str]]:
    """(local_date, zone) pairs to settle at `now`, in the order their days ended.

    For each zone users live in: every ended day (at least `grace` ago) after the zone's last
    completed settlement (catch-up after downtime), or only the last ended day for a zone never
    settled; plus any settlement that started and did not complete (a crash), to resume it."""
    with uow:
        s = uow.session
        zones = _user_zones(s)
        last_completed = _last_completed(s)
        unfinished = _unfinished(s)
    due: list[tuple[date, str]] = []
    for tz in zones:
        try:
            days = days_due(tz, now, grace, last_completed.get(tz), unfinished.get(tz, ()))
        except ValueError:
            log.error("users have time zone %r, which is not an IANA zone: not settled", tz)
            continue
        due.extend((day, tz) for day in days)
    due.sort(key=lambda item: (local_midnight_after(*item), item[1]))
    return due


# The distinct zones of users by walking ix_users_timezone_id one zone at a time (a "loose index
# scan"): a few dozen index probes each tick instead of reading every user's row.
_USER_ZONES = text("""
WITH RECURSIVE zones(tz) AS (
  SELECT MIN(timezone) FROM users
  UNION ALL
  SELECT (SELECT MIN(u.timezone) FROM users u WHERE u.timezone > zones.tz)
  FROM zones WHERE zones.tz IS NOT NULL
)
SELECT tz FROM zones WHERE tz IS NOT NULL
""")


# Citus plans no recursive CTE over a distributed table without a filter on its shard key: the
# coordinator walks the zones itself, each step a MIN that every shard answers by one probe.
_NEXT_ZONE = text("SELECT MIN(timezone) FROM users WHERE timezone > :tz")


def _user_zones(s: Session) -> list[str]:
    if not is_citus(s):
        return list(s.scalars(_USER_ZONES))
    zones: list[str] = []
    while (tz := s.scalar(_NEXT_ZONE, {"tz": zones[-1] if zones else ""})) is not None:
        zones.append(tz)
    return zones


def _last_completed(s: Session) -> dict[str, date]:
    rows = s.execute(
        select(SettlementRun.timezone, func.max(SettlementRun.local_date))
        .where(SettlementRun.completed_at.is_not(None))
        .group_by(SettlementRun.timezone))
    return {tz: day for tz, day in rows}


def _unfinished(s: Session) -> dict[str, list[date]]:
    found: dict[str, list[date]] = defaultdict(list)
    rows = s.execute(select(SettlementRun.timezone, SettlementRun.local_date)
                     .where(SettlementRun.completed_at.is_(None)))
    for tz, day in rows:
        found[tz].append(day)
    return found


def completed_runs_since(uow: UnitOfWork, since_date: date) -> list[tuple[date, str]]:
    """(local_date, zone) of every completed settlement of `since_date` or later, oldest first."""
    with uow:
        rows = uow.session.execute(
            select(SettlementRun.local_date, SettlementRun.timezone)
            .where(SettlementRun.local_date >= since_date, SettlementRun.completed_at.is_not(None))
            .order_by(SettlementRun.local_date, SettlementRun.timezone))
        return [(day, tz) for day, tz in rows]
