"""A user's all-time CO2e: users.co2e_total_g (whole months rolled up) + what they settled since.

Settlement used to add every night's CO2e to users.co2e_total_g and write carbon_days beside
its balls; now a night writes only its balls. Once a month `roll_up` copies the month's
settlement balls into carbon_days (their retired form: then the month's balls may go) and
adds the month to users, both set-based, in one transaction. Reading a user's total costs one
probe per day since the roll-up (at most about two months of days; carbon/repository/settled.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from carbon import ball_ids
from carbon.history_models import CarbonDay, CO2eRollup
from carbon.models import User
from carbon.repository import settled, statement_months
from carbon.repository.settled import SLOT, Watermarks
from db import UnitOfWork
from db.sql import is_citus, is_postgres, rowcount

# A month is rolled up once it ended this many days ago: nights are settled within hours, and
# one settled later than that (by hand) writes carbon_days and adds to users itself
# (settlement reads the watermarks under a shared lock).
SETTLE_HORIZON = timedelta(days=7)


def watermarks_for_settlement(session: Session) -> Watermarks:
    """The watermarks, read by a settlement batch in its own transaction: the shared row lock
    keeps a roll-up from passing until the batch commits (and a batch waits for a roll-up)."""
    return settled.watermarks(session, lock="share")


def all_time_g(session: Session, user_id: int) -> int:
    """The user's CO2e saved, all time."""
    base = session.scalar(select(User.co2e_total_g).where(User.id == user_id)) or 0
    marks = settled.watermarks(session)
    first = (marks.through + timedelta(days=1) if marks.through is not None
             else _first_settled(session))
    last = settled.last_settled(marks, settled.settled_span(session)[1])
    if first is None or last is None or last < first:
        return int(base)
    return int(base) + settled.settled_g(session, user_id, first, last, marks.days_through,
                                         clip=False)


def _first_settled(session: Session) -> date | None:
    oldest = (session.scalar(select(func.min(CarbonDay.local_date))),
              settled.settled_span(session)[0])
    return min(filter(None, oldest), default=None)


def unrolled_g(session: Session) -> int:
    """Every user's CO2e not rolled up into users.co2e_total_g yet (a full scan of those days:
    for recounts and checks, not for requests)."""
    return settled.unsettled_into_users_g(session, settled.watermarks(session))


def roll_up(uow: UnitOfWork, now: datetime) -> int:
    """Roll up every whole month that ended SETTLE_HORIZON ago and is not rolled up yet, one
    month per transaction; the number of months rolled up."""
    months = 0
    while _roll_up_month(uow, now):
        months += 1
    return months


# Rows an older build wrote (it wrote carbon_days every night) hold the same values.
_COPY_BALLS = text("""
INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g)
SELECT local_date, user_id, activity_type, co2e_g FROM balls
WHERE kind = 'settlement' AND id >= :lo AND id < :hi
ON CONFLICT DO NOTHING
""")

_ADD_MONTH = text("""
UPDATE users SET co2e_total_g = users.co2e_total_g + m.g
FROM (SELECT user_id, SUM(co2e_g) AS g FROM carbon_days
      WHERE local_date BETWEEN :first AND :last GROUP BY user_id) AS m
WHERE users.id = m.user_id
""")


def _roll_up_month(uow: UnitOfWork, now: datetime) -> bool:
    """The month after `through`: its settlement balls not in carbon_days yet are copied
    there (days_through moves to its end), then its carbon_days are added to users."""
    with uow:
        s = uow.session
        marks = settled.watermarks(s, lock="update")
        first = (marks.through + timedelta(days=1) if marks.through is not None
                 else _first_settled(s))
        if first is None:
            return False
        first = first.replace(day=1) if marks.through is None else first
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if last + SETTLE_HORIZON >= now.date():
            return False
        days_through = marks.days_through
        if days_through is None or days_through < last:
            copy_from = (first if days_through is None or days_through < first
                         else days_through + timedelta(days=1))
            s.execute(_COPY_BALLS, {"lo": ball_ids.day_base(copy_from),
                                    "hi": ball_ids.day_base(last + timedelta(days=1))})
            days_through = last
        s.execute(_ADD_MONTH, {"first": first, "last": last})
        # The month's statements, rendered once (plain PostgreSQL: what reads them).
        months_through = (statement_months.render_through(s, marks.months_through, last)
                          if is_postgres(s) and not is_citus(s) else None)
        values = {"through": last, "days_through": days_through,
                  "months_through": months_through}
        moved = rowcount(s.execute(update(CO2eRollup).where(CO2eRollup.slot == SLOT)
                                   .values(**values)))
        if not moved:  # the migration's row is gone (a restore, a hand-cleaned table)
            s.add(CO2eRollup(slot=SLOT, **values))
        uow.commit()
    return True
