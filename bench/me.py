"""GET /v1/me latency for a user with 10 ledger entries and one with 100,000 (PostgreSQL).

    .venv/bin/python bench/me.py [--requests 500] [--entries 10,100000]

Recreates the database canopy_bench_me, gives each user that many collect transactions (bulk
INSERT ... SELECT generate_series), then times GET /v1/me through the Flask test client. The
available energy comes from the account's running balance, so the two means should be equal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import DB_SUFFIX, SERVER, fresh_database  # noqa: E402

from api import create_app  # noqa: E402
from api.core.auth import make_token  # noqa: E402
from carbon.services import ledger  # noqa: E402
from carbon.services.users import ensure_user  # noqa: E402
from config import Config  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

DB_NAME = "canopy_bench_me"
URL = f"{SERVER}/{DB_NAME}{DB_SUFFIX}"
NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)

# n collect transactions: balls -> the user's available account, 1 g each.
FILL = """
WITH t AS (
  INSERT INTO ledger_transactions (kind, cause_type, cause_id, created_at)
  SELECT 'collect', 'ball', g::text, %(now)s FROM generate_series(1, %(n)s) AS g
  RETURNING id, created_at)
INSERT INTO ledger_entries (transaction_id, account_id, owner_id, amount_g, created_at)
SELECT id, %(available)s, %(owner)s, 1, created_at FROM t
UNION ALL SELECT id, %(balls)s, 0, -1, created_at FROM t
"""


def recreate_database() -> None:
    fresh_database(DB_NAME)


def make_user(name: str, entries: int) -> None:
    engine = make_engine(URL)
    uow = UnitOfWork(make_session_factory(engine))
    with uow:
        s = uow.session
        user = ensure_user(s, name, "Asia/Shanghai", NOW)
        available, owner = ledger.available_account(s, user.id), user.id
        balls = ledger.account(s, ledger.BALLS)
        uow.commit()
    engine.dispose()
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(FILL, {"now": NOW, "n": entries, "available": available, "balls": balls,
                            "owner": owner})
        conn.execute("UPDATE ledger_accounts SET balance_g = %s WHERE id = %s",
                     (entries, available))
        conn.execute("VACUUM ANALYZE")


def mean_latency_ms(client, headers: dict, requests: int) -> float:
    for _ in range(20):  # warm up pools and caches
        client.get("/v1/me", headers=headers)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        resp = client.get("/v1/me", headers=headers)
        times.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.get_data(as_text=True)
    return statistics.fmean(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--entries", default="10,100000")
    args = parser.parse_args()
    sizes = [int(n) for n in args.entries.split(",")]
    recreate_database()
    for n in sizes:
        make_user(f"user-{n}", n)
    config = Config()
    config.DATABASE_URL = URL
    config.JWT_SECRET = "bench-secret-of-at-least-32-bytes!"
    client = create_app(config).test_client()
    means = {}
    for n in sizes:
        headers = {"Authorization": f"Bearer {make_token(config.JWT_SECRET, f'user-{n}')}"}
        body = client.get("/v1/me", headers=headers).get_json()
        assert body["energy_g"] == n, body
        means[n] = mean_latency_ms(client, headers, args.requests)
        print(f"me_entries={n} requests={args.requests} mean_ms={means[n]:.2f}", flush=True)
    small, large = means[sizes[0]], means[sizes[-1]]
    print(f"me_ratio={large / small:.2f} ({sizes[-1]} vs {sizes[0]} entries)")


if __name__ == "__main__":
    main()
