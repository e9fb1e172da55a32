"""What partner webhooks cost: the fan-out in the fact's transaction, and delivery throughput.

    .venv/bin/python bench/webhooks.py [--facts 600] [--deliveries 600]

Recreates the database canopy_webhooks_bench. Part 1 commits one outbox fact per transaction,
rotating, one by one, between a user fact (no fan-out), a partner fact of a partner without
endpoints, and partner facts fanned out to 1 and to 3 endpoints, so that a shared machine's
load hits every kind alike; prints p50/p99 per kind. Part 2 sends `--deliveries` deliveries
spread over 6 endpoints of a local receiver (it answers 204 at once), with 1 sender thread,
then with 4, and prints deliveries per second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import fresh_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from carbon.services import outbox, webhooks  # noqa: E402
from carbon.services.partners import create_partner  # noqa: E402
from carbon.services.webhook_sending import DeliverySettings, deliver_due  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402
from tests.webhook_receiver import Receiver  # noqa: E402

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def fact(sessions, kind: str, partner_id: int | None, n: int) -> float:
    uow = UnitOfWork(sessions)
    started = time.perf_counter()
    with uow:
        if partner_id is None:
            outbox.record(uow.session, "watered", NOW, user_id=1, other_user_id=2, ball_id=n)
        else:
            outbox.record(uow.session, kind, NOW, partner_id=partner_id, order_id=n,
                          project_id=1, quantity=1, energy_g=100)
        uow.commit()
    return (time.perf_counter() - started) * 1000


def part_one(sessions, facts: int, url: str) -> None:
    kinds, made = {}, []
    for name, endpoints in (("partner, 0 endpoints", 0), ("partner, 1 endpoint", 1),
                            ("partner, 3 endpoints", 3)):
        p = create_partner(UnitOfWork(sessions), f"bench-{endpoints}", ["plantings"], NOW)
        made += [webhooks.add_endpoint(UnitOfWork(sessions), p.name, url,
                                       ["planting.ordered"], NOW).id for _ in range(endpoints)]
        kinds[name] = p.id
    kinds = {"user fact (watered)": None, **kinds}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for n in range(facts):
        for name, pid in kinds.items():
            times[name].append(fact(sessions, "planting_ordered", pid, n))
    base = statistics.median(times["user fact (watered)"])
    for name, ms in times.items():
        q = statistics.quantiles(ms, n=100)
        print(f"{name:24} p50 {statistics.median(ms):6.3f} ms  p99 {q[98]:6.3f} ms  "
              f"p50 ratio {statistics.median(ms) / base:4.2f}")
    for endpoint_id in made:  # their deliveries are not part two's
        webhooks.remove_endpoint(UnitOfWork(sessions), endpoint_id)


def part_two(sessions, deliveries: int, receiver: Receiver) -> None:
    p = create_partner(UnitOfWork(sessions), "bench-throughput", ["plantings"], NOW)
    for i in range(6):
        webhooks.add_endpoint(UnitOfWork(sessions), p.name, receiver.url(f"/{i}"),
                              ["planting.ordered"], NOW)
    for senders in (1, 4):
        uow = UnitOfWork(sessions)
        with uow:
            for n in range(deliveries // 6):
                outbox.record(uow.session, "planting_ordered", NOW, partner_id=p.id,
                              order_id=senders * 100000 + n, project_id=1, quantity=1,
                              energy_g=100)
            uow.commit()
        settings = DeliverySettings(batch=60, per_endpoint=10, senders=senders)
        before, started = len(receiver.received), time.perf_counter()
        while deliver_due(lambda: UnitOfWork(sessions), lambda: NOW + timedelta(seconds=1),
                          settings):
            pass
        sent, took = len(receiver.received) - before, time.perf_counter() - started
        print(f"senders={senders}: {sent} deliveries in {took:.2f} s = {sent / took:.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=600)
    parser.add_argument("--deliveries", type=int, default=600)
    args = parser.parse_args()
    engine = make_engine(fresh_database("canopy_webhooks_bench"))
    sessions = make_session_factory(engine)
    receiver = Receiver()
    try:
        part_one(sessions, args.facts, receiver.url())
        part_two(sessions, args.deliveries, receiver)
    finally:
        receiver.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
