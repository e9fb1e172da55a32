"""Migration 0028_days upgrades a database filled at 0021_partitions in place: everything
settled before it (balls older than the date-and-user ids too) is read from carbon_days, whose
last date becomes days_through, so the statement, the totals and the public figures read the
same; the nights after it are read from their balls until the roll-up copies them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from carbon import ball_ids
from carbon.services import co2e_totals
from carbon.services.account import carbon_statement
from carbon.services.lookups import user_totals
from db import UnitOfWork
from db.migrate import upgrade
from game.stats.repository import counted
from tests.migrations import database_at

LEGACY_DAY, DAY, NEW_DAY = date(2026, 3, 1), date(2026, 3, 9), date(2026, 3, 10)
AT = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
BALL = text(
    "INSERT INTO balls (id, user_id, kind, activity_type, local_date, co2e_g, energy_g, "
    "remaining_g, stolen_g, collected_g, stealable, status, ripe_at, expires_at, "
    "settlement_batch_id, created_at) VALUES (:id, 1, 'settlement', :t, :d, :g, :g, 0, 0, :g, "
    "true, 'collected', :at, :at, 1, :at)")


@pytest.fixture
def old_database(engine, database_url):
    with database_at(engine, database_url, "0021_partitions") as old:
        yield old


def _at(conn):
    return AT if conn.dialect.name == "postgresql" else AT.replace(tzinfo=None)


def fill(conn) -> None:
    """User 1 (a rolled-up total of 10 g): a legacy ball (a small id) on LEGACY_DAY and a
    new-scheme ball on DAY, each with the carbon_days row the older build wrote beside it
    (the public counters follow by that build's triggers)."""
    conn.execute(text("INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at) "
                      "VALUES (1, 'u1', 'Asia/Shanghai', 10, '2026-01-01')"))
    conn.execute(text("UPDATE co2e_rollup SET through = '2026-02-28'"))
    for day in (LEGACY_DAY, DAY):
        conn.execute(text("INSERT INTO settlement_runs (local_date, timezone, started_at) "
                          "VALUES (:d, 'Asia/Shanghai', :at)"), {"d": day, "at": _at(conn)})
    conn.execute(BALL, [
        {"id": 77, "t": "metro_ride", "d": LEGACY_DAY, "g": 52, "at": _at(conn)},
        {"id": ball_ids.settlement_id(DAY, 1, 0), "t": "bus_ride", "d": DAY, "g": 80,
         "at": _at(conn)}])
    conn.execute(text("INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g) "
                      "VALUES (:a, 1, 'metro_ride', 52), (:b, 1, 'bus_ride', 80)"),
                 {"a": LEGACY_DAY, "b": DAY})


def upgraded(old) -> UnitOfWork:
    with old.begin() as conn:
        fill(conn)
    with old.begin() as conn:
        upgrade(str(old.url), "head", connection=conn)
    return UnitOfWork(sessionmaker(bind=old, expire_on_commit=False))


def answers(uow: UnitOfWork) -> tuple:
    st = carbon_statement(uow, 1, date(2026, 3, 1), date(2026, 3, 31))
    with uow:
        s = uow.session
        return ([(d.date, d.co2e_g) for d in st.days], st.all_time_co2e_g,
                user_totals(s)[1], counted(s)["co2e_total_g"])


def test_the_upgrade_reads_everything_settled_before_it_from_carbon_days(old_database):
    uow = upgraded(old_database)
    with old_database.connect() as conn:
        marks = conn.execute(text("SELECT through, days_through FROM co2e_rollup")).one()
    assert [d if isinstance(d, date) else date.fromisoformat(d) for d in marks] == [
        date(2026, 2, 28), DAY]
    assert answers(uow) == ([(LEGACY_DAY, 52), (DAY, 80)], 142, 142, 142)


def test_a_night_after_the_upgrade_is_read_from_its_balls_until_rolled_up(old_database):
    uow = upgraded(old_database)
    with old_database.begin() as conn:
        conn.execute(text("INSERT INTO settlement_runs (local_date, timezone, started_at) "
                          "VALUES (:d, 'Asia/Shanghai', :at)"), {"d": NEW_DAY, "at": _at(conn)})
        conn.execute(BALL, {"id": ball_ids.settlement_id(NEW_DAY, 1, 0), "t": "walk",
                            "d": NEW_DAY, "g": 296, "at": _at(conn)})
        conn.execute(text("UPDATE public_counters SET co2e_total_g = co2e_total_g + 296 "
                          "WHERE slot = 0"))  # what the night's batch adds
    after = ([(LEGACY_DAY, 52), (DAY, 80), (NEW_DAY, 296)], 438, 438, 438)
    assert answers(uow) == after
    assert co2e_totals.roll_up(uow, datetime(2026, 4, 9, tzinfo=UTC)) == 1
    assert answers(uow) == after
    with old_database.connect() as conn:
        copied = conn.execute(text("SELECT COUNT(*) FROM carbon_days")).scalar()
        total = conn.execute(text("SELECT co2e_total_g FROM users")).scalar()
    assert (copied, total) == (3, 438)
