"""A user's all-time CO2e: users.co2e_total_g (whole months rolled up) + carbon_days since.

Settlement used to add every night's CO2e to users.co2e_total_g: one UPDATE of every active
user per night, 0.88 of a bare night's cost (README, settlement analysis). Now a night writes
only carbon_days (which the statement needs anyway); once a month `roll_up` adds a month's
carbon_days to users in one set-based UPDATE. Reading the total costs one probe of carbon_days'
(date, user) key per day since the roll-up (at most about two months of days).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from carbon.history_models import CarbonDay, CO2eRollup
from carbon.models import User
from db import UnitOfWork
from db.sql import is_postgres, rowcount

SLOT = 1
# A month is rolled up once it ended this many days ago: nights are settled within hours, and
# one settled later than that (by hand) adds to users itself (settlement checks `rolled_up`).
SETTLE_HORIZON = timedelta(days=7)
# Beyond this many days to probe one by one, read the user's rows with a range instead.
MAX_PROBES = 400


def _through(session: Session, lock: bool = False) -> date | None:
    stmt = select(CO2eRollup.through).where(CO2eRollup.slot == SLOT)
    if lock and is_postgres(session):
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def rolled_up(session: Session, local_date: date) -> bool:
    """Whether local_date's CO2e is already counted in users.co2e_total_g. Settlement calls it
    in its batch transaction; the shared row lock keeps a roll-up from passing meanwhile."""
    stmt = select(CO2eRollup.through).where(CO2eRollup.slot == SLOT)
    if is_postgres(session):
        stmt = stmt.with_for_update(read=True)
    through = session.scalar(stmt)
    return through is not None and local_date <= through


def all_time_g(session: Session, user_id: int) -> int:
    """The user's CO2e saved, all time."""
    base = session.scalar(select(User.co2e_total_g).where(User.id == user_id)) or 0
    through = _through(session)
    # Both ends of carbon_days' date-first key: one index probe each.
    start = (through + timedelta(days=1) if through is not None
             else session.scalar(select(func.min(CarbonDay.local_date))))
    end = session.scalar(select(func.max(CarbonDay.local_date)))
    if start is None or end is None or end < start:
        return int(base)
    days = (end - start).days + 1
    where = (CarbonDay.local_date.in_([start + timedelta(days=i) for i in range(days)])
             if days <= MAX_PROBES else CarbonDay.local_date >= start)
    since = session.scalar(select(func.coalesce(func.sum(CarbonDay.co2e_g), 0))
                           .where(where, CarbonDay.user_id == user_id))
    return int(base) + int(since or 0)


def unrolled_g(session: Session) -> int:
    """Every user's CO2e not rolled up into users.co2e_total_g yet (a full scan of those days:
    for recounts and checks, not for requests)."""
    through = _through(session)
    stmt = select(func.coalesce(func.sum(CarbonDay.co2e_g), 0))
    if through is not None:
        stmt = stmt.where(CarbonDay.local_date > through)
    return int(session.scalar(stmt) or 0)


def roll_up(uow: UnitOfWork, now: datetime) -> int:
    """Add every whole month of carbon_days that ended SETTLE_HORIZON ago and is not rolled up
    yet to users.co2e_total_g, one month per transaction; the number of months rolled up."""
    months = 0
    while _roll_up_month(uow, now):
        months += 1
    return months


_ADD_MONTH = text("""
UPDATE users SET co2e_total_g = users.co2e_total_g + m.g
FROM (SELECT user_id, SUM(co2e_g) AS g FROM carbon_days
      WHERE local_date BETWEEN :first AND :last GROUP BY user_id) AS m
WHERE users.id = m.user_id
""")


def _roll_up_month(uow: UnitOfWork, now: datetime) -> bool:
    with uow:
        s = uow.session
        through = _through(s, lock=True)
        first = (through + timedelta(days=1) if through is not None
                 else s.scalar(select(func.min(CarbonDay.local_date))))
        if first is None:
            return False
        first = first.replace(day=1) if through is None else first
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if last + SETTLE_HORIZON >= now.date():
            return False
        s.execute(_ADD_MONTH, {"first": first, "last": last})
        moved = rowcount(s.execute(update(CO2eRollup).where(CO2eRollup.slot == SLOT)
                                   .values(through=last)))
        if not moved:  # the migration's row is gone (a restore, a hand-cleaned table)
            s.add(CO2eRollup(slot=SLOT, through=last))
        uow.commit()
    return True
