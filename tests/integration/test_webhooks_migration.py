"""Migration 0024 upgrades a database that already holds partners and outbox rows: their
events are untouched and webhooks can be registered and fed at once."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db.migrate import upgrade
from tests.migrations import database_at


@pytest.fixture
def old_database(engine, database_url):
    with database_at(engine, database_url, "0020") as old:
        yield old


def test_upgrading_a_database_with_partners_and_outbox_rows(old_database):
    with old_database.begin() as conn:
        conn.execute(text("INSERT INTO partners (id, name, key_id, secret, scopes, active, "
                          "created_at) VALUES (1, 'p', 'pk_1', 's', 'plantings', true, "
                          "'2026-03-10 04:00:00')"))
        conn.execute(text("INSERT INTO outbox_events (type, occurred_at, partner_id, payload) "
                          "VALUES ('planting_ordered', '2026-03-10 04:00:00', 1, '{}')"))
    with old_database.begin() as conn:
        upgrade(str(old_database.url), "head", connection=conn)
    with old_database.begin() as conn:
        conn.execute(text("INSERT INTO webhook_endpoints (partner_id, url, event_types, "
                          "created_at) VALUES (1, 'http://x/', 'planting.ordered', "
                          "'2026-03-10 04:00:00')"))
        endpoint = conn.execute(text("SELECT id, active, failures FROM webhook_endpoints")).one()
        conn.execute(text(
            "INSERT INTO webhook_deliveries (endpoint_id, partner_id, event_id, event_type, "
            "event_key, occurred_at, data, status, next_attempt_at, expires_at, created_at) "
            "VALUES (:e, 1, 1, 'planting.ordered', 'k', '2026-03-10 04:00:00', '{}', "
            "'pending', '2026-03-10 04:00:00', '2026-03-13 04:00:00', '2026-03-10 04:00:00')"),
            {"e": endpoint.id})
        outbox = conn.execute(text("SELECT COUNT(*) FROM outbox_events")).scalar_one()
        attempts = conn.execute(text("SELECT attempts FROM webhook_deliveries")).scalar_one()
    assert (bool(endpoint.active), endpoint.failures, outbox, attempts) == (True, 0, 1, 0)
