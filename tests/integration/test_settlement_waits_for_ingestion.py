"""Settlement and ingestion of the same day never lose an event between them (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from carbon.models import ActivityEvent, Ball
from carbon.repository import events as events_repository
from carbon.services.settlement import settle_day
from carbon.services.users import ensure_users
from db import UnitOfWork
from tests.conftest import NOW
from tests.factories.carbon import seed_methodology

TZ = "Asia/Shanghai"
DAY = NOW.date()
AFTER_MIDNIGHT = NOW + timedelta(hours=13)  # 01:00 the next day in Shanghai


def _waiting_advisory_locks(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))


def test_a_batch_waits_for_an_ingestion_in_flight_and_settles_its_event(engine, committed_uow):
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    seed_methodology(committed_uow)
    with committed_uow as uow:
        alice = ensure_users(uow.session, ["alice"], TZ, NOW)["alice"]
        uow.commit()
    def fresh() -> UnitOfWork:
        return UnitOfWork(sessionmaker(bind=engine, expire_on_commit=False))

    ingest = fresh()
    with ingest:
        # What ingestion does: hold the day shared, check it is not settled, store, commit.
        events_repository.hold_days(ingest.session, {(DAY, TZ)})
        ingest.session.add(ActivityEvent(
            source="pay", source_event_id="late-1", user_id=alice.id,
            activity_type="offline_payment", quantity=1, occurred_at=NOW, local_date=DAY,
            attributes={}, payload_hash="h", dedupe_key=None, received_at=NOW))
        ingest.session.flush()
        settler = threading.Thread(target=lambda: settle_day(
            fresh(), DAY, AFTER_MIDNIGHT, [TZ]))
        settler.start()
        deadline = time.monotonic() + 10
        while _waiting_advisory_locks(engine) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert settler.is_alive(), "settlement must wait for the ingestion in flight"
        ingest.commit()
    settler.join(timeout=30)
    with committed_uow as uow:
        energy = uow.session.scalars(select(Ball.energy_g).where(Ball.user_id == alice.id)).all()
    assert energy == [5]
