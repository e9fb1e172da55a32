"""Growing the cluster under load: a third worker and a rebalance while the API reads and writes.

    CITUS_PORT=9700 .venv/bin/python bench/citus_rebalance.py [--rate 20] [--users 2000]
                    [--before 10] [--after 10] [--mode auto] [--reads-only] [--keep]

Needs the local cluster (`make citus-up`). Creates the database canopy_bench_grow on the
coordinator and two workers, migrated to head (0026_citus distributes it), seeds
bench/api_load.py's forest (users on a ring of friends, 3 ripe balls each) and starts the
server (`python -m api.server.supervisor`) on the coordinator. Then an open-loop load of
`--rate` requests/s of api_load.py's rush mix (friends' balls, my balls, steals: writes to
balls, steals and the ledger's shards) runs in three phases: `--before` seconds; during
db/citus/rebalance.sh (a third worker started and added, citus_rebalance_start, waited for),
`--during` seconds from its start and on until it has ended; `--after` seconds.
`--reads-only` sends READS (GET routes only) instead.

Prints each phase's requests, errors and latencies per route; each error by phase, route,
status and the first line of its answer; the tracebacks in the server's log; the ledger's
reconcile; and the shard placement per node before and after. Unless --keep, the database is
then dropped on every node: the third worker is in no other database's node list (node
metadata is per database), so the cluster is back to its two workers for the others (the
node's server itself runs on; db/citus/cluster.sh down stops every node).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import api_load  # noqa: E402  bench/api_load.py: its seed, its load generator
from citus_common import (  # noqa: E402
    CITUS_PORT,
    distribute,
    drop_everywhere,
    fresh_cluster_database,
    placement,
    print_placement,
)
from common import free_port, start_server  # noqa: E402

from carbon.services.reconcile import reconcile  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

DB_NAME = "canopy_bench_grow"
REBALANCE_SH = ROOT / "db" / "citus" / "rebalance.sh"
LOG = Path(tempfile.gettempdir()) / "canopy-bench-grow-server.log"
# GET routes only (--reads-only, and bench/citus_reads.py), weighted like a phone's home screen.
READS = {"my_balls": ("/v1/me/balls", 30), "my_friends": ("/v1/me/friends", 20),
         "leaderboard": ("/v1/me/leaderboard?period=day", 20), "feed": ("/v1/me/feed", 10),
         "carbon": ("/v1/me/carbon", 10), "public_stats": ("/v1/public/stats", 10)}


class ReadLoad(api_load.Load):
    """api_load.py's open-loop generator sending READS instead of the rush's mix."""

    def request_for(self, rng):
        kind = rng.choices(list(READS), weights=[w for _, w in READS.values()])[0]
        return kind, "GET", READS[kind][0], rng.randrange(self.users)


def rebalance_in_thread(workers: int, mode: str, timeout: int) -> tuple[threading.Thread, dict]:
    """db/citus/rebalance.sh in a thread; the dict gets its output, return code and seconds."""
    result: dict = {}
    env = dict(os.environ, CITUS_PORT=str(CITUS_PORT), CITUS_DB=DB_NAME,
               CITUS_WORKERS=str(workers), CITUS_TRANSFER_MODE=mode,
               CITUS_REBALANCE_TIMEOUT=str(timeout))

    def run() -> None:
        started = time.perf_counter()
        out = subprocess.run([str(REBALANCE_SH)], env=env, capture_output=True, text=True)
        result.update(output=out.stdout + out.stderr, code=out.returncode,
                      seconds=time.perf_counter() - started)

    thread = threading.Thread(target=run, name="rebalance")
    thread.start()
    return thread, result


def load_class(args) -> type[api_load.Load]:
    return ReadLoad if args.reads_only else api_load.Load


def run_phase(port: int, args, balls, seconds: float, seed: int,
              until: threading.Thread | None = None) -> tuple[api_load.Load, float]:
    """The load for `seconds`, then in 2 s slices until `until` has ended; (load, seconds).
    The first run is one open-loop schedule: a slice waits for its last answer before the
    next starts, so requests blocked by a shard move would thin out the load of short slices."""
    load = load_class(args)(port, args.users, args.friends, balls)
    elapsed = 0.0
    while True:
        elapsed += load.run(args.rate, seconds, seed, args.clients)
        seed, seconds = seed + 1, 2.0
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
    parser.add_argument("--during", type=float, default=30,
                        help="seconds of load from the rebalance's start (more while it runs)")
    parser.add_argument("--after", type=float, default=10)
    parser.add_argument("--workers-after", type=int, default=3)
    parser.add_argument("--mode", default="auto",
                        help="shard_transfer_mode: auto (logical replication) or block_writes")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds the rebalance may take before it is stopped")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--reads-only", action="store_true",
                        help="GET routes only (READS) instead of api_load.py's rush mix")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (and so the third worker in its node list)")
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
        thread, rebalance = rebalance_in_thread(args.workers_after, args.mode, args.timeout)
        phases.append(("during", *run_phase(port, args, balls, args.during, 100, until=thread)))
        thread.join()
        phases.append(("after", *run_phase(port, args, balls, args.after, 1000)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return phases, rebalance


def first_line(answer: bytes) -> str:
    """The status line and the problem's title/detail of an answer (or its first bytes)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    text = body.decode(errors="replace").replace("\n", " ")
    return f"{status} {text[:160]}" if answer else "(no answer)"


def print_failures(phases: list) -> None:
    counts = Counter((label, kind, status, first_line(answer))
                     for label, load, _ in phases for kind, status, answer in load.failures)
    for (label, kind, status, line), n in sorted(counts.items()):
        print(f"error {label} {kind} status={status} n={n}: {line}")


def print_server_log() -> None:
    """The exception each traceback in the server's log ends with (what a 500 came from)."""
    ends: Counter = Counter()
    in_traceback = False
    for line in LOG.read_text(errors="replace").splitlines() if LOG.exists() else []:
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and not line.startswith((" ", "\t")):
            ends[line[:200]] += 1
            in_traceback = False
    print(f"server log {LOG}: tracebacks={sum(ends.values())}")
    for line, n in ends.most_common(10):
        print(f"  {n} x {line}")


def main() -> int:
    args = parse_args()
    if args.reads_only:
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
    print_failures(phases)
    print_server_log()
    print(f"rebalance.sh: exit={rebalance['code']} seconds={rebalance['seconds']:.1f}")
    print(rebalance["output"].rstrip())
    print_placement("before", before)
    print_placement("after", placement(url))
    engine = make_engine(url)
    problems = reconcile(UnitOfWork(make_session_factory(engine)))
    engine.dispose()
    print("reconcile=ok" if not problems else f"reconcile_problems={problems[:5]}")
    if not args.keep:
        drop_everywhere(DB_NAME, [CITUS_PORT + i for i in range(1, args.workers_after + 1)])
    errors = sum(count_errors(p[1]) for p in phases)
    return 0 if rebalance["code"] == 0 and not errors and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
