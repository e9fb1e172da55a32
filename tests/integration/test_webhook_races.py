"""Several deliverers at once (PostgreSQL): each event reaches each endpoint exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from carbon.services import outbox, webhooks
from carbon.services.partners import create_partner
from carbon.services.webhook_sending import DeliverySettings, deliver_due
from db import UnitOfWork
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.webhook_receiver import Receiver

EVENTS = 40
PATHS = ("/a", "/b", "/c")


def test_three_deliverers_at_once_never_send_one_event_twice(engine, committed_uow,
                                                            is_postgres):
    if not is_postgres:
        pytest.skip("SQLite runs one deliverer: FOR UPDATE SKIP LOCKED is PostgreSQL's")
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def fresh() -> UnitOfWork:
        return UnitOfWork(factory)

    receiver = Receiver(slow_s=0.01)
    receiver.mode = "slow"  # a little latency, so that the deliverers overlap
    try:
        partner = create_partner(fresh(), "race-partner", ["plantings"], NOW)
        for path in PATHS:
            webhooks.add_endpoint(fresh(), partner.name, receiver.url(path),
                                  ["planting.ordered"], NOW)
        with committed_uow as uow:
            for order_id in range(1, EVENTS + 1):
                outbox.record(uow.session, "planting_ordered", NOW, partner_id=partner.id,
                              order_id=order_id, project_id=1, quantity=1, energy_g=100)
            uow.commit()
        settings = DeliverySettings(batch=4, per_endpoint=2, connect_timeout_s=2,
                                    read_timeout_s=5, senders=2)

        def drain() -> Counter:
            total: Counter = Counter()
            while outcomes := deliver_due(fresh, lambda: NOW + timedelta(seconds=1), settings):
                total += outcomes
            return total

        results = at_once([drain, drain, drain])
    finally:
        receiver.stop()
    sent = Counter((path, h["Canopy-Event-Id"]) for path, h, _ in receiver.received)
    assert len(sent) == EVENTS * len(PATHS)
    assert max(sent.values()) == 1
    assert sum(r["delivered"] for r in results) == EVENTS * len(PATHS)
    assert sum(r["stale"] for r in results) == 0
