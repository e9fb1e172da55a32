"""Ingestion benchmark: signed batches of 1000 events over HTTP against COPY of the same rows.

    .venv/bin/python bench/ingest.py [--events 100000] [--clients 4]

Creates (or recreates) the PostgreSQL database canopy_bench_ingest, migrates and seeds it, starts
the server (`python -m api.server.supervisor`, 2 workers) on it, creates an events:write partner, posts the batches from
several client threads and prints the sustained rate; then truncates activity_events and COPYs
the very rows the API stored back into it, and prints that rate and the ratio of the two.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import EVENT_MIX, free_port, fresh_database, start_server  # noqa: E402

from api.core.auth import signature  # noqa: E402
from carbon.services.catalog import seed_default_methodology  # noqa: E402
from carbon.services.partners import create_partner  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

DB_NAME = "canopy_bench_ingest"
PATH = "/v1/partner/events"
LOG = Path(tempfile.gettempdir()) / "canopy-bench-ingest-server.log"
BATCH = 1000
MIX = EVENT_MIX
COLUMNS = ("source, source_event_id, user_id, activity_type, quantity, occurred_at, local_date, "
           "attributes, payload_hash, dedupe_key, received_at")


def recreate_database():
    """A fresh, migrated and seeded bench database: (its url, an events:write partner)."""
    url = fresh_database(DB_NAME)
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    seed_default_methodology(uow, datetime.now(UTC))
    partner = create_partner(uow, "bench-pay", ["events:write"], datetime.now(UTC))
    engine.dispose()
    return url, partner


def make_event(rng: random.Random, n: int, users: int, now: datetime) -> dict:
    kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
    event = {"id": f"ev-{n}", "user_id": f"user-{rng.randrange(users)}", "type": kind,
             "quantity": rng.randrange(1000, 30000) if kind == "walk" else 1,
             "occurred_at": (now - timedelta(seconds=rng.randrange(6 * 3600))).isoformat()}
    if kind == "utility_bill":
        event["attributes"] = {"account_no": f"acct-{rng.randrange(10**6)}"}
    elif kind == "offline_payment":
        event["attributes"] = {"merchant": f"m{rng.randrange(5000)}", "amount_fen": 1800}
    return event


def make_bodies(total: int, users: int, dup_rate: float, now: datetime, seed: int = 7):
    """Batches of 1000 events; about dup_rate of them repeat an event of an earlier batch."""
    rng = random.Random(seed)
    sent: list[dict] = []
    bodies, fresh = [], 0
    for _ in range(total // BATCH):
        batch = []
        for _ in range(BATCH):
            if sent and rng.random() < dup_rate:
                batch.append(rng.choice(sent))
            else:
                batch.append(make_event(rng, fresh, users, now))
                fresh += 1
        sent.extend(batch[:50])
        bodies.append(json.dumps({"events": batch}).encode())
    return bodies


def post(port: int, partner, body: bytes) -> dict:
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Partner-Key": partner.key_id,
               "X-Timestamp": stamp,
               "X-Signature": signature(partner.secret, stamp, "POST", PATH, body)}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", PATH, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status != 200:
        raise SystemExit(f"HTTP {resp.status}: {data[:500]!r}")
    return json.loads(data)


def run_http(port: int, partner, bodies: list[bytes], clients: int) -> tuple[float, dict]:
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for result in pool.map(lambda b: post(port, partner, b), bodies):
            totals["accepted"] += result["accepted"]
            totals["duplicates"] += result["duplicates"]
            totals["rejected"] += len(result["rejected"])
    return time.perf_counter() - start, totals


def run_copy(url: str) -> tuple[float, int]:
    """Read back what the API stored, truncate, and COPY the same rows into the same table."""
    with psycopg.connect(url) as conn:
        select = COLUMNS.replace("attributes", "attributes::text")
        rows = conn.execute(f"SELECT {select} FROM activity_events").fetchall()
        conn.execute("TRUNCATE activity_events")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY activity_events ({COLUMNS}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        conn.commit()
        return time.perf_counter() - start, len(rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dup-rate", type=float, default=0.01)
    return parser.parse_args()


def bench_http(args, url: str, partner) -> tuple[float, dict, int]:
    """Post every batch through the server; (seconds, totals, events sent)."""
    now = datetime.now(UTC)
    warmup = [json.dumps({"events": [make_event(random.Random(i), 10**9 + i * BATCH + j,
                                                args.users, now) for j in range(BATCH)]}).encode()
              for i in range(4)]
    bodies = make_bodies(args.events, args.users, args.dup_rate, now)
    port = free_port()
    server = start_server(url, port, args.workers, log_path=LOG)
    try:
        run_http(port, partner, warmup, args.clients)  # imports, pools, statement caches
        elapsed, totals = run_http(port, partner, bodies, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return elapsed, totals, len(bodies) * BATCH


def main() -> int:
    args = parse_args()
    load_before = os.getloadavg()[0]
    url, partner = recreate_database()
    elapsed, totals, sent = bench_http(args, url, partner)
    http_rate = sent / elapsed
    # Other processes share these cores: the load average says how quiet the machine was.
    print(f"loadavg_1min_before={load_before:.2f} loadavg_1min_after={os.getloadavg()[0]:.2f} "
          f"cpus={os.cpu_count()}")
    print(f"events_sent={sent} clients={args.clients} workers={args.workers} "
          f"accepted={totals['accepted']} duplicates={totals['duplicates']} "
          f"rejected={totals['rejected']}")
    print(f"ingest_http_seconds={elapsed:.2f}")
    print(f"ingest_http_events_per_s={http_rate:.0f}")
    copy_elapsed, copied = run_copy(url)
    copy_rate = copied / copy_elapsed
    print(f"copy_rows={copied} copy_seconds={copy_elapsed:.2f}")
    print(f"copy_events_per_s={copy_rate:.0f}")
    print(f"ratio={http_rate / copy_rate:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
