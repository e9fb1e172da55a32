"""Where settlement's time goes on PostgreSQL, step by step, against the same floor as settle.py.

    .venv/bin/python bench/settle_parts.py [--users 1000000] [--events-per-user 5]

Loads the database of bench/settle.py (N users of one zone, N x events-per-user events of one
local date), then times, in one session and one statement each over all the day's users (no
batches, no workers: settle.py measures the real thing), the floor and the parts of a night:
  valuing   the events valued and capped (settlement's SELECT), read only (COUNT and SUM of
            it), then written to an unindexed table
  balls     those rows written as balls into the real table with none of its indexes (its
            checks stay), then again (table emptied) with each index added back in turn,
            ending with the table as migrations make it
  users     the users' CO2e totals added (settlement's UPDATE)
The floor is timed first and last (the machine drifts); each part is then printed with its
seconds, the WAL it wrote and its cost in floors (the mean of the two). The parts are single
statements on one core; settle.py's run settles batches on CANOPY_SETTLE_WORKERS cores.
"""

from __future__ import annotations

import argparse
import re
import time
from datetime import timedelta

import psycopg
import settle as bench  # bench/settle.py: same database, same data, same floor

from carbon import settlement_sql as sql
from carbon.domain import account as domain

ZONE = "Asia/Shanghai"
# The balls table's indexes as migrations make them, added back in this order.
INDEXES = [
    ("pk_balls", "ALTER TABLE balls ADD CONSTRAINT pk_balls PRIMARY KEY (id)"),
    ("uq_balls_settlement_user_date_type",
     "CREATE UNIQUE INDEX uq_balls_settlement_user_date_type ON balls "
     "(local_date, user_id, activity_type) WHERE kind = 'settlement'"),
    ("ix_balls_user_open", "CREATE INDEX ix_balls_user_open ON balls (user_id) "
     "WHERE status = 'open'"),
    ("ix_balls_open_expiry", "CREATE INDEX ix_balls_open_expiry ON balls (expires_at) "
     "WHERE status = 'open'"),
]


def literal_params(conn: psycopg.Connection) -> dict[str, str]:
    """settlement_sql's parameters as SQL literals, the batch being every user of the zone."""
    first, last = conn.execute("SELECT MIN(id), MAX(id) FROM users").fetchone()
    d = bench.DAY
    start = domain.month_start(d)
    values = {"d": d, "tz": ZONE, "month_start": start,
              "next_month": (start + timedelta(days=32)).replace(day=1),
              "ripe": domain.ripe_at(d, ZONE), "exp": domain.expires_at(d, ZONE),
              "now": bench.SETTLE_AT, "first": first, "last": last, "bid": 1}
    return {k: "NULL" if v is None else v if isinstance(v, int) else f"'{v}'"
            for k, v in values.items()}


def bind(source: str, params: dict[str, str]) -> str:
    return re.sub(r"(?<!:):(\w+)", lambda m: str(params.get(m.group(1), m.group(0))), source)


def timed(conn: psycopg.Connection, label: str, statement: str, results: list) -> None:
    conn.execute("CHECKPOINT")
    before = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    started = time.perf_counter()
    conn.execute(statement)
    seconds = time.perf_counter() - started
    wal = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (before,)).fetchone()[0]
    print(f"# {label:<44} seconds={seconds:6.2f} wal_mb={float(wal) / 1e6:5.0f}", flush=True)
    results.append((label, seconds, float(wal) / 1e6))


def floor(conn: psycopg.Connection, label: str, table: str, results: list) -> None:
    conn.execute(bench.FLOOR_TABLE.format(table=table))
    timed(conn, label, bench.FLOOR.format(table=table), results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--events-per-user", type=int, default=5)
    args = parser.parse_args()
    bench.recreate_database()
    bench.load(args.users, args.events_per_user)
    floors: list = []
    parts: list = []
    with psycopg.connect(bench.URL, autocommit=True) as conn:
        params = literal_params(conn)
        floor(conn, "floor, first", "floor_first", floors)
        # Settlement's plan settings (settlement_sql.tune_batch_transaction, ball_insert_plan).
        for setting in ("jit = off", "work_mem = '64MB'", "enable_nestloop = off",
                        "enable_seqscan = off"):
            conn.execute(f"SET {setting}")
        # SUM(g) makes PostgreSQL compute every aggregate and cap (COUNT(*) alone would not).
        timed(conn, "valuing, read only (COUNT, SUM of it)",
              f"SELECT COUNT(*), SUM(c.g) FROM ({bind(sql._CAPPED, params)}) AS c", parts)
        conn.execute("CREATE TABLE valued (user_id bigint, activity_type varchar(32), g bigint)")
        timed(conn, "valuing, written to an unindexed table",
              "INSERT INTO valued " + bind(sql._CAPPED, params), parts)
        conn.execute("SET enable_seqscan = on")
        conn.execute("DELETE FROM valued WHERE g <= 0")
        conn.execute("VACUUM ANALYZE valued")
        for name, _ in reversed(INDEXES):
            conn.execute(f"ALTER TABLE balls DROP CONSTRAINT IF EXISTS {name} CASCADE")
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        balls = bind(sql._INSERT_BALLS.split("FROM (")[0], params) + "FROM valued c"
        timed(conn, "balls: rows only (no index)", balls, parts)
        for name, create in INDEXES:
            conn.execute("TRUNCATE balls CASCADE")
            conn.execute(create)
            timed(conn, f"balls: + {name}", balls, parts)
        timed(conn, "users: CO2e totals added",
              "UPDATE users SET co2e_total_g = users.co2e_total_g + s.g FROM (SELECT user_id, "
              "SUM(g) AS g FROM valued GROUP BY user_id) AS s WHERE users.id = s.user_id", parts)
        floor(conn, "floor, last", "floor_last", floors)
    base = sum(seconds for _, seconds, _ in floors) / len(floors)
    print(f"users={args.users} floor_seconds={base:.2f} (first {floors[0][1]:.2f}, "
          f"last {floors[1][1]:.2f})")
    for label, seconds, wal_mb in parts:
        print(f"{label:<44} seconds={seconds:6.2f} wal_mb={wal_mb:5.0f} "
              f"floors={seconds / base:.2f}")


if __name__ == "__main__":
    main()
