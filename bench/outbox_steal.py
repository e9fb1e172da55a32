"""What the outbox row adds to one steal, at the service level, on PostgreSQL.

    .venv/bin/python bench/outbox_steal.py [--steals 800]

Creates (or recreates) the database canopy_bench_outbox, one owner with `--steals` ripe balls
and a friend who steals each once. Steals alternate, one by one, between the real service and
the same service with the outbox row left out, so that the load of a shared machine hits both
halves alike. Prints p50/p99/mean per half and the number of outbox rows written. The HTTP
figure at 300 requests/s is bench/api_load.py's (the README table); this one isolates the row.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from common import fresh_database

from carbon.services import ledger, outbox
from carbon.services.balls import issue_ball
from carbon.services.users import ensure_user
from db import UnitOfWork, make_engine, make_session_factory
from game.forest.services import friends, steal

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def seed(sessions, balls: int) -> tuple[int, list[int]]:
    uow = UnitOfWork(sessions)
    with uow:
        s = uow.session
        owner = ensure_user(s, "owner", "Asia/Shanghai", NOW).id
        thief = ensure_user(s, "thief", "Asia/Shanghai", NOW).id
        ids = [issue_ball(s, owner, "settlement", f"type{i}", NOW.date(), 100, NOW,
                          NOW + timedelta(days=3), True, ledger.account(s, ledger.ISSUED),
                          "bench", f"b{i}", NOW - timedelta(hours=8)) for i in range(balls)]
        uow.commit()
    friends.request_friend(UnitOfWork(sessions), owner, "thief", NOW)
    friends.request_friend(UnitOfWork(sessions), thief, "owner", NOW)
    return thief, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steals", type=int, default=800)
    args = parser.parse_args()
    engine = make_engine(fresh_database("canopy_bench_outbox"))
    sessions = make_session_factory(engine)
    thief, balls = seed(sessions, args.steals)
    real, times = outbox.record, {True: [], False: []}
    try:
        for i, ball in enumerate(balls):
            told = i % 2 == 0
            outbox.record = real if told else (lambda *a, **k: None)
            start = time.perf_counter()
            steal.steal(UnitOfWork(sessions), thief, "owner", ball, NOW)
            times[told].append((time.perf_counter() - start) * 1000)
    finally:
        outbox.record = real
    for told, ms in times.items():
        ms.sort()
        print(f"outbox={'on' if told else 'off'} steals={len(ms)} p50_ms={ms[len(ms) // 2]:.2f} "
              f"p99_ms={ms[int(len(ms) * 0.99)]:.2f} mean_ms={statistics.mean(ms):.2f}")
    print("thief's feed items:", len(outbox.feed(UnitOfWork(sessions), thief, None,
                                                  args.steals).items))
    engine.dispose()


if __name__ == "__main__":
    main()
