"""PostgreSQL: counter slots keep concurrent writers apart. A transaction that changed a figure
holds its slot until it commits; another writer takes a free slot instead of waiting, and a
recount waits for the writers in flight."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from game.stats.services import public_stats, recount, scanned_stats

ADD_USER = text("INSERT INTO users (external_id, timezone, co2e_total_g, created_at) "
                "VALUES (:e, 'UTC', :g, now())")


def test_a_writer_holding_a_slot_never_makes_another_wait(engine, committed_uow, is_postgres,
                                                          not_on_citus):
    if not is_postgres:
        pytest.skip("SQLite serializes every writer on its database lock; slots are moot")
    not_on_citus("the counters' triggers are gone there (the services add to the counters) "
                 "and this test inserts users with plain SQL, which no counter follows")
    with engine.connect() as holder:
        holder.execute(ADD_USER, {"e": "holder", "g": 10})  # its slot is locked until commit
        with engine.connect() as other:
            other.execute(text("SET lock_timeout = '2s'"))  # waiting on the holder would fail
            for i in range(3):
                other.execute(ADD_USER, {"e": f"other-{i}", "g": 1})
                other.commit()
        holder.commit()
    figures = public_stats(committed_uow)
    assert figures == scanned_stats(committed_uow)
    assert (figures["users"], figures["co2e_total_g"]) == (4, 13)


def test_a_recount_waits_for_a_writer_in_flight_and_loses_nothing(engine, committed_uow,
                                                                  is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serializes every writer on its database lock")
    with engine.connect() as writer:
        writer.execute(ADD_USER, {"e": "in-flight", "g": 7})  # its slot is locked until commit
        counting = threading.Thread(target=recount, args=(committed_uow,))
        counting.start()
        time.sleep(0.5)  # the recount is now waiting for the writer (or would scan without it)
        writer.commit()
    counting.join(timeout=30)
    assert not counting.is_alive()
    assert public_stats(committed_uow) == scanned_stats(committed_uow)
    assert public_stats(committed_uow)["users"] == 1
