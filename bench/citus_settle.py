"""Settlement on the cluster: where a batch's statements run, and a night's seconds.

    CITUS_PORT=9700 .venv/bin/python bench/citus_settle.py [--users 10000] [--events-per-user 5]
                    [--batch 5000] [--workers 1,2] [--history-days 8] [--explain-only]

Needs the local cluster (`make citus-up`). For each settlement worker count, a fresh database
on the cluster (migrated to head: 0026_citus distributes it, db/citus_layout.py) gets
bench/settle.py's data: N users of Asia/Shanghai, N x events-per-user events of one local date
(COPYed into the shards; its events/s is printed) and `--history-days` earlier nights of the
same month settled (3 balls per user and night, and their settlement runs). Then settle_day
settles the date (on Citus every batch takes the step-by-step path, settlement's
`_insert_step_by_step`); its seconds and users/s are printed.

Before the first settlement it prints the EXPLAIN of what a batch runs on the cluster, with
the parameters the first batch gets (built as settlement builds them): the INSERT of the balls
(settlement_sql.INSERT_BALLS, in full), then the batch's other statements (summary lines).
A batch's INSERT ... SELECT runs on the shards when the plan says "INSERT/SELECT method:
pushdown" (or shows no method: one task per shard, "Task Count"); "pull to coordinator" or
"repartition" would mean rows travel through the coordinator. The parameters are written in
as literals: that is the plan Citus makes for each execution (it plans a statement with
parameters again for their values).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import settle as bench  # noqa: E402  bench/settle.py: its day, its events
from citus_common import distribute, fresh_cluster_database  # noqa: E402

from carbon import ball_ids  # noqa: E402
from carbon import settlement_sql as sql  # noqa: E402
from carbon.services import ledger, settlement  # noqa: E402
from carbon.services.catalog import seed_default_methodology  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

ZONE = "Asia/Shanghai"
DB_NAME = "canopy_bench_settle_cluster"
SUMMARY = ("Custom Scan", "Task Count", "INSERT/SELECT method", "Subplan", "Tasks Shown",
           "Node:", "Insert on", "Update on", "Result")
WIDTH = 240


def load(url: str, users: int, per_user: int) -> float:
    """The methodology, the ledger's system accounts (through the service, as on any night),
    `users` users of ZONE with their external ids claimed, and their events; the events'
    COPY seconds."""
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    seed_default_methodology(uow, bench.NOON)
    with uow:
        for code in (ledger.ISSUED, ledger.BALLS):
            ledger.account(uow.session, code)
        uow.commit()
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy("COPY users (external_id, timezone, co2e_total_g, created_at) "
                                "FROM STDIN") as copy:
            copy.write("".join(f"u{i}\t{ZONE}\t0\t2026-01-01 00:00:00+00\n"
                               for i in range(users)))
        conn.execute("INSERT INTO user_external_ids (external_id, user_id) "
                     "SELECT external_id, id FROM users")
        first_id = conn.execute("SELECT MIN(id) FROM users").fetchone()[0]
        rows = ["".join(bench._event_rows(range(start, min(users, start + 20_000)), first_id,
                                          per_user)) for start in range(0, users, 20_000)]
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY activity_events ({bench.EVENT_COLUMNS}) "
                                "FROM STDIN") as copy:
            for chunk in rows:
                copy.write(chunk)
        return time.perf_counter() - started


def batch_params(url: str, batch: int) -> tuple[bool, bool, dict]:
    """What the first batch of the night gets, built as settlement._issue_batch builds it:
    (adds carbon_days, adds totals, parameters)."""
    with psycopg.connect(url) as conn:
        first, last = conn.execute(
            "SELECT MIN(id), MAX(id) FROM (SELECT id FROM users WHERE timezone = %s "
            "ORDER BY id LIMIT %s) AS b", (ZONE, batch)).fetchone()
        through, days_through = conn.execute(
            "SELECT through, days_through FROM co2e_rollup").fetchone() or (None, None)
        params = settlement._Day(bench.DAY, ZONE, bench.SETTLE_AT).params()
    lo, hi = ball_ids.user_range(bench.DAY, first, last)
    params.update(first=first, last=last, bid=1, base=ball_ids.day_base(bench.DAY), lo=lo, hi=hi)
    add_days = settlement._at_or_before(bench.DAY, days_through)
    add_totals = settlement._at_or_before(bench.DAY, through)
    return add_days, add_totals, params


def literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return f"'{value.isoformat() if hasattr(value, 'isoformat') else value}'"


def bind(source: str, params: dict) -> str:
    return re.sub(r"(?<!:):(\w+)",
                  lambda m: literal(params[m.group(1)]) if m.group(1) in params else m.group(0),
                  source)


def explain(url: str, statement, params: dict, label: str, full: bool) -> list[str]:
    """EXPLAIN of `statement` with `params` written in, printed whole or only the lines that
    say where it runs; its lines."""
    with psycopg.connect(url) as conn:
        lines = [r[0] for r in conn.execute("EXPLAIN " + bind(statement.text, params))]
    print(f"-- EXPLAIN {label}")
    for line in lines:
        if full or any(key in line for key in SUMMARY):
            # The ranges of the nights read from balls make lines of thousands of characters.
            print(line if len(line) <= WIDTH else line[:WIDTH] + " ...")
    return lines


def explain_batch(url: str, batch: int) -> None:
    add_days, add_totals, params = batch_params(url, batch)
    print(f"# first batch: users {params['first']}..{params['last']}")
    explain(url, sql.INSERT_BALLS, params, "INSERT balls (INSERT_BALLS)", True)
    for name in ("ADD_CAPPED", "BATCH_TOTALS", "ADD_CO2E_TOTALS", "ADD_CARBON_DAYS"):
        explain(url, getattr(sql, name), params, f"{name} (summary)", False)
    explain(url, sql.COUNT_PUBLIC_CO2E, {**params, "g": 1}, "COUNT_PUBLIC_CO2E (summary)",
            False)
    print(f"# this night: adds carbon_days {add_days}, adds users' totals {add_totals}")


def settle(url: str, batch: int, workers: int) -> dict:
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    try:
        started = time.perf_counter()
        report = settlement.settle_day(uow, bench.DAY, bench.SETTLE_AT, batch_users=batch,
                                       workers=workers)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return {"seconds": seconds, "balls": report.balls, "energy_g": report.energy_g,
            "batches": sum(z.batches for z in report.zones)}


def run_case(workers: int, args, explain_first: bool) -> dict | None:
    url = fresh_cluster_database(DB_NAME, workers=2)
    copied = load(url, args.users, args.events_per_user)
    bench.add_history(args.history_days, url)
    distribute(url)  # ANALYZE
    print(f"copy: events={args.users * args.events_per_user} "
          f"events_per_s={args.users * args.events_per_user / copied:.0f}", flush=True)
    if explain_first:
        explain_batch(url, args.batch)
    if args.explain_only:
        return None
    done = settle(url, args.batch, workers)
    print(f"settle workers={workers}: seconds={done['seconds']:.2f} "
          f"users_per_s={args.users / done['seconds']:.0f} batches={done['batches']} "
          f"balls={done['balls']} energy_g={done['energy_g']} "
          f"loadavg_1min={os.getloadavg()[0]:.2f}", flush=True)
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--events-per-user", type=int, default=5)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--workers", default="1,2", help="settlement workers, one run each")
    parser.add_argument("--history-days", type=int, default=8,
                        help="earlier nights of the month already settled (at most 8)")
    parser.add_argument("--explain-only", action="store_true")
    args = parser.parse_args()
    if not 0 <= args.history_days < bench.DAY.day:
        parser.error(f"--history-days: 0 to {bench.DAY.day - 1} (the month's earlier nights)")
    print(f"loadavg_1min_before={os.getloadavg()[0]:.2f} cpus={os.cpu_count()} "
          f"users={args.users} events={args.users * args.events_per_user} batch={args.batch} "
          f"history_days={args.history_days}")
    energies = set()
    for i, workers in enumerate(int(w) for w in args.workers.split(",")):
        done = run_case(workers, args, explain_first=i == 0)
        if done is None:
            return 0
        energies.add(done["energy_g"])
    print("same energy in every run" if len(energies) == 1 else f"energies differ: {energies}")
    return 0 if len(energies) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
