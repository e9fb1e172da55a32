"""Migration 0020 upgrades a database filled at the previous head: the statement's history it
creates holds exactly the settlement balls, so a statement reads the same after the upgrade."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from db.migrate import upgrade
from tests.migrations import database_at

BALL = text(
    "INSERT INTO balls (user_id, kind, activity_type, local_date, co2e_g, energy_g, remaining_g, "
    "stolen_g, collected_g, stealable, status, ripe_at, expires_at, created_at) VALUES "
    "(:u, :kind, :t, :d, :g, :e, 0, 0, :e, true, 'collected', '2026-03-10 23:00:00', "
    "'2026-03-13 23:00:00', '2026-03-10 17:00:00')")


@pytest.fixture
def old_database(engine, database_url):
    """An engine on an empty database of its own, at migration 0014."""
    with database_at(engine, database_url, "0014") as old:
        yield old


def fill_balls(conn) -> None:
    """Users 1 and 2 with settlement balls on two days; a watering (not CO2e) for user 1."""
    conn.execute(text("INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at) "
                      "VALUES (1, 'u1', 'Asia/Shanghai', 67, '2026-01-01'), "
                      "(2, 'u2', 'UTC', 296, '2026-01-01')"))
    conn.execute(BALL, [
        {"u": 1, "kind": "settlement", "t": "offline_payment", "d": "2026-02-28", "g": 10, "e": 10},
        {"u": 1, "kind": "settlement", "t": "offline_payment", "d": "2026-03-01", "g": 5, "e": 5},
        {"u": 1, "kind": "settlement", "t": "metro_ride", "d": "2026-03-01", "g": 52, "e": 52},
        {"u": 1, "kind": "water", "t": "water", "d": "2026-03-01", "g": 0, "e": 33},
        {"u": 2, "kind": "settlement", "t": "walk", "d": "2026-03-01", "g": 296, "e": 296}])


def test_upgrading_a_database_with_balls_backfills_the_statement_history(old_database):
    with old_database.begin() as conn:
        fill_balls(conn)
    with old_database.begin() as conn:
        upgrade(str(old_database.url), "0020", connection=conn)
    with old_database.connect() as conn:
        rows = conn.execute(text("SELECT local_date, user_id, activity_type, co2e_g "
                                 "FROM carbon_days ORDER BY local_date, user_id, activity_type"))
        got = [(d if isinstance(d, date) else date.fromisoformat(d), u, t, g) for d, u, t, g in rows]
    assert got == [(date(2026, 2, 28), 1, "offline_payment", 10),
                   (date(2026, 3, 1), 1, "metro_ride", 52),
                   (date(2026, 3, 1), 1, "offline_payment", 5),
                   (date(2026, 3, 1), 2, "walk", 296)]


def test_the_upgrade_puts_the_date_first_in_the_settlement_balls_key_which_stays_unique(
        old_database):
    with old_database.begin() as conn:
        fill_balls(conn)
    with old_database.begin() as conn:
        upgrade(str(old_database.url), "0020", connection=conn)
    with old_database.connect() as conn:
        key = {i["name"]: i for i in inspect(conn).get_indexes("balls")}[
            "uq_balls_settlement_user_date_type"]
    assert key["column_names"] == ["local_date", "user_id", "activity_type"] and key["unique"]
    again = {"u": 2, "kind": "settlement", "t": "walk", "d": "2026-03-01", "g": 1, "e": 1}
    with pytest.raises(IntegrityError), old_database.begin() as conn:
        conn.execute(BALL, again)
    with old_database.begin() as conn:  # another date, or a watering, is still welcome
        conn.execute(BALL, {**again, "d": "2026-03-02"})
        conn.execute(BALL, {**again, "kind": "water"})
