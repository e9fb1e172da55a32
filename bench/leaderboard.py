"""GET /v1/me/leaderboard for users with 50 and 200 friends, fresh and after a year (PostgreSQL).

    .venv/bin/python bench/leaderboard.py [--requests 1000] [--clients 4] [--others 800]
                                          [--period week] [--rounds 2]

Recreates the database canopy_bench_board: 200 friends plus `--others` users who earn the same
way (the tables' size), and two viewers in Asia/Shanghai, one a friend of the first 50, one of
all 200. "Fresh": everyone has one day of activity (a collect and three steals in the last 24
h). Starts the server `make run` starts (2 worker processes) and, in alternating runs, sends
`--requests` requests per viewer from `--clients` threads (each a new connection per request); prints p50/p99 and requests/s. Then adds a year of the same activity (INSERT ... SELECT
generate_series into the ledger, then the earned totals grouped from it, both timed), and runs
again. Last, for scale, times the ledger sum the board used to run for the 200 friends.
"""

from __future__ import annotations

import argparse
import http.client
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

from common import free_port, fresh_database, start_server  # noqa: E402

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
  SELECT o.kind, 'bench', a.id || ':' || (10 + (a.id + d) %% 50),
         %(midnight)s::timestamptz - d * interval '1 day' + o.off
  FROM ledger_accounts a
  CROSS JOIN generate_series(%(first)s::int, %(last)s::int) AS d
  CROSS JOIN (VALUES (interval '-1 hour', 'collect'), (interval '-55 minutes', 'steal'),
                     (interval '4 hours 30 minutes', 'steal'),
                     (interval '13 hours 10 minutes', 'steal')) AS o(off, kind)
  WHERE a.code = 'available' AND a.user_id IN (SELECT id FROM users
                                               WHERE external_id NOT LIKE 'viewer-%%')
  RETURNING id, cause_id)
INSERT INTO ledger_entries (transaction_id, account_id, amount_g)
SELECT id, split_part(cause_id, ':', 1)::bigint, split_part(cause_id, ':', 2)::bigint FROM t
UNION ALL
SELECT id, %(balls)s, -split_part(cause_id, ':', 2)::bigint FROM t
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
    "TRUNCATE earned_days, earned_quarters, earned_totals",
    f"INSERT INTO earned_days SELECT user_id, (created_at AT TIME ZONE 'UTC')::date, "
    f"SUM(amount_g) FROM ({EARNED}) x GROUP BY 1, 2",
    f"INSERT INTO earned_quarters SELECT user_id, floor(extract(epoch FROM created_at) / 900), "
    f"SUM(amount_g) FROM ({EARNED}) x GROUP BY 1, 2",
    "INSERT INTO earned_totals SELECT user_id, SUM(earned_g) FROM earned_days GROUP BY 1",
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
        conn.execute("INSERT INTO ledger_accounts (user_id, code, tracks_balance, balance_g) "
                     "SELECT id, 'available', true, 0 FROM users")
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


def load(port: int, token: str, requests: int, clients: int, period: str) -> dict:
    """`requests` GETs from `clients` threads; p50/p99 in ms and requests/s."""
    times: list[float] = []
    errors: list[int] = []
    per_client = requests // clients
    path = f"/v1/me/leaderboard?period={period}"
    headers = {"Authorization": f"Bearer {token}"}

    def client() -> None:
        for _ in range(per_client):
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            times.append(time.perf_counter() - started)
            if resp.status != 200:
                errors.append(resp.status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(times, n=100)
    return {"p50": cuts[49] * 1000, "p99": cuts[98] * 1000, "rps": len(times) / elapsed,
            "errors": len(errors)}


def check(port: int, token: str, period: str, friends: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/v1/me/leaderboard?period={period}",
                  headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200, body
    assert body.count(b'"rank"') == friends + 1, body[:300]


def measure(port: int, args, label: str) -> None:
    tokens = {v: make_token(SECRET, v, "Asia/Shanghai") for v in VIEWERS}
    for viewer, n in VIEWERS.items():
        check(port, tokens[viewer], args.period, n)
        load(port, tokens[viewer], 100, args.clients, args.period)  # warm-up
    for round_no in range(args.rounds):  # alternating runs
        for viewer, n in VIEWERS.items():
            r = load(port, tokens[viewer], args.requests, args.clients, args.period)
            print(f"{label} friends={n} period={args.period} round={round_no + 1} "
                  f"p50_ms={r['p50']:.2f} p99_ms={r['p99']:.2f} rps={r['rps']:.0f} "
                  f"errors={r['errors']}", flush=True)


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
    args = parser.parse_args()
    now = datetime.now(UTC)
    url = fresh_database(DB_NAME)
    balls = seed(url, args.others, now)
    add_history(url, balls, now, 0, 0)
    port = free_port()
    # Rate limits off: two viewers send thousands of requests a minute, far past a user's limit;
    # the figure wanted is the board's read, not the limiter's refusals.
    server = start_server(url, port, 2, log_path=LOG,
                          extra_env={"CANOPY_JWT_SECRET": SECRET, "CANOPY_RATE_LIMITS": "off"})
    try:
        measure(port, args, "fresh")
        ledger_s, totals_s = add_history(url, balls, now, 1, args.days)
        with psycopg.connect(url) as conn:
            txns = conn.execute("SELECT count(*) FROM ledger_transactions").fetchone()[0]
        print(f"history days={args.days} users={FRIENDS + args.others} "
              f"ledger_transactions={txns} ledger_s={ledger_s:.1f} totals_s={totals_s:.1f}",
              flush=True)
        measure(port, args, "year")
    finally:
        server.terminate()
        server.wait()
    time_old_board(url, now)


if __name__ == "__main__":
    main()
