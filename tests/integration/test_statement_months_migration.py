"""Migration 0031 upgrades a database that already holds carbon_days: on plain PostgreSQL every
whole month up to days_through is rendered into carbon_months (and months_through says so);
the month days_through ends inside is left to its roll-up. Elsewhere the table stays empty."""

from __future__ import annotations

import json
from datetime import date

import pytest
from alembic import command
from sqlalchemy import inspect, text

from db.migrate import alembic_config, upgrade
from tests.migrations import database_at

ROWS = [(date(2026, 1, 5), 1, "walk", 3), (date(2026, 1, 5), 1, "bus_ride", 80),
        (date(2026, 1, 31), 1, "walk", 4), (date(2026, 2, 10), 1, "walk", 5),
        (date(2026, 2, 10), 2, "metro_ride", 52), (date(2026, 3, 3), 1, "walk", 6)]


@pytest.fixture
def old_database(engine, database_url):
    """An engine on a database of its own at 0030, holding carbon_days through March 3."""
    with database_at(engine, database_url, "0030_no_earned_days") as old:
        with old.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at) VALUES "
                "(1, 'u1', 'Asia/Shanghai', 0, '2026-01-01'), "
                "(2, 'u2', 'Asia/Shanghai', 0, '2026-01-01')"))
            conn.execute(text("INSERT INTO carbon_days (local_date, user_id, activity_type, "
                              "co2e_g) VALUES (:d, :u, :t, :g)"),
                         [{"d": d, "u": u, "t": t, "g": g} for d, u, t, g in ROWS])
            conn.execute(text("UPDATE co2e_rollup SET through = '2026-02-28', "
                              "days_through = '2026-03-03'"))
        yield old


def _months(engine) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT month, user_id, co2e_g, by_type, days FROM carbon_months"
                                 " ORDER BY month, user_id")).all()
        through = conn.execute(text("SELECT months_through FROM co2e_rollup")).scalar()
    return {"through": through, "months": [
        (str(m), u, g, json.loads(t), json.loads(d)) for m, u, g, t, d in rows]}


def test_upgrading_renders_every_whole_month_up_to_days_through(old_database, is_postgres,
                                                                 is_citus):
    with old_database.begin() as conn:
        upgrade(str(old_database.url), "head", connection=conn)
    found = _months(old_database)
    if not is_postgres or is_citus:
        assert found == {"through": None, "months": []}
        return
    assert found["through"] == date(2026, 2, 28)
    assert found["months"] == [
        ("2026-01-01", 1, 87, {"bus_ride": 80, "walk": 7}, [
            {"date": "2026-01-05", "co2e_g": 83, "by_type": {"bus_ride": 80, "walk": 3}},
            {"date": "2026-01-31", "co2e_g": 4, "by_type": {"walk": 4}}]),
        ("2026-02-01", 1, 5, {"walk": 5}, [
            {"date": "2026-02-10", "co2e_g": 5, "by_type": {"walk": 5}}]),
        ("2026-02-01", 2, 52, {"metro_ride": 52}, [
            {"date": "2026-02-10", "co2e_g": 52, "by_type": {"metro_ride": 52}}])]


def test_the_downgrade_drops_the_rendered_months(old_database):
    with old_database.begin() as conn:
        upgrade(str(old_database.url), "head", connection=conn)
    with old_database.begin() as conn:
        command.downgrade(alembic_config(str(old_database.url), conn), "0030_no_earned_days")
    assert "carbon_months" not in inspect(old_database).get_table_names()
    columns = {c["name"] for c in inspect(old_database).get_columns("co2e_rollup")}
    assert "months_through" not in columns
