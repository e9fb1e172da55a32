"""Migration 0021 converts a database filled at 0020 in place: every row kept, entries carry
their transaction's time, the events' global key moves to event_keys, the months holding data
get their partitions (PostgreSQL); the downgrade gives the plain tables back."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.migrate import alembic_config, upgrade
from tests.migrations import database_at

TABLES = ("activity_events", "ledger_transactions", "ledger_entries", "outbox_events")


@pytest.fixture
def old_database(engine, database_url):
    with database_at(engine, database_url, "0020") as old:
        with old.begin() as conn:
            fill(conn)
        yield old


def fill(conn) -> None:
    """A user, two ledger transactions (November 2025, March 2026), two events, a fact."""
    conn.execute(text("INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at) "
                      "VALUES (1, 'u1', 'UTC', 0, '2025-11-01 00:00:00')"))
    conn.execute(text("INSERT INTO ledger_accounts (id, user_id, code, tracks_balance, "
                      "balance_g) VALUES (1, NULL, 'issued', false, 0), "
                      "(2, 1, 'available', true, 30)"))
    conn.execute(text("INSERT INTO ledger_transactions (id, kind, cause_type, cause_id, "
                      "created_at) VALUES (1, 'grant', 'test', '1', '2025-11-15 10:00:00'), "
                      "(2, 'grant', 'test', '2', '2026-03-10 04:00:00')"))
    conn.execute(text("INSERT INTO ledger_entries (id, transaction_id, account_id, amount_g) "
                      "VALUES (1, 1, 1, -10), (2, 1, 2, 10), (3, 2, 1, -20), (4, 2, 2, 20)"))
    conn.execute(text(
        "INSERT INTO activity_events (id, source, source_event_id, user_id, activity_type, "
        "quantity, occurred_at, local_date, attributes, payload_hash, received_at) VALUES "
        "(1, 'p', 'e1', 1, 'walk', 5000, '2026-03-09 04:00:00', '2026-03-09', '{}', 'h1', "
        "'2026-03-09 05:00:00'), (2, 'p', 'e2', 1, 'walk', 6000, '2025-12-01 04:00:00', "
        "'2025-12-01', '{}', 'h2', '2025-12-01 05:00:00')"))
    conn.execute(text("INSERT INTO outbox_events (id, type, occurred_at, user_id, payload) "
                      "VALUES (1, 'test', '2026-03-10 04:00:00', 1, '{}')"))


def counts(conn) -> dict[str, int]:
    return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def test_an_upgrade_keeps_every_row_and_partitions_the_months_that_hold_data(old_database):
    postgres = old_database.dialect.name == "postgresql"
    with old_database.begin() as conn:
        before = counts(conn)
        upgrade(str(old_database.url), "head", connection=conn)
    with old_database.begin() as conn:
        assert counts(conn) == before == {"activity_events": 2, "ledger_transactions": 2,
                                          "ledger_entries": 4, "outbox_events": 1}
        assert conn.execute(text(
            "SELECT e.id FROM ledger_entries e JOIN ledger_transactions t "
            "ON t.id = e.transaction_id AND t.created_at = e.created_at ORDER BY e.id")
        ).scalars().all() == [1, 2, 3, 4]
        assert conn.execute(text("SELECT source_event_id, payload_hash FROM event_keys "
                                 "ORDER BY 1")).all() == [("e1", "h1"), ("e2", "h2")]
        # The sequences follow the tables: new rows get fresh ids.
        new_id = conn.scalar(text(
            "INSERT INTO ledger_transactions (kind, cause_type, cause_id, created_at) "
            "VALUES ('grant', 'test', '3', '2026-03-11 00:00:00') RETURNING id"))
        assert new_id is not None
        if postgres:
            assert_partitioned(conn)


def assert_partitioned(conn) -> None:
    for table in TABLES:
        assert conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"),
                           {"t": table}) == "p"
        assert conn.scalar(text(f"SELECT count(*) FROM {table}_default")) == 0, table
    assert conn.scalar(text("SELECT count(*) FROM ledger_entries_p202511")) == 2
    assert conn.scalar(text("SELECT count(*) FROM activity_events_p202512")) == 1
    # Every unique key of the per-user events contains the partition key and the user.
    key = conn.scalar(text("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conname = 'pk_activity_events'"))
    assert key == "PRIMARY KEY (local_date, user_id, id)"


def test_the_downgrade_gives_the_plain_tables_back_with_their_rows(old_database):
    with old_database.begin() as conn:
        before = counts(conn)
        upgrade(str(old_database.url), "0021_partitions", connection=conn)
    with old_database.begin() as conn:  # 0022_ball_storage, before it, has no downgrade
        command.downgrade(alembic_config(str(old_database.url), conn), "0022_ball_storage")
    with old_database.begin() as conn:
        assert counts(conn) == before
        if old_database.dialect.name == "postgresql":
            for table in TABLES:
                assert conn.scalar(text("SELECT relkind FROM pg_class "
                                        "WHERE oid = to_regclass(:t)"), {"t": table}) == "r"
    with pytest.raises(IntegrityError), old_database.begin() as conn:  # the key is back
        conn.execute(text(
            "INSERT INTO activity_events (source, source_event_id, user_id, activity_type, "
            "quantity, occurred_at, local_date, attributes, payload_hash, received_at) VALUES "
            "('p', 'e1', 1, 'walk', 1, '2026-03-09 04:00:00', '2026-03-09', '{}', 'h', "
            "'2026-03-09 05:00:00')"))
