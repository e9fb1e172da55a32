"""The read rush on one node against the cluster: requests/s at saturation, same data.

    CITUS_PORT=9700 .venv/bin/python bench/citus_reads.py [--rate 300] [--seconds 20]

Needs the local cluster (`make citus-up`). Two databases on it get bench/api_load.py's forest
(`--users`, ring of friends, 3 ripe balls each): one keeps its tables local on the coordinator
(one node), the other is distributed on the workers (bench/citus_common.py). Against each, the
server (`python -m api.server.supervisor`, 2 workers) gets the read mix of bench/citus_rebalance.py (the
GET routes that answer on the prototype schema) open-loop at `--rate` for `--seconds`; with a
rate above what the machine serves, requests/s is its capacity. Prints both and their ratio:
what a request costs on the cluster relative to one server when everything shares the same
cores (an upper bound for separate machines).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import api_load  # noqa: E402
from citus_common import distribute, fresh_cluster_database  # noqa: E402
from citus_rebalance import READS, ReadLoad  # noqa: E402
from common import free_port, start_server  # noqa: E402

LOG = Path(tempfile.gettempdir()) / "canopy-bench-reads-server.log"


def serve_reads(url: str, args) -> tuple[ReadLoad, float]:
    balls = {}
    port = free_port()
    server = start_server(url, port, 2, log_path=LOG,
                          extra_env={"CANOPY_JWT_SECRET": api_load.SECRET})
    try:
        ReadLoad(port, args.users, args.friends, balls).run_sequential(100, 98)  # warm-up
        load = ReadLoad(port, args.users, args.friends, balls)
        return load, load.run(args.rate, args.seconds, 1, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--friends", type=int, default=10)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    api_load.MIX = tuple((kind, weight) for kind, (_, weight) in READS.items())
    rates = {}
    for where in ("one_node", "cluster"):
        url = fresh_cluster_database(f"canopy_bench_reads_{where}", workers=2)
        api_load.seed(url, args.users, args.friends, datetime.now(UTC))
        if where == "cluster":
            distribute(url)
        before = os.getloadavg()[0]
        load, elapsed = serve_reads(url, args)
        answered = sum(1 for rows in load.results.values() for s, _ in rows
                       if s != api_load.SKIPPED)
        rates[where] = answered / elapsed
        print(f"{where}: loadavg_1min_before={before:.2f} "
              f"loadavg_1min_after={os.getloadavg()[0]:.2f}", flush=True)
        api_load.report(load, elapsed, where)
    print(f"requests_per_s one_node={rates['one_node']:.0f} cluster={rates['cluster']:.0f} "
          f"ratio={rates['one_node'] / rates['cluster']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
