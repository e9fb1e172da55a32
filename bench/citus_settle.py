"""Settlement where the data is: a night on one node against the same night on the cluster.

    CITUS_PORT=9700 .venv/bin/python bench/citus_settle.py [--users 100000]
                                                           [--events-per-user 5] [--batch 20000]

Needs the local cluster (`make citus-up`). For each case, a database on the cluster gets
bench/settle.py's data (N users of Asia/Shanghai, N x events-per-user events of one local date)
and settle_day (one worker) settles the date; its seconds and users/s are printed:

- one node, PostgreSQL path: the tables stay local on the coordinator (plain PostgreSQL tables
  under the Citus planner) and a batch is today's one statement (settlement_sql.one_statement);
- one node, split path: the same, but a batch runs the four statements Citus needs
  (INSERT_BALLS, BATCH_TOTALS, ADD_CO2E_TOTALS, ADD_CARBON_DAYS: settlement's SQLite path);
- cluster, split path: distributed by migration 0026_citus (db/citus_layout.py).
Since 0026_citus distributes every database that has the citus extension, the "one node" cases
are distributed too now (not re-measured since): compare with bench/settle.py on a plain
PostgreSQL for one server.

Before settling the cluster it prints the EXPLAIN of a batch's statements there: INSERT_BALLS
once with balls.id's nextval() default (pulled to the coordinator) and in full without it (one
task per shard). The users and the ledger's system accounts are made while the tables are still
local (the application does not write the distributed schema's keys yet); the events are
COPYed afterwards, into the shards on the cluster, and that COPY's events/s is printed too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import settle as bench  # noqa: E402  bench/settle.py: its day, its events
import settle_parts as parts  # noqa: E402  its literal parameters
from citus_common import distribute, fresh_cluster_database  # noqa: E402

from carbon import settlement_sql as sql  # noqa: E402
from carbon.services import ledger, settlement  # noqa: E402
from carbon.services.catalog import seed_default_methodology  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

ZONE = "Asia/Shanghai"
CASES = (("one_node", "pg", False), ("one_node", "split", False), ("cluster", "split", True))
SUMMARY = ("Custom Scan", "Task Count", "INSERT/SELECT method", "Subplan", "Tasks Shown")


def load_users(url: str, users: int) -> None:
    """The methodology, the ledger's system accounts and `users` users of ZONE."""
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    seed_default_methodology(uow, bench.NOON)
    with uow:
        for code in (ledger.ISSUED, ledger.BALLS):
            ledger.account(uow.session, code)
        uow.commit()
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor().copy(
            "COPY users (external_id, timezone, co2e_total_g, created_at) FROM STDIN") as copy:
        copy.write("".join(f"u{i}\t{ZONE}\t0\t2026-01-01 00:00:00+00\n" for i in range(users)))


def copy_events(url: str, users: int, per_user: int) -> float:
    """bench/settle.py's events of the day by COPY (into the shards once distributed); the
    seconds the COPY took, the rows made beforehand."""
    with psycopg.connect(url, autocommit=True) as conn:
        first_id = conn.execute("SELECT MIN(id) FROM users").fetchone()[0]
        rows = ["".join(bench._event_rows(range(start, min(users, start + 20_000)), first_id,
                                          per_user)) for start in range(0, users, 20_000)]
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY activity_events ({bench.EVENT_COLUMNS}) "
                                "FROM STDIN") as copy:
            for chunk in rows:
                copy.write(chunk)
        seconds = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE activity_events")
        return seconds


def explain(url: str, statement, label: str, full: bool) -> None:
    """EXPLAIN of `statement` for a batch of every user, printed whole or only the lines that
    say where it runs. The parameters are written in as literals (settle_parts.py): Citus does
    not plan an EXPLAIN of a statement with bound parameters."""
    with psycopg.connect(url) as conn:
        source = parts.bind(statement.text, parts.literal_params(conn))
        lines = [r[0] for r in conn.execute("EXPLAIN " + source)]
    print(f"-- EXPLAIN {label}")
    for line in lines:
        if full or any(key in line for key in SUMMARY):
            print(line)


def explain_batch(url: str) -> None:
    explain(url, sql.INSERT_BALLS, "INSERT_BALLS (ball ids computed from date, user, rank)", True)
    statements = {name: getattr(sql, name)
                  for name in ("BATCH_TOTALS", "ADD_CO2E_TOTALS", "ADD_CARBON_DAYS")}
    # A late night's one statement (plain PostgreSQL only): balls, carbon_days, users' totals.
    statements["one_statement(late night)"] = sql.one_statement(True, 0, True, True)
    for name, statement in statements.items():
        explain(url, statement, f"{name} (summary)", False)


def settle(url: str, path: str, batch: int) -> dict:
    """settle_day with one worker; the split path is the one settlement takes off PostgreSQL."""
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    original = settlement.is_postgres
    if path == "split":
        settlement.is_postgres = lambda s: False
    try:
        started = time.perf_counter()
        report = settlement.settle_day(uow, bench.DAY, bench.SETTLE_AT, batch_users=batch)
        seconds = time.perf_counter() - started
    finally:
        settlement.is_postgres = original
        engine.dispose()
    return {"seconds": seconds, "balls": report.balls, "energy_g": report.energy_g}


def run_case(where: str, path: str, distributed: bool, args) -> dict:
    """A fresh database for the case, its data, (on the cluster) its EXPLAIN; the settlement."""
    url = fresh_cluster_database(f"canopy_bench_settle_{where}", workers=2)
    load_users(url, args.users)
    if distributed:
        distribute(url)
    copied = copy_events(url, args.users, args.events_per_user)
    if distributed:
        explain_batch(url)
    done = settle(url, path, args.batch)
    print(f"copy {where}: events_per_s={args.users * args.events_per_user / copied:.0f}")
    print(f"settle {where} {path}: seconds={done['seconds']:.2f} "
          f"users_per_s={args.users / done['seconds']:.0f} balls={done['balls']} "
          f"energy_g={done['energy_g']} loadavg_1min={os.getloadavg()[0]:.2f}", flush=True)
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--events-per-user", type=int, default=5)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()
    print(f"loadavg_1min_before={os.getloadavg()[0]:.2f} cpus={os.cpu_count()} "
          f"users={args.users} events={args.users * args.events_per_user} batch={args.batch}")
    results = []
    for where, path, distributed in CASES:
        done = run_case(where, path, distributed, args)
        results.append((where, path, done))
    base = results[0][2]["seconds"]
    for where, path, done in results:
        print(f"ratio {where} {path} / one_node pg = {done['seconds'] / base:.2f}")
    energies = {done["energy_g"] for _, _, done in results}
    print("same energy in every case" if len(energies) == 1 else f"energies differ: {energies}")
    return 0 if len(energies) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
