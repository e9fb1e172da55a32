"""PostgreSQL: counter slots keep concurrent writers apart. A transaction that changed a figure
holds its slot until it commits; another writer takes a free slot instead of waiting."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from game.stats.services import public_stats, scanned_stats

ADD_USER = text("INSERT INTO users (external_id, timezone, co2e_total_g, created_at) "
                "VALUES (:e, 'UTC', :g, now())")


def test_a_writer_holding_a_slot_never_makes_another_wait(engine, committed_uow, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serializes every writer on its database lock; slots are moot")
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
