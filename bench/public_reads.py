"""Public reads at scale: certificate proofs at a day of 100,000 log entries and public stats
at 1,000,000 users, stored/maintained (now) against rebuilt/scanned (before).

    .venv/bin/python bench/public_reads.py [--database URL] [--entries 100000]
        [--users 1000000] [--requests 300]

Uses the PostgreSQL database given (default DATABASE_URL, else canopy_public): its public
schema is dropped and migrated. Requests go through the Flask test client in-process (routing,
schema, JSON, one pooled connection: no network, no gunicorn); the old approaches are the
service calls they made (the whole day rebuilt, the tables scanned), fewer times.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import sessionmaker  # noqa: E402

from api import create_app  # noqa: E402
from config import Config  # noqa: E402
from db import UnitOfWork, make_engine  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from game.stats.services import scanned_stats  # noqa: E402
from game.transparency import repository as repo  # noqa: E402
from game.transparency.domain import (  # noqa: E402
    CERTIFICATE_ISSUED,
    GENESIS_HASH,
    chain_hash,
    inclusion_proof,
    log_record,
    verify_inclusion,
)
from game.transparency.services import publish_roots  # noqa: E402

DAY = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
DEFAULT_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/canopy_public")


def timed(label: str, fn):
    t = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - t:.2f} s", flush=True)
    return result


def recreate(url: str) -> None:
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute("DROP SCHEMA public CASCADE")
        c.execute("CREATE SCHEMA public")
    upgrade(url)


def load_log(url: str, n: int) -> None:
    """n chained entries of one day, hashed as append would, written with COPY."""
    buf, prev = io.StringIO(), GENESIS_HASH
    for seq in range(1, n + 1):
        ref = f"CNP-2026-{seq:06d}"
        digest = chain_hash(prev, log_record(seq, CERTIFICATE_ISSUED, ref, DAY.date(), DAY, {}))
        buf.write(f"{seq}\t{CERTIFICATE_ISSUED}\t{ref}\t{{}}\t{prev}\t{digest}\t"
                  f"{DAY.date()}\t{DAY.isoformat()}\n")
        prev = digest
    with psycopg.connect(url) as c, c.cursor().copy(
            "COPY public_log (seq, kind, ref, payload, prev_hash, hash, log_date, created_at) "
            "FROM STDIN") as copy:
        copy.write(buf.getvalue())


def load_users(url: str, n: int) -> None:
    with psycopg.connect(url) as c:
        c.execute("INSERT INTO users (external_id, timezone, co2e_total_g, created_at) "
                  "SELECT 'bench-' || i, 'Asia/Shanghai', (i::bigint * 7919) %% 5000, now() "
                  "FROM generate_series(1, %s) AS i", (n,))
        c.execute("ANALYZE users")
        c.execute("ANALYZE public_log")


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {statistics.median(ms):.2f} ms  p99 {p99:.2f} ms  (n={len(ms)})"


def sample(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def old_proof(uow: UnitOfWork, seq: int):
    """What GET /v1/public/certificates/{n} did before: the whole day, then its path."""
    with uow:
        s = uow.session
        entry, root = s.get(repo.PublicLogEntry, seq), repo.root_of(s, DAY.date())
        day = repo.day_hashes(s, entry.log_date)
        return inclusion_proof(entry.prev_hash, [h for _, h in day], seq - root.first_seq)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    url, n = args.database, args.entries
    timed("schema dropped and migrated", lambda: recreate(url))
    timed(f"{n} log entries hashed and copied", lambda: load_log(url, n))
    timed(f"{args.users} users inserted (INSERT ... SELECT generate_series)",
          lambda: load_users(url, args.users))
    engine = make_engine(url)
    uow = UnitOfWork(sessionmaker(bind=engine, expire_on_commit=False))
    timed("day published (root + stored nodes)",
          lambda: publish_roots(uow, DAY + timedelta(days=1)))
    config = Config()
    config.DATABASE_URL = url
    client = create_app(config).test_client()
    rng = random.Random(7)

    def proof_request():
        body = client.get(f"/v1/public/certificates/CNP-2026-{rng.randint(1, n):06d}").get_json()
        assert verify_inclusion(body["record"], body["proof"], body["root"]["root"]), body

    proof_request()
    print(f"proof, stored tree (GET, test client):  {percentiles(sample(proof_request, args.requests))}")
    print(f"proof, day rebuilt (old service path):  "
          f"{percentiles(sample(lambda: old_proof(uow, rng.randint(1, n)), 10))}")

    def stats_request():
        assert client.get("/v1/public/stats").status_code == 200

    stats_request()
    print(f"stats, counters (GET, test client):     {percentiles(sample(stats_request, args.requests))}")
    print(f"stats, full scans (old service path):   "
          f"{percentiles(sample(lambda: scanned_stats(uow), 10))}")
    assert client.get("/v1/public/stats").get_json() == scanned_stats(uow)
    trigger_cost(url)
    engine.dispose()


def trigger_cost(url: str, batch: int = 20_000, rounds: int = 8) -> None:
    """A settlement batch's UPDATE of its users' co2e_total_g (20,000 users by default) with
    and without the counter trigger, interleaved so that the machine's load hits both alike."""
    times: dict[bool, list[float]] = {True: [], False: []}
    with psycopg.connect(url) as c:
        for r in range(rounds):
            enabled = r % 2 == 0
            c.execute(f"ALTER TABLE users {'ENABLE' if enabled else 'DISABLE'} TRIGGER "
                      f"public_counters_users_upd")
            c.commit()
            first = 1 + r * batch
            t = time.perf_counter()
            c.execute("UPDATE users SET co2e_total_g = co2e_total_g + 1 "
                      "WHERE id BETWEEN %s AND %s", (first, first + batch - 1))
            c.commit()
            times[enabled].append(time.perf_counter() - t)
        c.execute("ALTER TABLE users ENABLE TRIGGER public_counters_users_upd")
        c.commit()
    for enabled, label in ((True, "with counter trigger"), (False, "trigger disabled")):
        print(f"UPDATE of {batch} users' co2e_total_g, {label}: {percentiles(times[enabled])}")


if __name__ == "__main__":
    main()
