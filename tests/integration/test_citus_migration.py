"""Migration 0026_citus on a database filled at 0021_partitions: every engine gets the external
id lookup and the ledger's owner keys, filled from the rows already there; external ids stay
unique through the lookup."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.migrate import upgrade
from tests.migrations import database_at


@pytest.fixture
def old_database(engine, database_url):
    with database_at(engine, database_url, "0021_partitions") as old:
        with old.begin() as conn:
            fill(conn)
        yield old


def fill(conn) -> None:
    """Two users, a system account and a user account, two entries."""
    conn.execute(text("INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at) "
                      "VALUES (1, 'u1', 'UTC', 0, '2026-03-01 00:00:00'), "
                      "(2, 'u2', 'UTC', 0, '2026-03-01 00:00:00')"))
    conn.execute(text("INSERT INTO ledger_accounts (id, user_id, code, tracks_balance, "
                      "balance_g) VALUES (1, NULL, 'issued', false, 0), "
                      "(2, 2, 'available', true, 30)"))
    conn.execute(text("INSERT INTO ledger_transactions (id, kind, cause_type, cause_id, "
                      "created_at) VALUES (1, 'grant', 'test', '1', '2026-03-10 04:00:00')"))
    conn.execute(text("INSERT INTO ledger_entries (id, transaction_id, account_id, amount_g, "
                      "created_at) VALUES (1, 1, 1, -30, '2026-03-10 04:00:00'), "
                      "(2, 1, 2, 30, '2026-03-10 04:00:00')"))


def test_an_upgrade_fills_the_lookup_and_the_owner_keys(old_database, is_citus):
    with old_database.begin() as conn:
        upgrade(str(old_database.url), "head", connection=conn)
    with old_database.begin() as conn:
        if is_citus:  # the filled tables were distributed, their rows moved into the shards
            assert conn.scalar(text(
                "SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition "
                "WHERE logicalrelid = 'ledger_entries'::regclass")) == "owner_id"
        assert conn.execute(text("SELECT external_id, user_id FROM user_external_ids "
                                 "ORDER BY 1")).all() == [("u1", 1), ("u2", 2)]
        assert conn.execute(text("SELECT id, owner_id FROM ledger_accounts ORDER BY id")
                            ).all() == [(1, 0), (2, 2)]
        assert conn.execute(text("SELECT id, owner_id FROM ledger_entries ORDER BY id")
                            ).all() == [(1, 0), (2, 2)]
    with pytest.raises(IntegrityError), old_database.begin() as conn:  # (owner, code) is a key
        conn.execute(text("INSERT INTO ledger_accounts (user_id, owner_id, code, "
                          "tracks_balance, balance_g) VALUES (NULL, 0, 'issued', false, 0)"))
    with pytest.raises(IntegrityError), old_database.begin() as conn:  # an id is claimed once
        conn.execute(text("INSERT INTO user_external_ids (external_id, user_id) "
                          "VALUES ('u1', 3)"))
