"""Event ingestion against the database: storage, bulk users, concurrent retries, late data."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from carbon.models import ActivityEvent, SettlementBatch, User
from carbon.repository import events as events_repository
from carbon.services.catalog import seed_default_methodology
from carbon.services.events import ingest_events
from carbon.services.users import ensure_users
from db import UnitOfWork
from tests.concurrency import at_once
from tests.conftest import NOW

TZ = "Asia/Shanghai"


def ev(i, user="alice", type_="offline_payment", quantity=1, **more):
    body = {"id": f"e{i}", "user_id": user, "type": type_, "quantity": quantity,
            "occurred_at": (NOW - timedelta(minutes=i % 600)).isoformat()}
    body.update(more)
    return body


@pytest.fixture
def catalog(uow):
    seed_default_methodology(uow, NOW)


def test_attributes_are_stored_as_sent(uow, session, catalog):
    attrs = {"merchant": "全家 FamilyMart", "amount_fen": 1800, "tags": ["a", {"b": None}]}
    result = ingest_events(uow, "pay", [ev(1, attributes=attrs), ev(2)], TZ, NOW)
    assert (result.accepted, result.duplicates, result.rejected) == (2, 0, [])
    stored = session.scalars(select(ActivityEvent).order_by(ActivityEvent.source_event_id)).all()
    assert stored[0].attributes == attrs and stored[1].attributes == {}
    assert stored[0].occurred_at == NOW - timedelta(minutes=1)


def test_ensure_users_creates_many_users_at_once_and_keeps_existing_zones(uow, session):
    with uow:
        ensure_users(uow.session, ["keep"], "Europe/Paris", NOW)
        refs = ensure_users(uow.session, [f"u{i}" for i in range(300)] + ["keep"], TZ, NOW)
        uow.commit()
    assert len(refs) == 301 and refs["keep"].timezone == "Europe/Paris"
    assert session.scalar(select(User.timezone).where(User.external_id == "u299")) == TZ


def test_a_second_identical_batch_is_all_duplicates(uow, catalog):
    batch = [ev(i, user=f"u{i % 7}") for i in range(50)]
    assert ingest_events(uow, "pay", batch, TZ, NOW).accepted == 50
    again = ingest_events(uow, "pay", batch, TZ, NOW + timedelta(minutes=1))
    assert (again.accepted, again.duplicates, again.rejected) == (0, 50, [])


def test_type_rules_know_when_each_type_starts_to_be_valued(uow, session, catalog):
    rules = events_repository.type_rules(session)
    assert rules["walk"].aggregate == "max" and rules["walk"].max_quantity == 100_000
    assert rules["utility_bill"].dedupe_attribute == "account_no"
    assert rules["walk"].valued_from.year == 2000


@pytest.fixture
def committed(engine, committed_uow):
    """Unit-of-work makers on really committed transactions (one per thread)."""
    seed_default_methodology(committed_uow, NOW)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    return lambda: UnitOfWork(factory)


def test_concurrent_retries_of_a_batch_store_each_event_once(engine, committed):
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    batch = [ev(i, user=f"u{i % 40}") for i in range(400)]
    results = at_once([lambda: ingest_events(committed(), "pay", batch, TZ, NOW)] * 3)
    assert sum(r.accepted for r in results) == 400
    assert sum(r.duplicates for r in results) == 800
    assert all(r.rejected == [] for r in results)


def test_concurrent_batches_with_the_same_ids_and_other_payloads_never_merge(engine, committed):
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    first = [ev(i, quantity=1) for i in range(200)]
    second = [ev(i, quantity=2) for i in reversed(range(200))]
    a, b = at_once([lambda: ingest_events(committed(), "pay", first, TZ, NOW),
                    lambda: ingest_events(committed(), "pay", second, TZ, NOW)])
    assert a.accepted + b.accepted == 200
    assert len(a.rejected) + len(b.rejected) == 200
    assert {r.code for r in a.rejected + b.rejected} == {"conflict"}


def test_an_event_waits_for_a_settlement_batch_in_progress_then_is_refused(engine, committed):
    """Settlement holds the day's lock exclusively: ingestion's settled check waits for its
    commit, so the event is refused as late instead of being stored unseen."""
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    with committed() as uow:
        alice = ensure_users(uow.session, ["alice"], TZ, NOW)["alice"]
        uow.commit()
    settler = committed()
    with settler:
        events_repository.hold_days(settler.session, {(NOW.date(), TZ)}, exclusive=True)
        settler.session.add(SettlementBatch(local_date=NOW.date(), timezone=TZ,
                                            first_user_id=alice.id, last_user_id=alice.id,
                                            balls=0, energy_g=0, finished_at=NOW))
        settler.session.flush()
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.setdefault(
            "r", ingest_events(committed(), "pay", [ev(1)], TZ, NOW)))
        worker.start()
        worker.join(timeout=1)
        assert worker.is_alive(), "ingestion must wait for the settlement transaction"
        settler.commit()
    worker.join(timeout=30)
    assert [r.code for r in outcome["r"].rejected] == ["day_settled"]
