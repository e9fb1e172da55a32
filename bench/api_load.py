"""The 07:00 rush over HTTP: friends' balls, my balls and steals against gunicorn on PostgreSQL.

    .venv/bin/python bench/api_load.py [--rate 300] [--seconds 30] [--users 2000]

Creates (or recreates) the PostgreSQL database canopy_bench_forest, migrates it, and seeds
`--users` users in Asia/Shanghai, each a friend of the next `--friends` users around a ring,
each with 3 ripe balls whose energy was issued through the ledger. Starts gunicorn (2 workers,
wsgi:app) on it and, from a client thread pool, sends an open-loop load of `--rate` requests/s
for `--seconds` (after a short warm-up): 40% GET /v1/friends/{id}/balls, 30% GET /v1/me/balls,
30% POST /v1/friends/{id}/balls/{ball}/steal. Latency runs from each request's scheduled send
time (a late client counts against us); a request not sent within 10 s of its time is skipped
and counted, so an overloaded server cannot make the run last forever. Before the rush, 300
requests one at a time give each endpoint's service time without a queue. Prints requests/s,
p50/p99 per endpoint, the errors and, apart, the rule refusals (403/409: already stolen, nothing
left); then `reconcile` of the ledger.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import free_port, fresh_database, start_gunicorn  # noqa: E402

from api.auth import make_token  # noqa: E402
from carbon.services import ledger  # noqa: E402
from carbon.services.reconcile import reconcile  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

DB_NAME = "canopy_bench_forest"
SECRET = "bench-forest-secret-of-at-least-32-bytes"
TYPES = ("offline_payment", "metro_ride", "bus_ride")
MIX = (("friend_balls", 40), ("my_balls", 30), ("steal", 30))
REFUSALS = (403, 409)
GIVE_UP_S = 10  # a request still unsent 10 s after its time is skipped: the run stays bounded
SKIPPED = -2
LOG = Path(tempfile.gettempdir()) / "canopy-bench-forest-gunicorn.log"


def seed(url: str, users: int, friends: int, now: datetime) -> dict[int, list[int]]:
    """Users, ring friendships and 3 ripe balls each; returns {user index: [ball ids]}."""
    rng = random.Random(3)
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY users (external_id, timezone, co2e_total_g, created_at) "
                                "FROM STDIN") as cp:
            for i in range(users):
                cp.write_row((f"u-{i}", "Asia/Shanghai", 0, now))
        ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
        with conn.cursor().copy("COPY friendships (low_user_id, high_user_id, low_asked_at, "
                                "high_asked_at, since) FROM STDIN") as cp:
            for i in range(users):
                for k in range(1, friends + 1):
                    a, b = sorted((ids[i], ids[(i + k) % users]))
                    cp.write_row((a, b, now, now, now))
        balls = _seed_balls(conn, ids, rng, now)
        conn.commit()
    _issue_in_ledger(url, sum(g for _, _, g in balls), now)
    by_user: dict[int, list[int]] = {}
    for ball_id, user_index, _ in balls:
        by_user.setdefault(user_index, []).append(ball_id)
    return by_user


def _seed_balls(conn, ids: list[int], rng: random.Random, now: datetime):
    ripe, day = now - timedelta(hours=1), (now - timedelta(days=1)).date()
    with conn.cursor().copy(
            "COPY balls (user_id, kind, activity_type, local_date, co2e_g, energy_g, remaining_g,"
            " stolen_g, collected_g, stealable, status, ripe_at, expires_at, created_at) "
            "FROM STDIN") as cp:
        for uid in ids:
            for kind in TYPES:
                g = rng.randrange(50, 300)
                cp.write_row((uid, "settlement", kind, day, g, g, g, 0, 0, True, "open", ripe,
                              ripe + timedelta(hours=72), now))
    index = {uid: i for i, uid in enumerate(ids)}
    rows = conn.execute("SELECT id, user_id, energy_g FROM balls ORDER BY id").fetchall()
    return [(ball_id, index[uid], g) for ball_id, uid, g in rows]


def _issue_in_ledger(url: str, total: int, now: datetime) -> None:
    """The seeded balls' energy, issued -> balls, as settlement would have moved it."""
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    with uow:
        s = uow.session
        ledger.transfer(s, "issue", "bench_seed", "forest", ledger.account(s, ledger.ISSUED),
                        ledger.account(s, ledger.BALLS), total, now)
        uow.commit()
    engine.dispose()


class Load:
    """Open-loop request schedule, results per endpoint."""

    def __init__(self, port: int, users: int, friends: int, balls: dict[int, list[int]]):
        self.port, self.users, self.friends, self.balls = port, users, friends, balls
        self.tokens = [make_token(SECRET, f"u-{i}", None, 2) for i in range(users)]
        self.lock = threading.Lock()
        self.results: dict[str, list[tuple[int, float]]] = {k: [] for k, _ in MIX}

    def request_for(self, rng: random.Random) -> tuple[str, str, str, int]:
        kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        me = rng.randrange(self.users)
        friend = (me + rng.randrange(1, self.friends + 1)) % self.users
        if kind == "my_balls":
            return kind, "GET", "/v1/me/balls", me
        if kind == "friend_balls":
            return kind, "GET", f"/v1/friends/u-{friend}/balls", me
        ball = rng.choice(self.balls[friend])
        return kind, "POST", f"/v1/friends/u-{friend}/balls/{ball}/steal", me

    def send(self, kind: str, method: str, path: str, me: int, scheduled: float) -> None:
        if time.perf_counter() - scheduled > GIVE_UP_S:
            with self.lock:
                self.results[kind].append((SKIPPED, 0.0))
            return
        status = 0
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request(method, path, headers={"Authorization": f"Bearer {self.tokens[me]}"})
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            conn.close()
        except OSError:
            status = -1
        elapsed = time.perf_counter() - scheduled
        with self.lock:
            self.results[kind].append((status, elapsed))

    def run_sequential(self, count: int, seed: int) -> None:
        """One request at a time: each endpoint's service time without any queue."""
        rng = random.Random(seed)
        for _ in range(count):
            request = self.request_for(rng)
            self.send(*request, time.perf_counter())

    def run(self, rate: int, seconds: float, seed: int, clients: int) -> float:
        rng = random.Random(seed)
        total = int(rate * seconds)
        start = time.perf_counter() + 0.2
        with ThreadPoolExecutor(clients) as pool:
            for i in range(total):
                at = start + i / rate
                delay = at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self.send, *self.request_for(rng), at)
        return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def report(load: Load, elapsed: float | None, label: str) -> None:
    everything = [r for rs in load.results.values() for r in rs if r[0] != SKIPPED]
    if elapsed is not None:
        print(f"{label}: requests={len(everything)} seconds={elapsed:.1f} "
              f"requests_per_s={len(everything) / elapsed:.0f}")
    for kind, rows in load.results.items():
        ok = [t for s, t in rows if 200 <= s < 300]
        refused = sum(1 for s, _ in rows if s in REFUSALS)
        skipped = sum(1 for s, _ in rows if s == SKIPPED)
        errors = sum(1 for s, _ in rows if not (200 <= s < 300 or s in REFUSALS or s == SKIPPED))
        times = [t for s, t in rows if s != SKIPPED] or [0.0]
        print(f"{label} {kind}: n={len(rows)} ok={len(ok)} refused={refused} errors={errors} "
              f"skipped_unsent={skipped} "
              f"p50_ms={percentile(times, 50):.1f} p99_ms={percentile(times, 99):.1f} "
              f"max_ms={max(times) * 1000:.1f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--friends", type=int, default=10, help="friends ahead on the ring")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (1: the sync worker `make run` uses)")
    parser.add_argument("--clients", type=int, default=64, help="client threads")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    load_before = os.getloadavg()[0]
    now = datetime.now(UTC)
    url = fresh_database(DB_NAME)
    balls = seed(url, args.users, args.friends, now)
    port = free_port()
    server = start_gunicorn(url, port, args.workers, args.threads, log_path=LOG,
                            extra_env={"CANOPY_JWT_SECRET": SECRET})
    try:
        Load(port, args.users, args.friends, balls).run_sequential(100, 98)  # warm-up
        alone = Load(port, args.users, args.friends, balls)
        alone.run_sequential(300, 99)
        load = Load(port, args.users, args.friends, balls)
        elapsed = load.run(args.rate, args.seconds, 1, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Other processes share these cores: the load average says how quiet the machine was.
    print(f"loadavg_1min_before={load_before:.2f} loadavg_1min_after={os.getloadavg()[0]:.2f} "
          f"cpus={os.cpu_count()} workers={args.workers} threads={args.threads} users={args.users} "
          f"target_rate={args.rate}")
    report(alone, None, "one_at_a_time")
    report(load, elapsed, "rush")
    engine = make_engine(url)
    problems = reconcile(UnitOfWork(make_session_factory(engine)))
    engine.dispose()
    print("reconcile=ok" if not problems else f"reconcile_problems={problems[:5]}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
