"""A user's settled CO2e per (date, type): carbon_days up to days_through, settlement balls
after it. Every reader of settled CO2e (the statement, the all-time totals) goes through here.
Takes a Session, never commits.

carbon_days is read by probes of its date-first key (one per date: a date range would scan
every user's rows), the balls by one primary-key range per date (ball_ids.user_range: a user's
settlement balls of one night are adjacent ids), so the cost is the number of days asked,
never the number of users or the age of the deployment. On plain PostgreSQL the statement
reads each whole month it holds up to months_through as one rendered row (carbon_months,
statement_months.py) instead of its dates' probes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import BigInteger, ColumnElement, Text, column, func, or_, select, text
from sqlalchemy.orm import Session

from carbon import ball_ids
from carbon.history_models import CarbonDay, CO2eRollup
from carbon.models import Ball, SettlementRun
from carbon.repository import statement_months
from db.sql import is_citus, is_postgres

SLOT = 1
# Beyond this many days to probe one by one, read a range instead (a scan: for recounts).
MAX_PROBES = 400


@dataclass(frozen=True)
class Watermarks:
    through: date | None  # users.co2e_total_g holds every settled night up to here
    days_through: date | None  # carbon_days holds every settled night up to here
    # carbon_months holds every whole month up to here (statement_months; plain PostgreSQL)
    months_through: date | None = None


def watermarks(session: Session, lock: str | None = None) -> Watermarks:
    """The roll-up's row; `lock` "share" (settlement: a roll-up cannot pass meanwhile) or
    "update" (the roll-up itself) on PostgreSQL."""
    stmt = select(CO2eRollup.through, CO2eRollup.days_through,
                  CO2eRollup.months_through).where(CO2eRollup.slot == SLOT)
    if lock is not None and is_postgres(session):
        stmt = stmt.with_for_update(read=lock == "share")
    row = session.execute(stmt).first()
    return Watermarks(None, None) if row is None else Watermarks(row[0], row[1], row[2])


def settled_span(session: Session) -> tuple[date | None, date | None]:
    """The first and last local date any settlement started (two probes of its key)."""
    first, last = session.execute(select(func.min(SettlementRun.local_date),
                                         func.max(SettlementRun.local_date))).one()
    return first, last


def last_settled(marks: Watermarks, span_last: date | None) -> date | None:
    """The last night any reader of settled CO2e may find: days_through or the last date a
    settlement started (settled_span), whichever is later."""
    return max(filter(None, (marks.days_through, span_last)), default=None)


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def split(first: date, last: date, days_through: date | None) -> tuple[
        tuple[date, date] | None, tuple[date, date] | None]:
    """first..last as (the dates read from carbon_days, the dates read from balls)."""
    if days_through is None or days_through < first:
        return None, (first, last)
    if days_through >= last:
        return (first, last), None
    return (first, days_through), (days_through + timedelta(days=1), last)


def _days_where(user_id: int, first: date, last: date) -> list[ColumnElement[bool]]:
    days = _dates(first, last)
    by_date = (CarbonDay.local_date.in_(days) if len(days) <= MAX_PROBES
               else CarbonDay.local_date.between(first, last))
    return [by_date, CarbonDay.user_id == user_id]


def _balls_where(session: Session, user_id: int, first: date, last: date,
                 clip: bool) -> list[ColumnElement[bool]] | None:
    """The user's settlement balls of first..last (`clip`: of the dates ever settled)."""
    if clip:
        span_first, span_last = settled_span(session)
        if span_first is None or span_last is None:
            return None
        first, last = max(first, span_first), min(last, span_last)
    if first > last:
        return None
    days = _dates(first, last)
    if len(days) > MAX_PROBES:
        low, high = ball_ids.day_base(first), ball_ids.day_base(last + timedelta(days=1))
        return [Ball.kind == "settlement", Ball.id >= low, Ball.id < high,
                Ball.user_id == user_id]
    # No outer bounds of the whole span: PostgreSQL then scanned it all, filtering by the
    # ranges, instead of one probe per range (the ranges alone prune the partitions).
    ranges = [Ball.id.between(*ball_ids.user_range(d, user_id, user_id)) for d in days]
    # The user as well: the ranges imply it, but Citus routes the query to one shard by it.
    return [Ball.kind == "settlement", Ball.user_id == user_id, or_(*ranges)]


def settled_days(session: Session, user_id: int, first: date, last: date,
                 days_through: date | None) -> list[tuple[date, str, int]]:
    """(date, type, grams) of the user's settled CO2e on first..last, by date then type."""
    old, new = split(first, last, days_through)
    rows: list[tuple[date, str, int]] = []
    if old is not None:
        rows += [(d, t, int(g)) for d, t, g in session.execute(
            select(CarbonDay.local_date, CarbonDay.activity_type, CarbonDay.co2e_g)
            .where(*_days_where(user_id, *old)))]
    where = None if new is None else _balls_where(session, user_id, *new, clip=True)
    if where is not None:
        rows += [(d, t, int(g)) for d, t, g in session.execute(
            select(Ball.local_date, Ball.activity_type, Ball.co2e_g).where(*where))]
    return sorted(rows, key=lambda r: (r[0], r[1]))


# PostgreSQL: the statement of one user's dates, read and encoded by one statement (no row
# reaches Python): the whole months rendered in carbon_months (statement_months) as one array
# (one probe each; their days' JSON is spliced in as rendered), the other carbon_days dates as
# one array (one probe each of the date-first key), the balls' id ranges of the later dates as
# two arrays joined to the ball key (one range scan each), then the days, months and types as
# JSON text. Fixed text with array parameters: prepared once per connection, where an IN list
# of 300 dates and 60 BETWEENs was rendered, sent and parsed again for every request.
_STATEMENT_JSON = text("""
WITH r AS (
  SELECT d.local_date AS day, d.activity_type AS t, d.co2e_g AS g FROM carbon_days d
  WHERE d.local_date = ANY(CAST(:dates AS date[])) AND d.user_id = :u
  UNION ALL
  SELECT b.local_date, b.activity_type, b.co2e_g
  FROM unnest(CAST(:lows AS bigint[]), CAST(:highs AS bigint[])) AS k(lo, hi)
  CROSS JOIN LATERAL (
    SELECT x.local_date, x.activity_type, x.co2e_g FROM balls x
    WHERE x.id BETWEEN k.lo AND k.hi AND x.user_id = :u AND x.kind = 'settlement'
    OFFSET 0) AS b
), days AS (
  SELECT day, SUM(g) AS g, json_object_agg(t, g ORDER BY t) AS by_type FROM r GROUP BY day
), m AS (
  SELECT c.month, c.co2e_g, c.by_type, c.days FROM carbon_months c
  WHERE c.month = ANY(CAST(:months AS date[])) AND c.user_id = :u
)
SELECT
  (SELECT '[' || string_agg(piece, ', ' ORDER BY k) || ']' FROM (
     SELECT day AS k,
            CAST(json_build_object('date', day, 'co2e_g', g, 'by_type', by_type) AS text) AS piece
     FROM days
     UNION ALL
     SELECT month, substr(days, 2, length(days) - 2) FROM m) AS p),
  (SELECT CAST(json_agg(json_build_object('month', mo, 'co2e_g', g) ORDER BY mo) AS text)
   FROM (SELECT to_char(day, 'YYYY-MM') AS mo, SUM(g) AS g FROM days GROUP BY 1
         UNION ALL
         SELECT to_char(month, 'YYYY-MM'), co2e_g FROM m) AS x),
  (SELECT CAST(json_object_agg(t, g ORDER BY t) AS text)
   FROM (SELECT t, SUM(g) AS g FROM (
           SELECT t, g FROM r
           UNION ALL
           SELECT e.key, CAST(e.value AS bigint)
           FROM m CROSS JOIN LATERAL json_each_text(CAST(m.by_type AS json)) AS e) AS z
         GROUP BY t) AS y),
  (SELECT COALESCE(SUM(g), 0) FROM r) + (SELECT COALESCE(SUM(co2e_g), 0) FROM m),
  (SELECT COALESCE(SUM(g), 0) FROM r WHERE day > CAST(:through AS date))
    + (SELECT COALESCE(SUM(co2e_g), 0) FROM m WHERE month > CAST(:through AS date)),
  (SELECT co2e_total_g FROM users WHERE id = :u)
""").columns(column("days", Text), column("months", Text), column("by_type", Text),
             column("total", BigInteger), column("after_through", BigInteger),
             column("rolled_up", BigInteger))


@dataclass(frozen=True)
class StatementJson:
    days: str  # JSON arrays and object, as the API writes them
    months: str
    by_type: str
    total_g: int
    # The user's all-time CO2e when the dates asked hold every settled night after the
    # roll-up's `through` (users.co2e_total_g + those nights, read by the same statement),
    # else None: the caller asks co2e_totals.all_time_g.
    all_time_g: int | None = None


def statement_json(session: Session, user_id: int, first: date, last: date,
                   marks: Watermarks) -> StatementJson | None:
    """What settled_days reads, as the statement's JSON, on PostgreSQL (not Citus, where the
    rows are read and encoded by the caller); None elsewhere."""
    if not is_postgres(session) or is_citus(session):
        return None
    old, new = split(first, last, marks.days_through)
    months = statement_months.covered(first, last, marks.months_through, marks.through)
    rendered = set(months)
    dates = ([d for d in _dates(*old) if statement_months.month_of(d) not in rendered]
             if old is not None else [])
    span_first, span_last = settled_span(session)
    lows: list[int] = []
    highs: list[int] = []
    if new is not None and span_first is not None and span_last is not None:
        for d in _dates(max(new[0], span_first), min(new[1], span_last)):
            low, high = ball_ids.user_range(d, user_id, user_id)
            lows.append(low)
            highs.append(high)
    days, months, by_type, total, after, rolled_up = session.execute(_STATEMENT_JSON, {
        "dates": dates, "u": user_id, "lows": lows, "highs": highs, "months": months,
        "through": marks.through}).one()
    # co2e_totals.all_time_g's nights: after `through`, up to the last one settled.
    settled_last = last_settled(marks, span_last)
    holds_all = (marks.through is not None and first <= marks.through + timedelta(days=1)
                 and (settled_last is None or last >= settled_last))
    return StatementJson(days or "[]", months or "[]", by_type or "{}", int(total),
                         int(rolled_up or 0) + int(after) if holds_all else None)


def settled_g(session: Session, user_id: int, first: date, last: date,
              days_through: date | None, clip: bool = True) -> int:
    """The user's settled CO2e on first..last, in grams (`clip` False: the caller knows
    first..last lies within the dates ever settled, and saves two probes)."""
    old, new = split(first, last, days_through)
    total = 0
    if old is not None:
        total += session.scalar(select(func.coalesce(func.sum(CarbonDay.co2e_g), 0))
                                .where(*_days_where(user_id, *old))) or 0
    where = None if new is None else _balls_where(session, user_id, *new, clip=clip)
    if where is not None:
        total += session.scalar(select(func.coalesce(func.sum(Ball.co2e_g), 0))
                                .where(*where)) or 0
    return int(total)


def unsettled_into_users_g(session: Session, marks: Watermarks) -> int:
    """Every user's settled CO2e after `through` (not in users.co2e_total_g yet): carbon_days
    up to days_through, settlement balls after it. Scans those days: for recounts."""
    total = 0
    if marks.days_through is not None:
        days = select(func.coalesce(func.sum(CarbonDay.co2e_g), 0)).where(
            CarbonDay.local_date <= marks.days_through)
        if marks.through is not None:
            days = days.where(CarbonDay.local_date > marks.through)
        total += session.scalar(days) or 0
    low = (ball_ids.LEGACY_END if marks.days_through is None
           else ball_ids.day_base(marks.days_through + timedelta(days=1)))
    total += session.scalar(select(func.coalesce(func.sum(Ball.co2e_g), 0)).where(
        Ball.kind == "settlement", Ball.id >= low)) or 0
    return int(total)
