"""Partition maintenance on a year of data (PostgreSQL), and where a night's inserts land.

    .venv/bin/python bench/partitions.py [--users 2000]

1. Build: recreates canopy_bench_partitions and writes a year of history month by month (the
   12 months before TODAY: per user and day one activity event and its key, one ledger
   transaction with two entries, one feed fact), running the maintenance at the start of each
   month as the daily job would (partitions ahead, checkpoints), with nothing retired yet.
2. Retire: the maintenance at TODAY with the default settings (events and feed 90 days,
   ledger 13 months); later with the ledger kept 1 month (ten ledger months to drop), and
   `reconcile` after it.
3. DROP vs DELETE: one month of ledger entries detached and dropped, against a DELETE of
   the same rows from a plain table with the same indexes (then the ledger kept 1 month).
4. A steady day: the maintenance again (nothing to do).
5. A night: one more day of rows; the partitions its inserts touched (pg_stat_xact_user_tables).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import fresh_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

from carbon.services import retention  # noqa: E402
from carbon.services.reconcile import reconcile  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402
from db.partitions import add_months  # noqa: E402

TODAY = date(2026, 12, 10)
DEFAULTS = {"RETAIN_EVENTS_DAYS": 90, "RETAIN_LEDGER_MONTHS": 13, "FEED_RETENTION_DAYS": 90}
FOREVER = {"RETAIN_EVENTS_DAYS": 100000, "RETAIN_LEDGER_MONTHS": 10000,
           "FEED_RETENTION_DAYS": 100000}

USERS = """
INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at)
SELECT g, 'u' || g, 'Asia/Shanghai', 0, '2025-01-01' FROM generate_series(1, :n) g;
INSERT INTO ledger_accounts (user_id, owner_id, code, tracks_balance, balance_g)
SELECT id, id, 'available', true, 0 FROM users;
INSERT INTO ledger_accounts (user_id, code, tracks_balance, balance_g)
VALUES (NULL, 'issued', false, 0)
"""
# One day :d of rows for every user, at 04:00 UTC (noon in Shanghai).
DAY = """
INSERT INTO activity_events (source, source_event_id, user_id, activity_type, quantity,
  occurred_at, local_date, attributes, payload_hash, received_at)
SELECT 'bench', CAST(:d AS text) || '-' || id, id, 'walk', 5000, :d + time '04:00' AT TIME ZONE 'UTC', :d,
  '{}', md5(CAST(:d AS text) || id), :d + time '04:00' AT TIME ZONE 'UTC' FROM users;
INSERT INTO event_keys (source, source_event_id, local_date, payload_hash)
SELECT 'bench', CAST(:d AS text) || '-' || id, :d, md5(CAST(:d AS text) || id) FROM users;
WITH t AS (INSERT INTO ledger_transactions (kind, cause_type, cause_id, created_at)
           SELECT 'grant', 'bench', a.id || ':' || a.user_id,
                  :d + time '04:00' AT TIME ZONE 'UTC'
           FROM ledger_accounts a WHERE a.user_id IS NOT NULL
           RETURNING id, cause_id, created_at)
INSERT INTO ledger_entries (transaction_id, account_id, owner_id, amount_g, created_at)
SELECT id, split_part(cause_id, ':', 1)::bigint, split_part(cause_id, ':', 2)::bigint, 10,
       created_at FROM t
UNION ALL SELECT id, (SELECT id FROM ledger_accounts WHERE user_id IS NULL), 0, -10, created_at
FROM t;
UPDATE ledger_accounts SET balance_g = balance_g + 10 WHERE user_id IS NOT NULL;
INSERT INTO outbox_events (type, occurred_at, user_id, payload)
SELECT 'bench', :d + time '04:00' AT TIME ZONE 'UTC', id, '{}' FROM users
"""


def run_sql(engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(text(statement), params)


def maintain(sessions, today: date, keep: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    now = datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=2)
    report = retention.maintain(lambda: UnitOfWork(sessions), now, keep)
    return time.perf_counter() - started, report.figures()


def build(engine, sessions, users: int) -> float:
    started = time.perf_counter()
    run_sql(engine, USERS, n=users)
    first = add_months(TODAY.replace(day=1), -12)
    day = first
    while day < TODAY.replace(day=1):
        if day.day == 1:
            maintain(sessions, day, FOREVER)
        run_sql(engine, DAY, d=day)
        day += timedelta(days=1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def drop_versus_delete(engine) -> tuple[float, float, int]:
    """Seconds to detach and drop one month of ledger entries, and to DELETE the same rows
    from a plain copy with the same indexes; and how many rows."""
    month = "ledger_entries_p" + add_months(TODAY.replace(day=1), -2).strftime("%Y%m")
    with engine.begin() as conn:
        rows = conn.scalar(text(f"SELECT count(*) FROM {month}"))
        conn.execute(text(f"CREATE TABLE bench_plain AS SELECT * FROM {month}"))
        conn.execute(text("ALTER TABLE bench_plain ADD PRIMARY KEY (id, created_at)"))
        conn.execute(text("CREATE INDEX ON bench_plain (account_id)"))
        conn.execute(text("CREATE INDEX ON bench_plain (transaction_id)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE bench_plain"))
    with engine.begin() as conn:
        started = time.perf_counter()
        conn.execute(text(f"ALTER TABLE ledger_entries DETACH PARTITION {month}"))
        conn.execute(text(f"DROP TABLE {month}"))
    dropped = time.perf_counter() - started
    with engine.begin() as conn:
        started = time.perf_counter()
        conn.execute(text("DELETE FROM bench_plain"))
    deleted = time.perf_counter() - started
    run_sql(engine, "DROP TABLE bench_plain")
    return dropped, deleted, rows


def night(engine) -> dict[str, int]:
    """The partitions one more day's inserts touched, with their row counts."""
    with engine.begin() as conn:
        for statement in DAY.split(";"):
            conn.execute(text(statement), {"d": TODAY})
        rows = conn.execute(text("SELECT relname, n_tup_ins FROM pg_stat_xact_user_tables "
                                 "WHERE n_tup_ins > 0 ORDER BY relname")).all()
    return dict(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=2000)
    args = parser.parse_args()
    engine = make_engine(fresh_database("canopy_bench_partitions"))
    sessions = make_session_factory(engine)
    built = build(engine, sessions, args.users)
    with engine.connect() as conn:
        size = conn.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
        entries = conn.scalar(text("SELECT count(*) FROM ledger_entries"))
    print(f"build: users={args.users} days=365 ledger_entries={entries} size={size} "
          f"seconds={built:.1f}")
    seconds, figures = maintain(sessions, TODAY, DEFAULTS)
    print(f"retire (defaults): seconds={seconds:.2f} {figures}")
    dropped, deleted, rows = drop_versus_delete(engine)
    print(f"one month of ledger entries ({rows} rows): detach+drop {dropped * 1000:.1f} ms, "
          f"DELETE {deleted * 1000:.1f} ms, ratio {deleted / dropped:.1f}x")
    seconds, figures = maintain(sessions, TODAY, {**DEFAULTS, "RETAIN_LEDGER_MONTHS": 1})
    print(f"retire (ledger 1 month): seconds={seconds:.2f} {figures}")
    problems = reconcile(UnitOfWork(sessions))
    print(f"reconcile after retirement: {'OK' if not problems else problems[:3]}")
    seconds, figures = maintain(sessions, TODAY, DEFAULTS)
    print(f"steady day: seconds={seconds:.3f} {figures}")
    touched = night(engine)
    print("a night's inserts: " + " ".join(f"{k}={v}" for k, v in touched.items()))
    engine.dispose()


if __name__ == "__main__":
    main()
