"""Farm read benchmark: GET /v1/me/farm for a new user against a user with a year of history.

    .venv/bin/python bench/farm.py [--requests 1000] [--background-users 100]

Creates (or recreates) the PostgreSQL database canopy_bench_farm and migrates it; bulk-inserts
a year of feedings, home meals and visits (both ways) for a veteran user and, as background, for
`--background-users` other users; gives a new user one feeding. Both are then eating at home.
Reads go through the Flask app (test client, no network) in alternation, after a warm-up, and
the script prints both mean latencies and their ratio: the read costs the same because the
state comes from the farm's checkpoint row and the few meals at its trough, never from history.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import fresh_database  # noqa: E402

from api import create_app  # noqa: E402
from api.core.auth import make_token  # noqa: E402
from config import Config  # noqa: E402

DB_NAME = "canopy_bench_farm"
NOW = datetime.now(UTC).replace(microsecond=0)
YEAR_AGO = NOW - timedelta(days=365)

# One user's year, set-based: 4 feedings a day (each a home meal that ran dry), one visit a day
# to the next user's trough (chased after 40 min), and that user's chicken visiting back.
HISTORY_SQL = """
WITH u AS (SELECT id, coalesce(lead(id) OVER (ORDER BY id),
                               (SELECT min(id) FROM users WHERE id = ANY(%(ids)s))) AS friend
           FROM users WHERE id = ANY(%(ids)s)),
     slot AS (SELECT u.id, u.friend, k, %(start)s::timestamptz + d * interval '1 day'
                     + k * interval '5 hours' AS at
              FROM u, generate_series(0, 363) d, generate_series(0, 3) k),
     home AS (INSERT INTO farm_meals (chicken_user_id, trough_user_id, started_at, eaten_g,
                                      ended_at, end_reason)
              SELECT id, id, at, 150, at + interval '16800 seconds', 'emptied' FROM slot
              RETURNING id, chicken_user_id, started_at),
     fed AS (INSERT INTO farm_feedings (user_id, feed_g, meal_id, fed_at)
             SELECT chicken_user_id, 180, id, started_at FROM home)
INSERT INTO farm_meals (chicken_user_id, trough_user_id, started_at, eaten_g, ended_at, end_reason)
SELECT id, friend, at + interval '2 hours', 25, at + interval '160 minutes', 'chased'
FROM slot WHERE k = 0
"""


def insert_history(url: str, names: list[str]) -> None:
    """Users, their farms eating at home since 1 h ago, and a year of history each."""
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute(
            "INSERT INTO users (external_id, timezone, co2e_total_g, created_at) "
            "SELECT n, 'Asia/Shanghai', 0, %s FROM unnest(%s::text[]) n RETURNING id",
            (YEAR_AGO, names))]
        conn.execute(HISTORY_SQL, {"ids": ids, "start": YEAR_AGO})
        conn.execute(
            "INSERT INTO farms (user_id, feed_store_g, feed_earned_g, fed_g, trough_g, "
            "trough_at, eaten_g, created_at) SELECT id, 180, 180 + 1457 * 180, 1457 * 180, 180,"
            " %s, 1456 * 150 + 364 * 25, %s FROM unnest(%s::bigint[]) id",
            (NOW - timedelta(hours=1), YEAR_AGO, ids))
        conn.execute(
            "WITH m AS (INSERT INTO farm_meals (chicken_user_id, trough_user_id, started_at) "
            "SELECT id, id, %s FROM unnest(%s::bigint[]) id RETURNING id, chicken_user_id) "
            "UPDATE farms SET meal_id = m.id FROM m WHERE farms.user_id = m.chicken_user_id",
            (NOW - timedelta(hours=1), ids))
        conn.execute("ANALYZE")


def history_rows(url: str, name: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM farm_feedings f JOIN users u ON u.id = f.user_id "
            "        WHERE u.external_id = %s), "
            "       (SELECT count(*) FROM farm_meals m JOIN users u ON u.id = m.chicken_user_id"
            "        OR u.id = m.trough_user_id WHERE u.external_id = %s)",
            (name, name)).fetchone()


def feed_newcomer(client, url: str, headers: dict) -> None:
    """The newcomer exists (first sight), earns 360 g and feeds once: eating at home too."""
    client.get("/v1/me/farm", headers=headers)
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO farms (user_id, feed_store_g, feed_earned_g, trough_at, "
                     "created_at) SELECT id, 360, 360, now(), now() FROM users "
                     "WHERE external_id = 'newcomer'")
    assert client.post("/v1/me/farm/feed", headers=headers).status_code == 200


def mean_ms(client, headers: dict, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        resp = client.get("/v1/me/farm", headers=headers)
        assert resp.status_code == 200, resp.get_json()
    return (time.perf_counter() - start) * 1000 / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--background-users", type=int, default=100)
    args = parser.parse_args()
    url = fresh_database(DB_NAME)
    insert_history(url, ["veteran"] + [f"bg-{i}" for i in range(args.background_users)])
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CANOPY_JWT_SECRET", "bench-farm-" + "x" * 32)
    app = create_app(Config())
    client, secret = app.test_client(), app.config["CANOPY"].JWT_SECRET
    new = {"Authorization": f"Bearer {make_token(secret, 'newcomer', 'Asia/Shanghai')}"}
    old = {"Authorization": f"Bearer {make_token(secret, 'veteran', 'Asia/Shanghai')}"}
    feed_newcomer(client, url, new)
    print(f"history rows (feedings, meals): newcomer={history_rows(url, 'newcomer')} "
          f"veteran={history_rows(url, 'veteran')} background_users={args.background_users}")
    mean_ms(client, new, 50), mean_ms(client, old, 50)  # warm-up
    totals = {"new": 0.0, "old": 0.0}
    rounds = 10
    for _ in range(rounds):  # alternate so that load on the machine hits both alike
        totals["new"] += mean_ms(client, new, args.requests // rounds)
        totals["old"] += mean_ms(client, old, args.requests // rounds)
    new_ms, old_ms = totals["new"] / rounds, totals["old"] / rounds
    print(f"GET /v1/me/farm new user: mean {new_ms:.3f} ms over {args.requests} requests")
    print(f"GET /v1/me/farm user with a year of feedings and visits: mean {old_ms:.3f} ms "
          f"over {args.requests} requests")
    print(f"ratio year/new = {old_ms / new_ms:.3f}")
    app.extensions["canopy_engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
