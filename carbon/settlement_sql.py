"""The set-based SQL of nightly settlement, portable between PostgreSQL and SQLite.

One batch = the users of one zone with ids first..last. Everything is one statement per step
(never one round trip per user): CASE instead of LEAST/GREATEST, ripe_at/expires_at bound as
constants computed in Python, integer division (= floor, quantities are never negative).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Date, String, TextClause, bindparam, text
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from carbon.ball_ids import USER_SHIFT
from carbon.repository import capped
from db.base import UTCDateTime
from db.sql import is_citus, is_postgres

_TYPES: dict[str, TypeEngine[Any]] = {
    "d": Date(), "month_start": Date(), "next_month": Date(), "tz": String(),
    "first": BigInteger(), "last": BigInteger(), "after": BigInteger(), "n": BigInteger(),
    "bid": BigInteger(), "ripe": UTCDateTime(), "exp": UTCDateTime(), "now": UTCDateTime(),
    "base": BigInteger(), "lo": BigInteger(), "hi": BigInteger(),
}


def _sql(source: str) -> TextClause:
    stmt = text(source)
    names = set(re.findall(r"(?<!:):(\w+)", source)) & set(_TYPES)
    return stmt.bindparams(*(bindparam(n, type_=_TYPES[n]) for n in names))


def explain(stmt: TextClause) -> TextClause:
    """EXPLAIN of one of the statements below, with the same typed parameters (PostgreSQL)."""
    return _sql("EXPLAIN " + stmt.text)


def tune_batch_transaction(s: Session) -> None:
    """PostgreSQL settings for this batch's transaction only (SET LOCAL): JIT would compile the
    big INSERT ... SELECT again in every batch for more than it saves; sorting and hashing a
    batch's events fits in 64 MB instead of spilling to disk.

    On Citus the statements run on the workers, which a SET LOCAL on the coordinator does not
    reach (citus.propagate_set_commands is 'none' by default): 'local' sends this
    transaction's SET LOCALs (these and ball_insert_plan's) to the workers' connections too.
    Without it every shard's task JIT-compiled the INSERT (about 245 functions; a batch's
    INSERT took 4-5x as long) and planned it with nested loops."""
    if is_postgres(s):
        if is_citus(s):
            s.execute(text("SET LOCAL citus.propagate_set_commands = 'local'"))
        s.execute(text("SET LOCAL jit = off"))
        s.execute(text("SET LOCAL work_mem = '64MB'"))
        method = None if is_citus(s) else _wal_method(s)
        if method is not None:
            s.execute(_COMPRESS_WAL, {"m": method})


# The methods a batch may compress its full-page images with, preferred first; () leaves the
# server's wal_compression alone. A page's first change after a checkpoint writes the whole
# page to the WAL: a night that updates rows of earlier nights (capped_months' month: one
# image per page it touches) writes those pages whole, and compressed they are about a third.
# Only where the server leaves wal_compression off and the role may set it (a superuser, or
# GRANT SET ON PARAMETER wal_compression); not on Citus, whose SET LOCALs would reach workers
# where the role may not. bench/history.py measures it.
WAL_COMPRESSION: tuple[str, ...] = ("lz4", "pglz")
_COMPRESS_WAL = text(
    "SELECT set_config('wal_compression', :m, true) "
    "WHERE current_setting('wal_compression') = 'off' "
    "AND has_parameter_privilege('wal_compression', 'SET')")
_wal_methods: dict[str, str | None] = {}  # by database URL: what this server was built with


def _wal_method(s: Session) -> str | None:
    """The first of WAL_COMPRESSION this server knows (PostgreSQL 15 or later), else None."""
    key = str(s.get_bind().engine.url)
    if key not in _wal_methods:
        version, known = s.execute(text(
            "SELECT current_setting('server_version_num')::int, enumvals FROM pg_settings "
            "WHERE name = 'wal_compression'")).one()
        usable = [m for m in WAL_COMPRESSION if m in (known or [])] if version >= 150000 else []
        _wal_methods[key] = usable[0] if usable else None
    return _wal_methods[key]



@contextmanager
def ball_insert_plan(s: Session) -> Iterator[None]:
    """Pin the plan of INSERT_BALLS on PostgreSQL: one range scan of
    ix_activity_events_local_date_user hash/merge-joined to the zone's users and the (tiny)
    methodology, not one index probe per user (row estimates of a batch are poor).

    Seq scans are off because on the first night capped_months is empty when the INSERT is
    planned: the planner would then scan, for every monthly-capped (user, type), the very table
    the batch is filling (quadratic) instead of probing pk_capped_months."""
    pg = is_postgres(s)
    if pg:
        s.execute(text("SET LOCAL enable_nestloop = off"))
        s.execute(text("SET LOCAL enable_seqscan = off"))
    yield
    if pg:
        s.execute(text("SET LOCAL enable_nestloop = on"))
        s.execute(text("SET LOCAL enable_seqscan = on"))


# The batches of the zone's users after the last one already planned: every :n users by id.
# Planned rows are pending (finished_at NULL) until their balls are committed.
PLAN_BATCHES = _sql("""
INSERT INTO settlement_batches (local_date, timezone, first_user_id, last_user_id, balls,
                                energy_g, finished_at)
SELECT :d, :tz, MIN(k.id), MAX(k.id), 0, 0, NULL FROM (
  SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / :n AS chunk
  FROM users WHERE timezone = :tz AND id > :after
) AS k
GROUP BY k.chunk
""")

# Each accepted event of the batch valued by the methodology version in force at occurred_at.
# A deduplicated type (utility_bill/account_no) counts an event only if no earlier event
# (occurred_at, then id) of the same user, type and key exists in the same local month.
# takes_max/monthly are 0/1 flags: aggregating integers is much cheaper than MAX() of text.
_VALUED_EVENTS = """
SELECT e.user_id, e.activity_type, m.cap_g,
       CASE WHEN t.aggregate = 'max' THEN 1 ELSE 0 END AS takes_max,
       CASE WHEN m.cap_period = 'month' THEN 1 ELSE 0 END AS monthly,
       e.quantity * m.factor_num / m.factor_den AS value_g
FROM activity_events e
JOIN activity_types t ON t.key = e.activity_type
JOIN methodology_versions m ON m.activity_type = e.activity_type
  AND e.occurred_at >= m.effective_from
  AND (m.effective_to IS NULL OR e.occurred_at < m.effective_to)
WHERE e.local_date = :d AND e.user_id BETWEEN :first AND :last
  AND e.user_id IN (SELECT u.id FROM users u
                    WHERE u.timezone = :tz AND u.id BETWEEN :first AND :last)
  AND (e.dedupe_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM activity_events p
    WHERE p.user_id = e.user_id AND p.activity_type = e.activity_type
      AND p.dedupe_key IS NOT NULL AND p.dedupe_key = e.dedupe_key
      AND p.local_date >= :month_start AND p.local_date < :next_month
      AND (p.occurred_at < e.occurred_at OR (p.occurred_at = e.occurred_at AND p.id < e.id))))
"""

# Per (user, type): 'sum' adds the values, 'max' (walk) keeps the day's highest. If the day
# spans two methodology versions the highest cap of those versions applies (an uncapped version
# makes the day uncapped; a monthly cap wins over a daily one). A monthly cap subtracts what the
# settlement of the other days of the same local month already gave (allowance_g), so the
# month never exceeds the cap even if days are settled out of order: one probe of
# capped_months' key (the batches of those days added their balls there), whatever the day of
# the month and wherever those days' balls are now (carbon/repository/capped.py).
_GIVEN = """(
         SELECT COALESCE(SUM(g.co2e_g), 0) FROM capped_months g
         WHERE g.month = :month_start AND g.user_id = v.user_id
           AND g.activity_type = v.activity_type)"""

_AGGREGATED = f"""
SELECT v.user_id, v.activity_type,
  CASE WHEN MAX(v.takes_max) = 1 THEN MAX(v.value_g)
       ELSE CAST(SUM(v.value_g) AS BIGINT) END AS raw_g,
  CASE WHEN COUNT(v.cap_g) < COUNT(*) THEN NULL
       WHEN MAX(v.monthly) = 1 THEN MAX(v.cap_g) - {_GIVEN}
       ELSE MAX(v.cap_g) END AS allowance_g
FROM ({_VALUED_EVENTS}) AS v
GROUP BY v.user_id, v.activity_type
"""


_CAPPED = f"""
SELECT a.user_id, a.activity_type,
  CASE WHEN a.allowance_g IS NULL OR a.raw_g <= a.allowance_g THEN a.raw_g
       WHEN a.allowance_g > 0 THEN a.allowance_g
       ELSE 0 END AS g
FROM ({_AGGREGATED}) AS a
"""


# One ball per (user, date, type); a ball of 0 g is not created. Its id is :base (the date's
# first id) + user_id << 6 + its rank among the user's balls of the night (ball_ids.py):
# computed from the rows, no sequence call per row. WHERE is applied before the window, so the
# ranks of a user's night are 0, 1, ... without gaps. No ON CONFLICT: the batch row claimed
# first already excludes a second settlement of these users, so a ball that existed would be a
# bug, and its rank-0 id then fails the batch loudly on the primary key.
_INSERT_BALLS = f"""
INSERT INTO balls (id, user_id, kind, activity_type, local_date, co2e_g, energy_g, remaining_g,
                   stolen_g, collected_g, stealable, status, ripe_at, expires_at,
                   settlement_batch_id, created_at)
SELECT :base + c.user_id * {1 << USER_SHIFT}
         + ROW_NUMBER() OVER (PARTITION BY c.user_id ORDER BY c.activity_type) - 1,
       c.user_id, 'settlement', c.activity_type, :d, c.g, c.g, c.g, 0, 0, TRUE, 'open',
       :ripe, :exp, :bid, :now
FROM ({_CAPPED}) AS c
WHERE c.g > 0
"""
INSERT_BALLS = _sql(_INSERT_BALLS)

# PostgreSQL does a batch in one statement: the INSERT, then the batch's totals from its
# RETURNING rows, adding its CO2e to the public counters (public_counters_add, migration 0013)
# in the same aggregate row. The new balls are never read back (one statement, no second scan
# of what was just written). A night after the roll-up's days_through writes nothing else but
# its monthly-capped balls' running totals (capped_months): the users' all-time CO2e and the
# statement read its balls (carbon/repository/settled.py).
# A night at or before it (rare: settled late, by hand) also writes carbon_days, and adds to
# users' CO2e totals if it is at or before `through`.
# OFFSET 0 keeps PostgreSQL from pushing "c.g > 0" into the GROUP BY as a HAVING filter, which
# repeated the monthly allowance subquery twice more for every monthly-capped (user, type).
_GROUPED = "GROUP BY v.user_id, v.activity_type\n"


def _add_co2e_totals(balls: str) -> str:
    """The UPDATE adding to the batch's users' CO2e totals the co2e_g of `balls` (the batch's
    new balls). users.id is bounded to the batch: without it PostgreSQL's merge join walked
    pk_users from the first user up to the batch, a cost that grew with the batch's position."""
    return f"""
UPDATE users SET co2e_total_g = users.co2e_total_g + s.g
FROM (SELECT user_id, SUM(co2e_g) AS g FROM {balls} GROUP BY user_id) AS s
WHERE users.id = s.user_id AND users.id BETWEEN :first AND :last"""


def _add_carbon_days(balls: str) -> str:
    """The INSERT of the statement's compact history (carbon_days) from `balls`."""
    return f"""
INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g)
SELECT :d, user_id, activity_type, co2e_g FROM {balls}"""


@cache
def one_statement(add_days: bool, add_totals: bool) -> TextClause:
    """PostgreSQL's batch: (balls, energy_g, the counters' void)."""
    fenced = _INSERT_BALLS.replace(_GROUPED, _GROUPED + "OFFSET 0\n")
    extra = "".join([f"capped AS ({capped.add_balls('ins')}),\n",
                     f"days AS ({_add_carbon_days('ins')}),\n" if add_days else "",
                     f"added AS ({_add_co2e_totals('ins')}),\n" if add_totals else ""])
    return _sql(f"""
WITH ins AS ({fenced}
  RETURNING user_id, activity_type, co2e_g, energy_g),
{extra}totals AS (SELECT COUNT(*) AS balls, COALESCE(SUM(energy_g), 0) AS energy_g,
                  COALESCE(SUM(co2e_g), 0) AS co2e_g FROM ins)
SELECT balls, energy_g, public_counters_add(0, co2e_g, 0, 0) FROM totals
""")


# SQLite: a batch's balls are one range of ids (:lo..:hi, ball_ids.user_range).
_BATCH_BALLS = """
balls WHERE id BETWEEN :lo AND :hi AND settlement_batch_id = :bid
"""

BATCH_TOTALS = _sql(f"""
SELECT COUNT(*), COALESCE(SUM(energy_g), 0), COALESCE(SUM(co2e_g), 0) FROM {_BATCH_BALLS}
""")

ADD_CO2E_TOTALS = _sql(_add_co2e_totals(_BATCH_BALLS))

ADD_CARBON_DAYS = _sql(_add_carbon_days(_BATCH_BALLS))

ADD_CAPPED = _sql(capped.add_balls(_BATCH_BALLS))

# The step-by-step path's public CO2e (SQLite, Citus): slot 0 (game/stats/models.py). The
# column is qualified: PostgreSQL (Citus) finds a bare name ambiguous in DO UPDATE.
COUNT_PUBLIC_CO2E = _sql("""
INSERT INTO public_counters (slot, users, co2e_total_g, trees_planted, eggs_donated)
VALUES (0, 0, :g, 0, 0)
ON CONFLICT (slot) DO UPDATE
SET co2e_total_g = public_counters.co2e_total_g + excluded.co2e_total_g
""")
