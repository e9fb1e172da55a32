"""What the Citus benchmarks share: a database on the local cluster (db/citus/cluster.sh),
migrated to head (migration 0026_citus distributes it as db/citus_layout.py says); and where
the shards are.

The cluster is the one `make citus-up` starts: CITUS_PORT (default 9700) is the coordinator,
the workers take the next ports.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import psycopg
from common import ROOT  # bench/common.py: the repository root on sys.path

from db.migrate import upgrade

CITUS_PORT = int(os.environ.get("CITUS_PORT", "9700"))
COORDINATOR = f"postgresql://postgres@127.0.0.1:{CITUS_PORT}"
CLUSTER_SH = ROOT / "db" / "citus" / "cluster.sh"


def cluster_sh(command: str, database: str, workers: int = 2) -> None:
    """db/citus/cluster.sh `command` for `database` with `workers` workers."""
    env = dict(os.environ, CITUS_PORT=str(CITUS_PORT), CITUS_DB=database,
               CITUS_WORKERS=str(workers))
    subprocess.run([str(CLUSTER_SH), command], env=env, check=True, stdout=subprocess.DEVNULL)


def node_ports(url: str) -> list[int]:
    """The ports of the workers the coordinator at `url` knows."""
    with psycopg.connect(url) as conn:
        return [p for (p,) in conn.execute(
            "SELECT nodeport FROM pg_dist_node WHERE groupid <> 0 ORDER BY nodeport")]


def drop_everywhere(database: str, ports: list[int]) -> None:
    """Drop `database` on the coordinator and on every node in `ports` that runs."""
    for port in [CITUS_PORT, *ports]:
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres",
                                 autocommit=True, connect_timeout=3) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        except psycopg.OperationalError:
            continue  # that node does not run


def fresh_cluster_database(name: str, workers: int = 2) -> str:
    """A new database `name` on the coordinator and `workers` workers (other nodes that run do
    not hold it), migrated to head (so distributed); its url."""
    drop_everywhere(name, [CITUS_PORT + i for i in range(1, 4)])
    cluster_sh("up", name, workers)
    url = f"{COORDINATOR}/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    upgrade(url)
    return url


def distribute(url: str) -> None:
    """The migration distributed the tables already; fresh statistics for the planner."""
    run_sql(url, ("ANALYZE",))


def run_sql(url: str, statements: tuple[str, ...]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET client_min_messages = warning")
        for statement in statements:
            conn.execute(statement)


def run_psql(url: str, *args: str) -> None:
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, *args], env=env,
                   check=True, stdout=subprocess.DEVNULL)


PLACEMENT = """
SELECT s.nodename || ':' || s.nodeport, s.colocation_id, COUNT(DISTINCT s.table_name),
       COUNT(DISTINCT s.shardid) / COUNT(DISTINCT s.table_name), COALESCE(SUM(s.shard_size), 0)
FROM citus_shards s WHERE s.citus_table_type = 'distributed'
GROUP BY s.nodename, s.nodeport, s.colocation_id ORDER BY 2, 1
"""


def placement(url: str) -> list[tuple[str, int, int, int, int]]:
    """Per node and co-location group: (node, group, tables, shard groups, bytes)."""
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(PLACEMENT)]


def print_placement(label: str, rows: list[tuple[str, int, int, int, int]],
                    out: Callable[[str], None] = print) -> None:
    out(f"| {label}: node | co-location group | tables | shard groups | MB |")
    out("|---|---:|---:|---:|---:|")
    for node, group, tables, shards, size in rows:
        out(f"| {node} | {group} | {tables} | {shards} | {size / 2**20:.1f} |")
