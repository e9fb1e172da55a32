"""The monthly allowance's running totals (capped_months, carbon/history_models.py): what
settlement gave per (local month, user, type) for the types with a monthly cap in any version.

Settlement adds each batch's balls of those types (carbon/settlement_sql.py, ADD_CAPPED);
`rebuild` recounts whole months from what was settled (carbon_days up to days_through, the
settlement balls after it, as carbon/repository/settled.py reads them): for the months a new
version can reach when it gives a type its first monthly cap, and for every month in migration
0029. Set-based: a handful of statements per month, never one per user. Takes a Session or a
Connection, never commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Connection,
    Date,
    String,
    TextClause,
    bindparam,
    text,
)
from sqlalchemy.orm import Session

from carbon import ball_ids
from carbon.domain.account import month_start
from db.partitions import add_months

# The types whose settled CO2e capped_months keeps: those with a monthly cap in any version.
TRACKED = "SELECT t.activity_type FROM methodology_versions t WHERE t.cap_period = 'month'"

# ON CONFLICT adds: a (month, user, type) a batch or a recount meets again grows by its grams.
_ADD = """
ON CONFLICT (month, user_id, activity_type)
DO UPDATE SET co2e_g = capped_months.co2e_g + excluded.co2e_g"""


def add_balls(balls: str) -> str:
    """The upsert of `balls` (a batch's new balls: one per user and type) of tracked types
    into the month :month_start."""
    return f"""
INSERT INTO capped_months (month, user_id, activity_type, co2e_g)
SELECT :month_start, n.user_id, n.activity_type, n.co2e_g
FROM (SELECT user_id, activity_type, co2e_g FROM {balls}) AS n
WHERE n.activity_type IN ({TRACKED}){_ADD}"""


def _types(one: bool) -> str:
    return ":t" if one else TRACKED


def _statements(one: bool) -> tuple[TextClause, ...]:
    """Delete the month's rows, count carbon_days of the month up to days_through, add the
    settlement balls of the month after it (two statements, not a UNION: each one is a
    co-located INSERT ... SELECT on Citus)."""
    types = _types(one)
    params: list[BindParameter[Any]] = [bindparam("m", type_=Date()), bindparam("next", type_=Date()),
              bindparam("through", type_=Date()), bindparam("lo", type_=BigInteger()),
              bindparam("hi", type_=BigInteger())]
    if one:
        params.append(bindparam("t", type_=String()))

    def typed(sql: str) -> TextClause:
        return text(sql).bindparams(*(p for p in params if f":{p.key}" in sql))

    return (
        typed(f"DELETE FROM capped_months WHERE month = :m AND activity_type IN ({types})"),
        typed(f"""
INSERT INTO capped_months (month, user_id, activity_type, co2e_g)
SELECT :m, d.user_id, d.activity_type, SUM(d.co2e_g) FROM carbon_days d
WHERE d.local_date >= :m AND d.local_date < :next AND d.local_date <= :through
  AND d.activity_type IN ({types})
GROUP BY d.user_id, d.activity_type"""),
        typed(f"""
INSERT INTO capped_months (month, user_id, activity_type, co2e_g)
SELECT :m, b.user_id, b.activity_type, SUM(b.co2e_g) FROM balls b
WHERE b.id >= :lo AND b.id < :hi AND b.kind = 'settlement' AND b.activity_type IN ({types})
GROUP BY b.user_id, b.activity_type{_ADD}"""),
    )


_ALL, _ONE = _statements(False), _statements(True)


def rebuild(conn: Connection | Session, first: date, last: date, through: date | None,
            activity_type: str | None = None) -> None:
    """Recount capped_months for every month from first's to last's, for `activity_type` or
    every tracked type, `through` being the roll-up's days_through as the caller read it. The
    balls after it are read by their id range (the month's partitions only); balls older than
    the date-and-user ids are all at or before it (migration 0028)."""
    statements = _ALL if activity_type is None else _ONE
    month = month_start(first)
    while month <= last:
        after = add_months(month, 1)
        balls_from = month if through is None or through < month else through + timedelta(days=1)
        params = {"m": month, "next": after, "through": through,
                  "lo": ball_ids.day_base(min(balls_from, after)),
                  "hi": ball_ids.day_base(after),
                  **({} if activity_type is None else {"t": activity_type})}
        for statement in statements:
            conn.execute(statement, params)
        month = after


def months_a_version_reaches(start: datetime, now: datetime) -> tuple[date, date]:
    """The local months a version starting at `start` can cap that may hold settled nights at
    `now`: from the month of start's earliest local date (UTC-12) to the latest local date
    that can have been settled (UTC+14). Empty (first > last) when it starts months ahead."""
    return (month_start(start.date() - timedelta(days=1)),
            month_start(now.date() + timedelta(days=1)))
