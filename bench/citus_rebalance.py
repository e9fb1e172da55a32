"""Growing the cluster under load: a third worker and a rebalance while the API serves reads.

    CITUS_PORT=9700 .venv/bin/python bench/citus_rebalance.py [--rate 20] [--users 2000]
                                                              [--before 10] [--after 10]

Needs the local cluster (`make citus-up`). Creates the database canopy_bench_grow on the
coordinator and two workers, migrates it, seeds bench/api_load.py's forest (users on a ring of
friends, 3 ripe balls each) on the schema migration 0026_citus distributed, and starts the server (`python -m
api.server.supervisor`) on the coordinator. Then an open-loop load of `--rate` requests/s runs in three
phases: `--before` seconds; during db/citus/rebalance.sh (a third worker started and added,
citus_rebalance_start, waited for); `--after` seconds. Prints each phase's requests, errors and
latencies, and the shard placement per node before and after.

The load is the GET routes that answer on the prototype schema (READS below): the application
cannot write it yet (a steal creates the thief's ledger account with ON CONFLICT (user_id,
code), which the distributed schema no longer has) and a friend's balls fail on a join that is
not co-located (db/citus/README.md). Once the services write the distributed schema, --steals
runs api_load.py's rush mix instead (friends' balls, my balls, steals) to show writes during the
moves.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import api_load  # noqa: E402  bench/api_load.py: its seed, its load generator
from citus_common import CITUS_PORT, distribute, fresh_cluster_database, placement, print_placement  # noqa: E402
from common import free_port, start_server  # noqa: E402

DB_NAME = "canopy_bench_grow"
REBALANCE_SH = ROOT / "db" / "citus" / "rebalance.sh"
LOG = Path(tempfile.gettempdir()) / "canopy-bench-grow-server.log"
# The GET routes that answer on the prototype schema (a friend's balls and /v1/me/farm do not:
# their joins are not co-located yet, db/citus/README.md), weighted like a phone's home screen.
READS = {"my_balls": ("/v1/me/balls", 30), "my_friends": ("/v1/me/friends", 20),
         "leaderboard": ("/v1/me/leaderboard?period=day", 20), "feed": ("/v1/me/feed", 10),
         "carbon": ("/v1/me/carbon", 10), "public_stats": ("/v1/public/stats", 10)}


class ReadLoad(api_load.Load):
    """api_load.py's open-loop generator sending READS instead of the rush's mix."""

    def request_for(self, rng):
        kind = rng.choices(list(READS), weights=[w for _, w in READS.values()])[0]
        return kind, "GET", READS[kind][0], rng.randrange(self.users)


def rebalance_in_thread(workers: int, mode: str) -> tuple[threading.Thread, dict]:
    """db/citus/rebalance.sh in a thread; the dict gets its output, return code and seconds."""
    result: dict = {}
    env = dict(os.environ, CITUS_PORT=str(CITUS_PORT), CITUS_DB=DB_NAME,
               CITUS_WORKERS=str(workers), CITUS_TRANSFER_MODE=mode)

    def run() -> None:
        started = time.perf_counter()
        out = subprocess.run([str(REBALANCE_SH)], env=env, capture_output=True, text=True)
        result.update(output=out.stdout + out.stderr, code=out.returncode,
                      seconds=time.perf_counter() - started)

    thread = threading.Thread(target=run, name="rebalance")
    thread.start()
    return thread, result


def load_class(args) -> type[api_load.Load]:
    return api_load.Load if args.steals else ReadLoad


def run_phase(port: int, args, balls, seconds: float | None, seed: int,
              until: threading.Thread | None = None) -> tuple[api_load.Load, float]:
    """The load for `seconds`, or in 2 s slices until `until` has ended; (load, seconds)."""
    load = load_class(args)(port, args.users, args.friends, balls)
    elapsed = 0.0
    while True:
        elapsed += load.run(args.rate, 2.0 if until else seconds, seed, args.clients)
        seed += 1
        if until is None or not until.is_alive():
            return load, elapsed


def count_errors(load: api_load.Load) -> int:
    return sum(1 for rows in load.results.values() for s, _ in rows
               if not (200 <= s < 300 or s in api_load.REFUSALS or s == api_load.SKIPPED))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--friends", type=int, default=10)
    parser.add_argument("--before", type=float, default=10)
    parser.add_argument("--after", type=float, default=10)
    parser.add_argument("--workers-after", type=int, default=3)
    parser.add_argument("--mode", default="auto", help="shard_transfer_mode")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--steals", action="store_true",
                        help="api_load.py's whole mix, steals included (needs a writing app)")
    return parser.parse_args()


def grow_under_load(args, url: str, balls) -> tuple[list, dict]:
    """The server on the coordinator, the load before, during and after rebalance.sh:
    ([(phase, load, seconds)], rebalance.sh's result)."""
    port = free_port()
    server = start_server(url, port, 2, log_path=LOG,
                          extra_env={"CANOPY_JWT_SECRET": api_load.SECRET})
    try:
        load_class(args)(port, args.users, args.friends, balls).run_sequential(50, 98)  # warm-up
        phases = [("before", *run_phase(port, args, balls, args.before, 1))]
        thread, rebalance = rebalance_in_thread(args.workers_after, args.mode)
        phases.append(("during", *run_phase(port, args, balls, None, 100, until=thread)))
        thread.join()
        phases.append(("after", *run_phase(port, args, balls, args.after, 1000)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return phases, rebalance


def main() -> int:
    args = parse_args()
    if not args.steals:
        api_load.MIX = tuple((kind, weight) for kind, (_, weight) in READS.items())
    load_before = os.getloadavg()[0]
    url = fresh_cluster_database(DB_NAME, workers=2)
    balls = api_load.seed(url, args.users, args.friends, datetime.now(UTC))
    distribute(url)
    before = placement(url)
    phases, rebalance = grow_under_load(args, url, balls)
    print(f"loadavg_1min_before={load_before:.2f} loadavg_1min_after={os.getloadavg()[0]:.2f} "
          f"cpus={os.cpu_count()} rate={args.rate} users={args.users} mode={args.mode} "
          f"mix={'+'.join(k for k, _ in api_load.MIX)}")
    for label, load, elapsed in phases:
        api_load.report(load, elapsed, label)
    print("errors: " + " ".join(f"{label}={count_errors(load)}" for label, load, _ in phases))
    print(f"rebalance.sh: exit={rebalance['code']} seconds={rebalance['seconds']:.1f}")
    print(rebalance["output"].rstrip())
    print_placement("before", before)
    print_placement("after", placement(url))
    return 0 if rebalance["code"] == 0 and not sum(count_errors(p[1]) for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
