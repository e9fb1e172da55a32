"""Settlement benchmark on PostgreSQL: the real settle_day against a bare GROUP BY "floor".

    .venv/bin/python bench/settle.py --users 100000,1000000 [--events-per-user 5] [--batch 20000]
                                     [--workers 2] [--history-days 0]

For each size: recreates the database canopy_bench_settle (migrations, default methodology),
COPYs N users of one zone and N x events-per-user events of one local date (a realistic mix of
types, some utility bills with an account_no), VACUUM ANALYZEs, then settles the date with
carbon.services.settlement.settle_day in a child process (its time and peak RSS are its own),
then times the floor: one INSERT INTO a scratch table SELECT ... GROUP BY of the same events.
--history-days N first gives every user N earlier days of collected balls (3 a day), as a
database that has been settling for N nights has: settlement must not get slower with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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
    fresh_database,
    monthly_partitions,
)

from carbon.ball_ids import day_base  # noqa: E402
from carbon.services.catalog import seed_default_methodology  # noqa: E402
from carbon.services.settlement import settle_day  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

# BENCH_DB: a database of one's own on a shared server.
DB_NAME = os.environ.get("BENCH_DB", "canopy_bench_settle")
URL = f"{SERVER}/{DB_NAME}{DB_SUFFIX}"
DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # noon in Shanghai on DAY
SETTLE_AT = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # 01:00 in Shanghai the next day
# Each user's 5 events are drawn from the realistic mix (about 3.5 balls per user).
MIX = EVENT_MIX
EVENT_COLUMNS = ("source, source_event_id, user_id, activity_type, quantity, occurred_at, "
                 "local_date, attributes, payload_hash, dedupe_key, received_at")


def recreate_database() -> None:
    fresh_database(DB_NAME)
    monthly_partitions(URL, DAY - timedelta(days=400), DAY)
    engine = make_engine(URL)
    seed_default_methodology(UnitOfWork(make_session_factory(engine)), NOON)
    engine.dispose()


def load(users: int, per_user: int) -> None:
    with psycopg.connect(URL, autocommit=True) as conn:
        with conn.cursor().copy("COPY users (external_id, timezone, co2e_total_g, created_at) "
                                "FROM STDIN") as copy:
            for start in range(0, users, 50_000):
                copy.write("".join(f"u{i}\tAsia/Shanghai\t0\t2026-01-01 00:00:00+00\n"
                                   for i in range(start, min(users, start + 50_000))))
        first_id = conn.execute("SELECT MIN(id) FROM users").fetchone()[0]
        with conn.cursor().copy(f"COPY activity_events ({EVENT_COLUMNS}) FROM STDIN") as copy:
            for start in range(0, users, 20_000):
                copy.write("".join(_event_rows(range(start, min(users, start + 20_000)),
                                               first_id, per_user)))
        conn.execute("VACUUM (ANALYZE) users")
        conn.execute("VACUUM (ANALYZE) activity_events")


def _event_rows(user_numbers: range, first_id: int, per_user: int):
    rng = random.Random(user_numbers.start)
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    for u in user_numbers:
        for k, kind in enumerate(rng.choices(kinds, weights, k=per_user)):
            quantity = rng.randrange(1_000, 30_000) if kind == "walk" else 1
            at = (NOON + timedelta(seconds=k * 60 + u % 3600)).isoformat()
            key = f"acct-{rng.randrange(3)}" if kind == "utility_bill" else "\\N"
            attrs = f'{{"account_no": "{key}"}}' if kind == "utility_bill" else "{}"
            yield (f"bench\t{u}-{k}\t{first_id + u}\t{kind}\t{quantity}\t{at}\t{DAY}\t{attrs}\t"
                   f"h\t{key}\t{at}\n")


def add_history(days: int, url: str = URL) -> None:
    """`days` earlier local dates of 3 collected settlement balls per user (as settled nights
    leave them) and their settlement runs (the monthly allowance reads the balls of the dates
    a settlement started), then VACUUM ANALYZE. `url`: another database (bench/citus_settle.py's
    on the cluster)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for back in range(1, days + 1):
            d = DAY - timedelta(days=back)
            conn.execute(
                "INSERT INTO balls (id, user_id, kind, activity_type, local_date, co2e_g, "
                "energy_g, remaining_g, stolen_g, collected_g, stealable, status, ripe_at, "
                "expires_at, created_at) SELECT %(base)s + u.id * 64 + t.r, u.id, 'settlement', "
                "t.k, %(d)s, 50, 50, 0, 0, 50, TRUE, 'collected', %(at)s, %(at)s, %(at)s "
                "FROM users u CROSS JOIN (VALUES ('offline_payment', 0), ('metro_ride', 1), "
                "('bus_ride', 2)) AS t(k, r)",
                {"d": d, "base": day_base(d), "at": NOON - timedelta(days=back)})
            conn.execute("INSERT INTO settlement_runs (local_date, timezone, started_at, "
                         "completed_at) VALUES (%(d)s, 'Asia/Shanghai', %(at)s, %(at)s)",
                         {"d": d, "at": NOON - timedelta(days=back - 1)})
        conn.execute("VACUUM (ANALYZE) balls")


def settle_in_child(batch: int, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--settle-only", "--batch", str(batch),
                          "--workers", str(workers)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"settlement failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def settle_only(batch: int, workers: int) -> None:
    engine = make_engine(URL)
    uow = UnitOfWork(make_session_factory(engine))
    started = time.perf_counter()
    report = settle_day(uow, DAY, SETTLE_AT, batch_users=batch, workers=workers)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    engine.dispose()
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "balls": report.balls,
                      "energy_g": report.energy_g, "batches": report.zones[0].batches}))


# The floor: one bare INSERT ... SELECT ... GROUP BY, one row per user, date and type, into an
# unindexed table made by FLOOR_TABLE (bench/settle_parts.py times the same statement).
FLOOR_TABLE = ("CREATE TABLE {table} (user_id bigint, local_date date, activity_type varchar(32), "
               "quantity bigint)")
FLOOR = ("INSERT INTO {table} SELECT user_id, local_date, activity_type, SUM(quantity) "
         f"FROM activity_events WHERE local_date = '{DAY}' GROUP BY 1, 2, 3")


def floor_seconds() -> float:
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS floor_scratch")
        conn.execute(FLOOR_TABLE.format(table="floor_scratch"))
        started = time.perf_counter()
        conn.execute(FLOOR.format(table="floor_scratch"))
        return time.perf_counter() - started


def run(users: int, per_user: int, batch: int, workers: int, history_days: int) -> None:
    recreate_database()
    started = time.perf_counter()
    load(users, per_user)
    add_history(history_days)
    print(f"# loaded {users} users, {users * per_user} events in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    settled = settle_in_child(batch, workers)
    floor = floor_seconds()
    print(f"# balls={settled['balls']} energy_g={settled['energy_g']} "
          f"batches={settled['batches']} batch_users={batch} workers={workers} "
          f"history_days={history_days}")
    print(f"settle_users={users} events={users * per_user} seconds={settled['seconds']:.2f} "
          f"floor_seconds={floor:.2f} ratio={settled['seconds'] / floor:.2f} "
          f"peak_rss_mb={settled['peak_rss_mb']:.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="100000", help="comma separated sizes")
    parser.add_argument("--events-per-user", type=int, default=5)
    parser.add_argument("--batch", type=int, default=20_000, help="users per batch")
    parser.add_argument("--workers", type=int, default=2, help="batches settled at once")
    parser.add_argument("--history-days", type=int, default=0,
                        help="earlier settled days of balls per user before the run")
    parser.add_argument("--settle-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.settle_only:
        settle_only(args.batch, args.workers)
        return
    for size in (int(s) for s in args.users.split(",")):
        run(size, args.events_per_user, args.batch, args.workers, args.history_days)


if __name__ == "__main__":
    main()
