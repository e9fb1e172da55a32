"""Migration 0025_stream upgrades a database whose outbox already holds facts: the stream's
tables are added beside it, outbox_events keeps its columns and its rows."""

from __future__ import annotations

from sqlalchemy import inspect, text

from db.migrate import upgrade
from tests.migrations import database_at


def test_upgrading_a_filled_outbox_adds_the_stream_tables_and_keeps_the_rows(engine,
                                                                            database_url):
    with database_at(engine, database_url, "0020") as old:
        with old.begin() as conn:
            conn.execute(text(
                "INSERT INTO outbox_events (type, occurred_at, user_id, payload) VALUES "
                "('watered', '2026-03-10 04:00:00', 1, '{}'), "
                "('energy_stolen', '2026-03-10 04:01:00', 1, '{\"energy_g\": 8}')"))
            columns = [c["name"] for c in inspect(conn).get_columns("outbox_events")]
        with old.begin() as conn:
            upgrade(str(old.url), connection=conn)
        with old.begin() as conn:
            assert [c["name"] for c in inspect(conn).get_columns("outbox_events")] == columns
            assert conn.execute(text("SELECT count(*) FROM outbox_events")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM stream_positions")).scalar() == 0
            conn.execute(text("INSERT INTO stream_positions (stream, last_id, updated_at) "
                              "VALUES ('canopy.events', 0, '2026-03-10 04:02:00')"))
            conn.execute(text("INSERT INTO stream_gaps (stream, first_id, last_id, noticed_at) "
                              "VALUES ('canopy.events', 3, 4, '2026-03-10 04:02:00')"))
            tables = set(inspect(conn).get_table_names())
        assert {"stream_positions", "stream_gaps"} <= tables
