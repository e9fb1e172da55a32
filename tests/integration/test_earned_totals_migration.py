"""Migration 0014 upgrades a database that already holds a ledger: the earned totals it
creates say what the ledger says (collects and steals only). Migration 0030 drops the per-day
totals (the board reads quarters), and its downgrade writes them back from the quarters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import bindparam, inspect, text

from carbon.earned_models import QUARTER_SECONDS
from db.base import UTCDateTime
from db.migrate import alembic_config, upgrade
from tests.migrations import database_at

LAST_SECOND = datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def old_database(engine, database_url):
    """An engine on an empty database of its own, at migration 0007."""
    with database_at(engine, database_url, "0007") as old:
        yield old


_TXN = text("INSERT INTO ledger_transactions (id, kind, cause_type, cause_id, created_at) "
            "VALUES (:id, :kind, 'test', :id, :at)").bindparams(bindparam("at", type_=UTCDateTime()))


def fill_ledger(conn) -> None:
    """Users 1 and 2; user 1 collects 30 g a second before midnight UTC and steals 7 g at
    midnight; user 2 collects 5 g. Not earnings: a grant, a spend, a refund, an expiry."""
    conn.execute(text("INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at) "
                      "VALUES (1, 'u1', 'Asia/Shanghai', 0, '2026-01-01'), "
                      "(2, 'u2', 'America/New_York', 0, '2026-01-01')"))
    conn.execute(text(
        "INSERT INTO ledger_accounts (id, user_id, code, tracks_balance, balance_g) VALUES "
        "(1, NULL, 'balls', false, 0), (2, NULL, 'issued', false, 0), "
        "(3, NULL, 'expired', false, 0), (4, NULL, 'plantings', false, 0), "
        "(11, 1, 'available', true, 0), (12, 2, 'available', true, 0)"))
    moves = [("collect", LAST_SECOND, 1, 11, 30), ("steal", MIDNIGHT, 1, 11, 7),
             ("collect", MIDNIGHT, 1, 12, 5), ("grant", MIDNIGHT, 2, 11, 100),
             ("planting", MIDNIGHT, 11, 4, 40), ("refund", MIDNIGHT, 4, 12, 40),
             ("expire", MIDNIGHT, 1, 3, 9)]
    for txn_id, (kind, at, source, target, grams) in enumerate(moves, start=1):
        conn.execute(_TXN, {"id": txn_id, "kind": kind, "at": at})
        conn.execute(text("INSERT INTO ledger_entries (transaction_id, account_id, amount_g) "
                          "VALUES (:t, :a, :g)"),
                     [{"t": txn_id, "a": source, "g": -grams},
                      {"t": txn_id, "a": target, "g": grams}])


def _filled_at_0029(engine) -> None:
    """The ledger filled at 0007, then upgraded to the last revision with earned_days."""
    with engine.begin() as conn:
        fill_ledger(conn)
    with engine.begin() as conn:
        upgrade(str(engine.url), "0029_capped_months", connection=conn)


def test_upgrading_a_database_with_a_ledger_backfills_the_earned_totals(old_database):
    _filled_at_0029(old_database)
    day = _earned_days(old_database)
    with old_database.connect() as conn:
        quarters = conn.execute(text("SELECT user_id, quarter, earned_g FROM earned_quarters "
                                     "ORDER BY user_id, quarter")).all()
        totals = conn.execute(text("SELECT user_id, earned_g FROM earned_totals "
                                   "ORDER BY user_id")).all()
    assert day == [(1, date(2026, 3, 9), 30), (1, date(2026, 3, 10), 7),
                   (2, date(2026, 3, 10), 5)]
    q = int(MIDNIGHT.timestamp()) // QUARTER_SECONDS
    assert [tuple(r) for r in quarters] == [(1, q - 1, 30), (1, q, 7), (2, q, 5)]
    assert [tuple(r) for r in totals] == [(1, 37), (2, 5)]


def _earned_days(engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, day, earned_g FROM earned_days "
                                 "ORDER BY user_id, day")).all()
    return [(u, d if isinstance(d, date) else date.fromisoformat(d), g) for u, d, g in rows]


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_the_per_day_totals_go_at_0030_and_come_back_from_the_quarters(old_database):
    _filled_at_0029(old_database)
    days = _earned_days(old_database)
    assert len(days) == 3
    with old_database.begin() as conn:
        upgrade(str(old_database.url), "head", connection=conn)
    assert "earned_days" not in _tables(old_database)
    assert {"earned_quarters", "earned_totals"} <= _tables(old_database)
    with old_database.begin() as conn:
        command.downgrade(alembic_config(str(old_database.url), conn), "0029_capped_months")
    assert _earned_days(old_database) == days
