"""Where one request's time goes, in process: the leaderboard (200 friends), GET /v1/me/balls,
a friend's balls and a steal, through Flask's test client on PostgreSQL, rate limits on.

    .venv/bin/python bench/profile_requests.py [--requests 500] [--top 25] [--only board]

Recreates the databases canopy_prof_board and canopy_prof_forest (+ BENCH_DB_SUFFIX, see
bench/common.py), seeded as bench/leaderboard.py (fresh) and bench/api_load.py seed theirs. For each
request kind: a warm-up, then `--requests` timed requests (mean and p99 in ms of the whole
WSGI call, the client's own cost included; and the process's mean CPU time, which a loaded
machine disturbs far less), then the same under cProfile, whose top functions
by cumulative and by own time are printed. No server and no network: what is left is the
application's own work per request (Flask, the hooks, the view, SQLAlchemy, psycopg).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import time
from datetime import UTC, datetime

import api_load
import leaderboard
from common import fresh_database

from api import create_app
from api.core.auth import make_token
from config import Config

SECRET = "bench-profile-secret-of-at-least-32-bytes"
PREFIX = "canopy_prof"


def make_app(url: str):
    os.environ.update(DATABASE_URL=url, CANOPY_JWT_SECRET=SECRET, CANOPY_ACCESS_LOG="off",
                      CANOPY_RATE_LIMITS="on", CANOPY_RATE_LIMIT_USER="1000000/minute")
    app = create_app(Config())
    return app.test_client()


def board_requests(now: datetime):
    url = fresh_database(f"{PREFIX}_board")
    balls = leaderboard.seed(url, 800, now)
    leaderboard.add_history(url, balls, now, 0, 0)
    client = make_app(url)
    token = make_token(SECRET, "viewer-200", "Asia/Shanghai")
    headers = {"Authorization": f"Bearer {token}"}

    def board(_i: int):
        return client.get("/v1/me/leaderboard?period=week", headers=headers)

    return {"board_200": board}


def forest_requests(now: datetime):
    url = fresh_database(f"{PREFIX}_forest")
    users, friends = 2000, 10
    balls = api_load.seed(url, users, friends, now)
    client = make_app(url)
    tokens = [{"Authorization": f"Bearer {make_token(SECRET, f'u-{i}', None, 2)}"}
              for i in range(users)]
    rng = random.Random(5)

    def my_balls(_i: int):
        return client.get("/v1/me/balls", headers=tokens[rng.randrange(users)])

    def friend_balls(_i: int):
        me = rng.randrange(users)
        friend = (me + rng.randrange(1, friends + 1)) % users
        return client.get(f"/v1/friends/u-{friend}/balls", headers=tokens[me])

    def steal(_i: int):
        me = rng.randrange(users)
        friend = (me + rng.randrange(1, friends + 1)) % users
        ball = rng.choice(balls[friend])
        return client.post(f"/v1/friends/u-{friend}/balls/{ball}/steal", headers=tokens[me])

    return {"my_balls": my_balls, "friend_balls": friend_balls, "steal": steal}


def timed(fn, n: int) -> tuple[float, float, float, dict[int, int]]:
    """Mean and p99 wall time, and mean CPU time of this process (the app's Python side, not
    PostgreSQL's; what a loaded machine disturbs least), in ms per request."""
    times, statuses = [], {}
    cpu_started = time.process_time()
    for i in range(n):
        started = time.perf_counter()
        status = fn(i).status_code
        times.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
    cpu = (time.process_time() - cpu_started) / n * 1000
    cuts = statistics.quantiles(times, n=100)
    return statistics.mean(times) * 1000, cuts[98] * 1000, cpu, statuses


def profiled(fn, n: int, top: int, dump: str | None) -> str:
    profile = cProfile.Profile()
    profile.enable()
    for i in range(n):
        fn(i)
    profile.disable()
    if dump:
        profile.dump_stats(dump)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", default="", help="comma-separated kinds to run")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--dump", default="", help="directory for each kind's .prof file")
    args = parser.parse_args()
    now = datetime.now(UTC)
    only = [k for k in args.only.split(",") if k]
    # Each group seeds its own database: seed only those asked for.
    kinds = {}
    for builder, names in ((board_requests, {"board_200"}),
                           (forest_requests, {"my_balls", "friend_balls", "steal"})):
        if not only or names & set(only):
            kinds.update(builder(now))
    for name, fn in kinds.items():
        if only and name not in only:
            continue
        timed(fn, 50)  # warm-up: connections, statement caches
        mean, p99, cpu, statuses = timed(fn, args.requests)
        print(f"{name}: n={args.requests} mean_ms={mean:.2f} p99_ms={p99:.2f} "
              f"app_cpu_ms={cpu:.2f} "
              f"statuses={statuses} loadavg={os.getloadavg()[0]:.2f}", flush=True)
        if not args.no_profile:
            dump = os.path.join(args.dump, f"{name}.prof") if args.dump else None
            print(profiled(fn, args.requests, args.top, dump), flush=True)


if __name__ == "__main__":
    main()
