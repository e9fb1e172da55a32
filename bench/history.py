"""A year of history on PostgreSQL: the 366th night's settlement and a year's carbon statement
against a fresh deployment's, measured in the same run.

    .venv/bin/python bench/history.py [--users 100000] [--history-days 365] [--requests 300]
                                      [--batch 20000] [--workers 2]

1. Fresh: recreates canopy_bench_history (migrations, default methodology), N users of one zone
   and 5 events each on FRESH_DAY (SQL generate_series), settles FRESH_DAY in a child process
   after a CHECKPOINT (time and WAL), then times GET /v1/me/carbon for 366 days.
2. History: every user gets 3 collected settlement balls on the last --ball-days of the
   history days before LATER_DAY and 3 carbon_days rows on each earlier one (their balls were
   copied there and retired; one INSERT ... SELECT generate_series per month, in key order),
   and capped_months (HISTORY_CAPPED, MONTH_SO_FAR_CAPPED), then VACUUM ANALYZE and the monthly
   CO2e roll-up (which copies the months of balls that are over into carbon_days), as the jobs
   would have done.
3. Night 366: 5 events per user on LATER_DAY, settled the same way, then the same statements.

With BENCH_LOCK=/path set, the two timed phases hold that file lock (other heavy jobs on a
shared machine take it too) and the year is built by a backend at nice 19 (bench/common.py).

WAL: wal_mb is pg_current_wal_lsn() before and after (the whole server's writes); db_wal_mb
and the per-relation lines count only this database's records (pg_walinspect). Raw events of
the history days, ledger entries and steals are not generated (settlement reads events by
date; see docs-notes/history.md).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import (  # noqa: E402
    DB_SUFFIX,
    EVENT_MIX,
    SERVER,
    background_backend,
    fresh_database,
    month_spans,
    monthly_partitions,
    quiet_machine,
)

from api import create_app  # noqa: E402
from api.core.auth import make_token  # noqa: E402
from carbon import settlement_sql  # noqa: E402
from carbon.services import co2e_totals  # noqa: E402
from carbon.services.catalog import DEFAULT_TYPES, seed_default_methodology  # noqa: E402
from carbon.services.settlement import settle_day  # noqa: E402
from config import Config  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "canopy_bench_history")
URL = f"{SERVER}/{DB_NAME}{DB_SUFFIX}"
FRESH_DAY = date(2026, 3, 9)
UTC_OF_LOCAL_NOON = timedelta(hours=4)  # Asia/Shanghai

# Each user's 5 events of the night drawn from EVENT_MIX (weights in percent) by a hash of
# (user, date, k): about 6 % of events are of monthly-capped types (bills, tickets), so about a
# quarter of the users have a monthly allowance to compute, as in bench/settle.py.
# (Before 2026-12-02 every user had the same five types, a movie ticket among them: every
# user's night computed a monthly allowance.)
EVENTS = """
INSERT INTO activity_events (source, source_event_id, user_id, activity_type, quantity,
                             occurred_at, local_date, attributes, payload_hash, received_at)
SELECT 'bench', u.id || '-' || %(d)s || '-' || k, u.id, p.kind,
       CASE WHEN p.kind = 'walk' THEN 12000 ELSE 1 END,
       %(at)s + k * interval '1 minute', %(d)s, '{}', 'h', %(at)s
FROM users u CROSS JOIN generate_series(0, 4) AS k
CROSS JOIN LATERAL (SELECT (%(types)s::text[])[1 + (hashtext(u.id || '-' || %(d)s || '-' || k)
                                                    & 2147483647) %% 100] AS kind) AS p
"""
TYPES = [kind for kind, weight in EVENT_MIX for _ in range(weight)]
assert len(TYPES) == 100
# History: 3 balls a user and night, collected, as settled nights leave them, or their
# carbon_days rows once retired.
# Ids as settlement makes them (carbon/ball_ids.py): day << 38 | user << 6 | rank.
HISTORY_BALLS = """
INSERT INTO balls (id, user_id, kind, activity_type, local_date, co2e_g, energy_g, remaining_g,
                   stolen_g, collected_g, stealable, status, ripe_at, expires_at,
                   settlement_batch_id, created_at)
SELECT ((d::date - DATE '2000-01-01')::bigint << 38) + u.id * 64 + t.r, u.id, 'settlement',
       t.k, d::date, t.g, t.g, 0, 0, t.g, TRUE, 'collected',
       d + interval '23 hours', d + interval '95 hours', 0, d + interval '17 hours'
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d CROSS JOIN users u
CROSS JOIN (VALUES ('bus_ride', 30, 0), ('metro_ride', 52, 1), ('offline_payment', 50, 2))
  AS t(k, g, r)
ORDER BY 1
"""
HISTORY_DAYS = """
INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g)
SELECT d::date, u.id, t.k, t.g
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d CROSS JOIN users u
CROSS JOIN (VALUES ('bus_ride', 30), ('metro_ride', 52), ('offline_payment', 50)) AS t(k, g)
ORDER BY 1, 2, 3
"""

# The monthly allowance's running totals (capped_months) that the history's nights would have
# left. The measured night's month: exactly what its earlier nights' events would have given
# (the same draws from EVENT_MIX as EVENTS, grams capped at the month's cap): at day 10 about
# 2.3 rows a user. Earlier months: a row for each of the four monthly-capped types of
# EVENT_MIX for every user (nearly every user has three or four of them by a month's end); a
# night never touches them, they make the table and its key a year deep. The grams are not
# those of the history's balls (which are of three daily-capped types only): what is measured
# is what reading and writing this table costs.
# The default methodology's monthly-capped types of EVENT_MIX: (key, grams per event, cap).
MONTHLY_CAPS = "(VALUES {}) AS c(k, f, cap)".format(", ".join(
    f"('{t.key}', {t.factor_num // t.factor_den}, {t.cap_g})" for t in DEFAULT_TYPES
    if t.cap_period == "month" and t.key in dict(EVENT_MIX)))
HISTORY_CAPPED = f"""
INSERT INTO capped_months (month, user_id, activity_type, co2e_g)
SELECT m::date, u.id, c.k, c.cap
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 month') AS m CROSS JOIN users u
CROSS JOIN {MONTHLY_CAPS}
ORDER BY 1, 2, 3
ON CONFLICT DO NOTHING
"""
MONTH_SO_FAR_CAPPED = f"""
INSERT INTO capped_months (month, user_id, activity_type, co2e_g)
SELECT %(a)s::date, e.user_id, e.kind, LEAST(COUNT(*) * c.f, c.cap)
FROM (SELECT u.id AS user_id,
             (%(types)s::text[])[1 + (hashtext(u.id || '-' || d::date || '-' || k)
                                     & 2147483647) %% 100] AS kind
      FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d
      CROSS JOIN users u CROSS JOIN generate_series(0, 4) AS k) AS e
JOIN {MONTHLY_CAPS} ON c.k = e.kind
GROUP BY e.user_id, e.kind, c.f, c.cap
ORDER BY 2, 3
"""

HISTORY_RUNS = """
INSERT INTO settlement_runs (local_date, timezone, started_at, completed_at)
SELECT d::date, 'Asia/Shanghai', d + interval '17 hours', d + interval '17 hours'
FROM generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS d
"""


def setup(users: int, last: date) -> None:
    fresh_database(DB_NAME)
    monthly_partitions(URL, FRESH_DAY, last)
    engine = make_engine(URL)
    seed_default_methodology(UnitOfWork(make_session_factory(engine)),
                             datetime(2000, 1, 1, tzinfo=UTC))
    engine.dispose()
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        conn.execute("INSERT INTO users (external_id, timezone, co2e_total_g, created_at) "
                     "SELECT 'u' || g, 'Asia/Shanghai', 0, '2026-01-01' "
                     "FROM generate_series(0, %s - 1) AS g", (users,))


def add_events(day: date) -> None:
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + UTC_OF_LOCAL_NOON
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(EVENTS, {"d": day, "at": at, "types": TYPES})
        conn.execute("VACUUM (ANALYZE) activity_events")
        conn.execute("VACUUM (ANALYZE) users")


def add_history(first: date, last: date, ball_days: int) -> float:
    """Collected balls for every user on the last `ball_days` of first..last (with their
    settlement runs) and carbon_days on the days before (their balls retired with their
    monthly partitions once copied), then the monthly CO2e roll-up; seconds taken."""
    started = time.perf_counter()
    balls_from = last - timedelta(days=ball_days - 1)
    with psycopg.connect(URL, autocommit=True) as conn:
        background_backend(conn)
        for a, b in month_spans(first, last):
            if a < balls_from:
                conn.execute(HISTORY_DAYS, {"a": a, "b": min(b, balls_from - timedelta(1))})
            if b >= balls_from:
                conn.execute(HISTORY_BALLS, {"a": max(a, balls_from), "b": b})
                conn.execute(HISTORY_RUNS, {"a": max(a, balls_from), "b": b})
            print(f"# history {a}..{b} at {time.perf_counter() - started:.0f} s", flush=True)
        month = last.replace(day=1)
        conn.execute(HISTORY_CAPPED, {"a": first.replace(day=1),
                                      "b": month - timedelta(days=1)})
        conn.execute(MONTH_SO_FAR_CAPPED, {"a": month, "b": last, "types": TYPES})
        print(f"# capped_months at {time.perf_counter() - started:.0f} s", flush=True)
        conn.execute("VACUUM (ANALYZE) balls")
        conn.execute("VACUUM (ANALYZE) carbon_days")
        conn.execute("VACUUM (ANALYZE) capped_months")
    engine = make_engine(URL)
    months = co2e_totals.roll_up(UnitOfWork(make_session_factory(engine)),
                                 datetime.combine(last, datetime.min.time(), tzinfo=UTC))
    engine.dispose()
    print(f"# rolled up {months} months of CO2e at {time.perf_counter() - started:.0f} s")
    return time.perf_counter() - started


# This database's WAL records between two LSNs, by relation (pg_walinspect, PostgreSQL 15):
# on a shared server the others' writes are left out.
WAL_BY_RELATION = """
SELECT COALESCE(c.relname, '(other)'), SUM(w.record_length)
FROM pg_get_wal_records_info(%(a)s, %(b)s) AS w
CROSS JOIN LATERAL (SELECT substring(w.block_ref from 'rel \\d+/\\d+/(\\d+)') AS node,
                           substring(w.block_ref from 'rel \\d+/(\\d+)/') AS db) AS r
LEFT JOIN pg_class c ON pg_relation_filenode(c.oid)::text = r.node
WHERE r.db = (SELECT oid::text FROM pg_database WHERE datname = current_database())
GROUP BY 1 ORDER BY 2 DESC
"""


def wal_by_relation(conn, a: str, b: str) -> dict[str, float]:
    return {name: float(size) / 2**20 for name, size in conn.execute(WAL_BY_RELATION,
                                                                      {"a": a, "b": b})}


WAL_COMPRESSION = os.environ.get("BENCH_WAL_COMPRESSION", "")


def settle_env() -> dict[str, str]:
    """The settling process's environment. BENCH_WAL_COMPRESSION unset: settlement's own choice
    (carbon/settlement_sql.py WAL_COMPRESSION: lz4 for its transactions where the server leaves
    wal_compression off and the role may set it; the bench connects as a superuser). "off":
    settlement leaves the server's setting alone. lz4, pglz or zstd: the settling sessions
    start with it (PGOPTIONS), which settlement then leaves alone."""
    env = dict(os.environ)
    if WAL_COMPRESSION not in ("", "off"):
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c wal_compression={WAL_COMPRESSION}"
    return env


def settle_night(day: date, batch: int, workers: int) -> dict:
    """Settle `day` in a child process after a CHECKPOINT; its seconds and the WAL written."""
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        # A temporary slot keeps the night's WAL for pg_walinspect until this session ends.
        conn.execute("SELECT pg_create_physical_replication_slot('bench_history_wal', true, true)")
        before = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        out = subprocess.run([sys.executable, __file__, "--settle-only", day.isoformat(),
                              "--batch", str(batch), "--workers", str(workers)],
                             capture_output=True, text=True, env=settle_env())
        if out.returncode:
            sys.exit(f"settlement failed:\n{out.stderr}")
        after, flushed = conn.execute(
            "SELECT pg_current_wal_lsn(), pg_current_wal_flush_lsn()").fetchone()
        wal = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)", (after, before)).fetchone()[0]
        # pg_walinspect reads only flushed WAL; the child's commits are flushed.
        relations = wal_by_relation(conn, before, flushed)
    print("# this database's WAL by relation (MB): " + ", ".join(
        f"{k}={v:.1f}" for k, v in list(relations.items())[:6]), flush=True)
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wal_mb": float(wal) / 2**20,
            "db_wal_mb": sum(relations.values())}


def settle_only(day: date, batch: int, workers: int) -> None:
    if WAL_COMPRESSION == "off":
        settlement_sql.WAL_COMPRESSION = ()
    engine = make_engine(URL)
    uow = UnitOfWork(make_session_factory(engine))
    started = time.perf_counter()
    at = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    report = settle_day(uow, day, at, batch_users=batch, workers=workers)
    seconds = time.perf_counter() - started
    engine.dispose()
    chosen = next(iter(settlement_sql._wal_methods.values()), None)
    print(json.dumps({"seconds": seconds, "balls": report.balls, "wal_method": chosen}))


def statement_ms(users: int, day: date, requests: int) -> float:
    """Mean latency of GET /v1/me/carbon for the 366 days up to `day`, over sample users."""
    config = Config()
    config.DATABASE_URL = URL
    config.JWT_SECRET = "bench-secret-of-at-least-32-bytes!"
    client = create_app(config).test_client()
    rng = random.Random(7)
    sample = [f"u{rng.randrange(users)}" for _ in range(50)]
    headers = {u: {"Authorization": f"Bearer {make_token(config.JWT_SECRET, u)}"} for u in sample}
    path = f"/v1/me/carbon?from={day - timedelta(days=365)}&to={day}"
    for u in sample:  # warm up pools and caches
        assert client.get(path, headers=headers[u]).status_code == 200
    times = []
    for i in range(requests):
        started = time.perf_counter()
        resp = client.get(path, headers=headers[sample[i % len(sample)]])
        times.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    return statistics.fmean(times) * 1000


def run(users: int, history_days: int, requests: int, batch: int, workers: int,
        ball_days: int) -> None:
    later = FRESH_DAY + timedelta(days=history_days + 1)
    setup(users, later)
    add_events(FRESH_DAY)
    with quiet_machine():
        fresh = settle_night(FRESH_DAY, batch, workers)
        fresh_ms = statement_ms(users, FRESH_DAY, requests)
    print(f"fresh_night users={users} balls={fresh['balls']} seconds={fresh['seconds']:.2f} "
          f"wal_mb={fresh['wal_mb']:.1f} db_wal_mb={fresh['db_wal_mb']:.1f} "
          f"statement_ms={fresh_ms:.2f}", flush=True)
    built = add_history(FRESH_DAY + timedelta(days=1), later - timedelta(days=1), ball_days)
    print(f"# built {history_days} days of history in {built:.0f} s", flush=True)
    add_events(later)
    with quiet_machine():
        night = settle_night(later, batch, workers)
        later_ms = statement_ms(users, later, requests)
    print(f"night_{history_days + 1} users={users} balls={night['balls']} "
          f"seconds={night['seconds']:.2f} wal_mb={night['wal_mb']:.1f} "
          f"db_wal_mb={night['db_wal_mb']:.1f} statement_ms={later_ms:.2f}")
    print(f"# wal_compression of the settling sessions: BENCH_WAL_COMPRESSION="
          f"{WAL_COMPRESSION or '(unset)'}, settlement set {night.get('wal_method')} "
          f"(fresh night: {fresh.get('wal_method')}) where the server's was off")
    print(f"ratios settle_seconds={night['seconds'] / fresh['seconds']:.2f} "
          f"settle_wal={night['wal_mb'] / fresh['wal_mb']:.2f} "
          f"settle_db_wal={night['db_wal_mb'] / fresh['db_wal_mb']:.2f} "
          f"statement={later_ms / fresh_ms:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--history-days", type=int, default=365,
                        help="nights between the fresh night and the measured one")
    parser.add_argument("--requests", type=int, default=300, help="statements timed per phase")
    parser.add_argument("--batch", type=int, default=20_000, help="users per batch")
    parser.add_argument("--workers", type=int, default=2, help="batches settled at once")
    parser.add_argument("--ball-days", type=int, default=62,
                        help="of the history days, the last ones that keep their balls")
    parser.add_argument("--settle-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.settle_only:
        settle_only(date.fromisoformat(args.settle_only), args.batch, args.workers)
        return
    run(args.users, args.history_days, args.requests, args.batch, args.workers,
        args.ball_days)


if __name__ == "__main__":
    main()
