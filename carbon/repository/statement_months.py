"""carbon_months: each user's statement of a whole month, rendered once (plain PostgreSQL).

The monthly roll-up renders the month it copies into carbon_days, for every user, after the
copy; co2e_rollup.months_through then says every whole month up to it is rendered. A night of
a rendered month settled late, by hand, renders that month again for its batch's users
(settlement, in the batch's transaction). settled.statement_json reads a rendered month as one
row instead of a probe of carbon_days per date and the encoding of every (date, type) row.

The JSON is written by the same functions, in the same order, as the statement's own
(json_object_agg by type, json_agg by date): a statement made of rendered months and of days
read as before is the text one statement over all those days would have written.
Takes a Session or a Connection (the migration), never commits.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

# One month of carbon_days (all of it, or a range of the users), rendered per user. A range
# of users is read as one range of the date-first key per date (the month's dates as an array):
# a range over both columns would scan every user of the dates between.
_RENDER = """
WITH r AS (
  SELECT local_date AS day, user_id AS u, activity_type AS t, co2e_g AS g FROM carbon_days
  WHERE {where}
), d AS (
  SELECT u, day, SUM(g) AS g, json_object_agg(t, g ORDER BY t) AS by_type FROM r GROUP BY u, day
), dm AS (
  SELECT u, SUM(g) AS g,
         json_agg(json_build_object('date', day, 'co2e_g', g, 'by_type', by_type)
                  ORDER BY day) AS days
  FROM d GROUP BY u
), tm AS (
  SELECT u, json_object_agg(t, g ORDER BY t) AS by_type
  FROM (SELECT u, t, SUM(g) AS g FROM r GROUP BY u, t) AS x GROUP BY u
)
INSERT INTO carbon_months (month, user_id, co2e_g, by_type, days)
SELECT CAST(:first AS date), dm.u, dm.g, CAST(tm.by_type AS text), CAST(dm.days AS text)
FROM dm JOIN tm ON tm.u = dm.u
ON CONFLICT (month, user_id) DO UPDATE
SET co2e_g = EXCLUDED.co2e_g, by_type = EXCLUDED.by_type, days = EXCLUDED.days
"""
_RENDER_ALL = text(_RENDER.format(where="local_date BETWEEN :first AND :last"))
_RENDER_USERS = text(_RENDER.format(
    where="local_date = ANY(CAST(:dates AS date[])) AND user_id BETWEEN :lo AND :hi"))


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def render(conn: Session | Connection, month: date, users: tuple[int, int] | None = None) -> None:
    """Render `month` (its first day) from carbon_days for every user, or for the users
    first..last of `users`, replacing what was rendered before."""
    last = month_end(month)
    params = {"first": month, "last": last}
    if users is None:
        conn.execute(_RENDER_ALL, params)
    else:
        dates = [month + timedelta(days=i) for i in range(last.day)]
        conn.execute(_RENDER_USERS, {**params, "dates": dates, "lo": users[0], "hi": users[1]})


def render_through(conn: Session | Connection, months_through: date | None,
                   last: date) -> date:
    """Render every month after `months_through` (every month carbon_days holds, when None)
    up to the one ending on `last` (a month's last day); the new months_through: `last`."""
    if months_through is not None:
        month = months_through + timedelta(days=1)
    else:
        oldest = conn.execute(text("SELECT MIN(local_date) FROM carbon_days")).scalar()
        if oldest is None:
            return last  # nothing to render: every month up to `last` is empty
        month = month_of(oldest if isinstance(oldest, date) else date.fromisoformat(oldest))
    while month <= last:
        render(conn, month)
        month = month_end(month) + timedelta(days=1)
    return last


def covered(first: date, last: date, months_through: date | None,
            through: date | None) -> list[date]:
    """The months (first days) of first..last that a statement reads rendered: whole within
    first..last, rendered (months_through), and on one side of `through` (the statement sums
    what lies after it apart)."""
    if months_through is None:
        return []
    months = []
    month = month_of(first) if first.day == 1 else month_end(month_of(first)) + timedelta(days=1)
    while (end := month_end(month)) <= min(last, months_through):
        if through is None or end <= through or month > through:
            months.append(month)
        month = end + timedelta(days=1)
    return months
