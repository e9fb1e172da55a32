"""GET /v1/me/leaderboard for users with 50 and 200 friends, fresh and after a year (PostgreSQL).

    .venv/bin/python bench/leaderboard.py [--requests 1000] [--clients 4] [--others 800]
                                          [--period week] [--rounds 2] [--client raw]
                                          [--compare DIR] [--explain-plan] [--no-floor]

Recreates the database canopy_bench_board (+ BENCH_DB_SUFFIX): 200 friends plus `--others`
users who earn the same way (the tables' size), and two viewers in Asia/Shanghai, one a friend
of the first 50, one of all 200. "Fresh": everyone has one day of activity (a collect and three
steals in the last 24 h). Starts the server `make run` starts (2 worker processes) and, in
alternating runs, sends `--requests` requests per viewer from `--clients` threads (each a new
connection per request); prints p50/p99, requests/s, the server's CPU per request (its
processes' user + system time from /proc: the figure a loaded machine disturbs least), the
database backends' CPU per request (the same, for the backends of the bench database), the
client's own CPU per request and the load average. Each round ends with the same load on
GET /livez (`--no-floor`: not), a route with no database and no token: no board can be served
faster than that on the same machine and server, so its p99 is the floor under the board's.
`--client raw` (the default) sends prepared bytes on a plain socket and reads to EOF without
parsing; `http.client` is the standard
library's client the bench used before, whose header parsing took a noticeable share of the two
cores the server runs on. `--compare DIR` starts a second server from another checkout on the
same database and alternates between the two builds in every round, so that a shared machine's
load hits both alike. EXPLAIN (ANALYZE, BUFFERS) figures of the board's statement are printed
fresh and after the year. Then adds a year of the same activity (INSERT ... SELECT
generate_series into the ledger, then the earned totals grouped from it, both timed), deletes
the quarters the nightly maintenance would have deleted and rebuilds their key, as a year of
nightly purges leaves it (`--no-purge`: keep them), and runs again. Last, for scale, times the
ledger sum the board used to run for the 200 friends.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import free_port, fresh_database, start_server, tree_cpu_s  # noqa: E402

from api.core.auth import make_token  # noqa: E402

DB_NAME = "canopy_bench_board"
SECRET = "bench-board-secret-of-at-least-32-bytes"
LOG = Path(tempfile.gettempdir()) / "canopy-bench-board-server.log"
FRIENDS = 200
VIEWERS = {"viewer-50": 50, "viewer-200": 200}

# One day of a user's earnings, as offsets from a UTC midnight: the 07:00 collect in Shanghai
# and three steals; g varies with user and day. cause_id carries "account:grams" so that the
# entries can be written from the transactions' RETURNING.
HISTORY = """
WITH t AS (
  INSERT INTO ledger_transactions (kind, cause_type, cause_id, created_at)
  SELECT o.kind, 'bench', a.id || ':' || (10 + (a.id + d) %% 50) || ':' || a.user_id,
         %(midnight)s::timestamptz - d * interval '1 day' + o.off
  FROM ledger_accounts a
  CROSS JOIN generate_series(%(first)s::int, %(last)s::int) AS d
  CROSS JOIN (VALUES (interval '-1 hour', 'collect'), (interval '-55 minutes', 'steal'),
                     (interval '4 hours 30 minutes', 'steal'),
                     (interval '13 hours 10 minutes', 'steal')) AS o(off, kind)
  WHERE a.code = 'available' AND a.user_id IN (SELECT id FROM users
                                               WHERE external_id NOT LIKE 'viewer-%%')
  RETURNING id, cause_id, created_at)
INSERT INTO ledger_entries (transaction_id, account_id, owner_id, amount_g, created_at)
SELECT id, split_part(cause_id, ':', 1)::bigint, split_part(cause_id, ':', 3)::bigint,
       split_part(cause_id, ':', 2)::bigint, created_at FROM t
UNION ALL
SELECT id, %(balls)s, 0, -split_part(cause_id, ':', 2)::bigint, created_at FROM t
"""
# The same grouping as migration 0014's backfill.
EARNED = """
SELECT ua.user_id AS user_id, t.created_at AS created_at, e.amount_g AS amount_g
FROM ledger_entries e JOIN ledger_accounts ua ON ua.id = e.account_id
JOIN ledger_transactions t ON t.id = e.transaction_id
WHERE ua.code = 'available' AND e.amount_g > 0 AND EXISTS (
  SELECT 1 FROM ledger_entries b WHERE b.transaction_id = e.transaction_id
  AND b.account_id = %(balls)s AND b.amount_g < 0)
"""
REBUILD_TOTALS = [
    "TRUNCATE earned_quarters, earned_totals",
    f"INSERT INTO earned_quarters SELECT user_id, floor(extract(epoch FROM created_at) / 900), "
    f"SUM(amount_g) FROM ({EARNED}) x GROUP BY 1, 2",
    "INSERT INTO earned_totals SELECT user_id, SUM(earned_g) FROM earned_quarters GROUP BY 1",
]
OLD_BOARD = """
SELECT ua.user_id, SUM(e.amount_g) FROM ledger_accounts ua
JOIN ledger_entries e ON e.account_id = ua.id
JOIN ledger_transactions t ON t.id = e.transaction_id
JOIN ledger_entries b ON b.transaction_id = e.transaction_id AND b.amount_g < 0
JOIN ledger_accounts ba ON ba.id = b.account_id AND ba.code = 'balls' AND ba.user_id IS NULL
WHERE ua.user_id = ANY(%(ids)s) AND ua.code = 'available' AND e.amount_g > 0
  AND t.created_at >= %(start)s AND t.created_at < %(end)s
GROUP BY ua.user_id
"""


def seed(url: str, others: int, now: datetime) -> int:
    """Users, accounts and friendships; the balls account's id."""
    names = ([f"friend-{i}" for i in range(FRIENDS)] + [f"other-{i}" for i in range(others)]
             + list(VIEWERS))
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY users (external_id, timezone, co2e_total_g, created_at) "
                                "FROM STDIN") as cp:
            for name in names:
                cp.write_row((name, "Asia/Shanghai", 0, now))
        ids = dict(conn.execute("SELECT external_id, id FROM users").fetchall())
        conn.execute("INSERT INTO ledger_accounts (user_id, owner_id, code, tracks_balance, "
                     "balance_g) SELECT id, id, 'available', true, 0 FROM users")
        balls = conn.execute("INSERT INTO ledger_accounts (user_id, code, tracks_balance, "
                             "balance_g) VALUES (NULL, 'balls', false, 0) RETURNING id"
                             ).fetchone()[0]
        with conn.cursor().copy("COPY friendships (low_user_id, high_user_id, low_asked_at, "
                                "high_asked_at, since) FROM STDIN") as cp:
            for viewer, n in VIEWERS.items():
                for i in range(n):
                    a, b = sorted((ids[viewer], ids[f"friend-{i}"]))
                    cp.write_row((a, b, now, now, now))
    return balls


def add_history(url: str, balls: int, now: datetime, first: int,
                last: int) -> tuple[float, float]:
    """Days first..last before today of everyone's activity; seconds taken writing the ledger
    and grouping the earned totals from it."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if first == 0:  # today's events must be in the past: shift the day to end an hour ago
        midnight = now - timedelta(hours=14)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute(HISTORY, {"midnight": midnight, "first": first, "last": last,
                               "balls": balls})
        conn.commit()
        ledger_s = time.perf_counter() - started
        for statement in REBUILD_TOTALS:
            conn.execute(statement, {"balls": balls})
    totals_s = time.perf_counter() - started - ledger_s
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return ledger_s, totals_s


def _http_client_get(port: int, path: str, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def _raw_get(port: int, request: bytes) -> int:
    """The request's bytes, prepared once, on a new connection read to EOF: no header parsing,
    so that the client threads take less of the CPU they share with the server."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        head = sock.recv(65536)
        while sock.recv(65536):
            pass
    try:
        return int(head.split(None, 2)[1])  # "HTTP/1.1 200 OK"
    except (ValueError, IndexError):
        return -1


def load(port: int, token: str, requests: int, clients: int, period: str,
         client_kind: str = "raw", path: str = "") -> dict:
    """`requests` GETs from `clients` threads; p50/p99 in ms, requests/s, and the client's own
    CPU per request in ms (this process: the threads' share of the cores). `path`: another
    route than the board (the floor: /livez)."""
    times: list[float] = []
    errors: list[int] = []
    per_client = requests // clients
    path = path or f"/v1/me/leaderboard?period={period}"
    headers = {"Authorization": f"Bearer {token}"}
    raw = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: identity\r\n"
           f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n").encode()

    def client() -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            if client_kind == "raw":
                status = _raw_get(port, raw)
            else:
                status = _http_client_get(port, path, headers)
            times.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    cuts = statistics.quantiles(times, n=100)
    return {"p50": cuts[49] * 1000, "p99": cuts[98] * 1000, "rps": len(times) / elapsed,
            "errors": len(errors), "client_cpu_ms": cpu / max(len(times), 1) * 1000}


def check(port: int, token: str, period: str, friends: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/v1/me/leaderboard?period={period}",
                  headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200, body
    assert body.count(b'"rank"') == friends + 1, body[:300]


def backends_cpu_s(url: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to the bench database
    (from /proc, as tree_cpu_s): while one build's server is loaded the other's sit idle, so
    the difference over a run is that build's database CPU. 0 when /proc cannot be read."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(ports: dict[str, int], pids: dict[str, int], args, label: str) -> None:
    """Alternating runs: in each round, each viewer, client kind and server (build) in turn;
    then, unless --no-floor, the same load on GET /livez (no database, no token checked): the
    latency the server and this machine give a route that does nothing, the floor under any
    board's figures."""
    tokens = {v: make_token(SECRET, v, "Asia/Shanghai") for v in VIEWERS}
    for port in ports.values():
        for viewer, n in VIEWERS.items():
            check(port, tokens[viewer], args.period, n)
            load(port, tokens[viewer], 100, args.clients, args.period)  # warm-up
    targets = [(viewer, n, "") for viewer, n in VIEWERS.items()]
    if not args.no_floor:
        targets.append(("viewer-200", 0, "/livez"))
    for round_no in range(args.rounds):
        for viewer, n, path in targets:
            for kind, (build, port) in itertools.product(args.client.split(","), ports.items()):
                cpu_before, db_before = tree_cpu_s(pids[build]), backends_cpu_s(args.url)
                r = load(port, tokens[viewer], args.requests, args.clients, args.period, kind,
                         path)
                server_cpu = (tree_cpu_s(pids[build]) - cpu_before) / args.requests * 1000
                db_cpu = (backends_cpu_s(args.url) - db_before) / args.requests * 1000
                what = f"path={path}" if path else f"friends={n} period={args.period}"
                print(f"{label} build={build} {what} "
                      f"server_cpu_per_request_ms={server_cpu:.2f} "
                      f"db_cpu_per_request_ms={db_cpu:.2f} "
                      f"round={round_no + 1} "
                      f"p50_ms={r['p50']:.2f} p99_ms={r['p99']:.2f} rps={r['rps']:.0f} "
                      f"errors={r['errors']} client={kind} "
                      f"client_cpu_per_request_ms={r['client_cpu_ms']:.3f} "
                      f"loadavg_1min={os.getloadavg()[0]:.2f}", flush=True)


def purge_quarters(url: str, now: datetime) -> tuple[int, float]:
    """What the nightly maintenance does for the board (carbon.services.retention.maintain):
    quarters older than earnings.QUARTERS_KEPT deleted; rows deleted and seconds."""
    from carbon.services import earnings
    from db import UnitOfWork, make_engine, make_session_factory

    engine = make_engine(url)
    started = time.perf_counter()
    with UnitOfWork(make_session_factory(engine)) as uow:
        purged = earnings.purge_quarters(uow.session, now)
        uow.commit()
    seconds = time.perf_counter() - started
    # The year was written at once and purged once; a deployment purges every night, so its
    # keys never hold more than QUARTERS_KEPT: rebuilt, they are that size (not the year's).
    with engine.connect() as conn:
        autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
        autocommit.exec_driver_sql("REINDEX TABLE earned_quarters")
        autocommit.exec_driver_sql("VACUUM ANALYZE earned_quarters")
    engine.dispose()
    return purged, seconds


def explain_board(url: str, label: str, whole_plan: bool, runs: int = 20) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the board's statement for the 200 friends' week, as the
    app builds it on PostgreSQL (sums, ranks and JSON items): the buffers it touches and its
    median execution time on the server."""
    from sqlalchemy import text

    from carbon.services import earnings
    from db import make_engine
    from game.forest.domain import period_bounds
    from game.forest.services.friends import _ME_AND_FRIENDS

    now = datetime.now(UTC)
    start, end = period_bounds("week", now, "Asia/Shanghai")
    params = earnings._window(start, end)
    stmt = earnings._ranked_json_statement(_ME_AND_FRIENDS, "quarters")  # what the app runs
    engine = make_engine(url)
    with engine.connect() as conn:
        params["me"] = params["ranked_me"] = conn.execute(
            text("SELECT id FROM users WHERE external_id = 'viewer-200'")).scalar_one()
        compiled = stmt.compile(conn)
        sql = "EXPLAIN (ANALYZE, BUFFERS) " + compiled.string
        plans = [[r[0] for r in conn.exec_driver_sql(sql, compiled.construct_params(params))]
                 for _ in range(runs)]
    engine.dispose()
    times = [float(p[-1].split()[2]) for p in plans]  # "Execution Time: 1.234 ms"
    buffers = next(line.strip() for line in plans[-1] if "Buffers:" in line)
    print(f"explain {label} friends=200 week execution_ms_median={statistics.median(times):.2f} "
          f"min={min(times):.2f} top_node_{buffers.replace(' ', '_')}", flush=True)
    if whole_plan:
        print("\n".join(plans[-1]))


def time_old_board(url: str, now: datetime) -> None:
    """The ledger sum the board ran before the earned totals, for the 200 friends' week."""
    start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0)
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM users WHERE external_id LIKE 'friend-%'")]
        params = {"ids": ids, "start": start, "end": start + timedelta(days=7)}
        conn.execute(OLD_BOARD, params)
        runs = []
        for _ in range(10):
            started = time.perf_counter()
            conn.execute(OLD_BOARD, params).fetchall()
            runs.append(time.perf_counter() - started)
    print(f"old_ledger_sum friends=200 week median_ms={statistics.median(runs) * 1000:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--others", type=int, default=800)
    parser.add_argument("--period", default="week")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-purge", action="store_true",
                        help="keep the year's earned quarters and days (skip what the nightly "
                             "maintenance deletes before the year-old runs)")
    parser.add_argument("--threads", type=int, default=None,
                        help="waitress threads per worker process (default: the server's)")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the GET /livez runs (the stack's floor) in each round")
    parser.add_argument("--explain-plan", action="store_true",
                        help="also print the board statement's whole plan, fresh and year-old")
    parser.add_argument("--compare", default="",
                        help="another checkout (e.g. main's) whose server runs beside this one "
                             "on the same database; each round alternates between the two")
    parser.add_argument("--client", default="raw",
                        help="raw: prepared request bytes on a plain socket (cheap); "
                             "http.client: the standard library's client (the old bench); "
                             "raw,http.client: both, one after the other in each round")
    args = parser.parse_args()
    now = datetime.now(UTC)
    url = args.url = fresh_database(DB_NAME)
    balls = seed(url, args.others, now)
    add_history(url, balls, now, 0, 0)
    # Rate limits off: two viewers send thousands of requests a minute, far past a user's limit;
    # the figure wanted is the board's read, not the limiter's refusals.
    env = {"CANOPY_JWT_SECRET": SECRET, "CANOPY_RATE_LIMITS": "off"}
    roots = {"this": ROOT, **({"compare": Path(args.compare)} if args.compare else {})}
    ports = {build: free_port() for build in roots}
    servers = [start_server(url, ports[build], 2, args.threads,
                            log_path=LOG.with_suffix(f".{build}.log"),
                            extra_env=env, root=root) for build, root in roots.items()]
    try:
        explain_board(url, "fresh", args.explain_plan)
        pids = {build: server.pid for build, server in zip(roots, servers, strict=True)}
        measure(ports, pids, args, "fresh")
        ledger_s, totals_s = add_history(url, balls, now, 1, args.days)
        with psycopg.connect(url) as conn:
            txns = conn.execute("SELECT count(*) FROM ledger_transactions").fetchone()[0]
        print(f"history days={args.days} users={FRIENDS + args.others} "
              f"ledger_transactions={txns} ledger_s={ledger_s:.1f} totals_s={totals_s:.1f}",
              flush=True)
        if not args.no_purge:
            quarters, purge_s = purge_quarters(url, now)
            print(f"maintenance earned_quarters_purged={quarters} purge_s={purge_s:.1f}",
                  flush=True)
        explain_board(url, "year", args.explain_plan)
        measure(ports, pids, args, "year")
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    time_old_board(url, now)


if __name__ == "__main__":
    main()
