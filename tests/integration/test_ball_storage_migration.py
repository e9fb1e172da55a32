"""Migration 0022_ball_storage upgrades a database filled at 0020 in place: every ball keeps
its id (clients may hold it), steals and waterings stay, open balls made before the upgrade are
still listed, collected and expired, and the users' all-time CO2e reads the same."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from carbon import ball_ids
from carbon.services import co2e_totals
from carbon.services.balls import collect_ball, expire_balls, list_balls
from db import UnitOfWork
from db.migrate import upgrade
from tests.migrations import database_at

DAY = date(2026, 3, 9)
RIPE = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)
EXPIRES = RIPE + timedelta(hours=72)
BALL = text(
    "INSERT INTO balls (user_id, kind, activity_type, local_date, co2e_g, energy_g, "
    "remaining_g, stolen_g, collected_g, stealable, status, ripe_at, expires_at, "
    "settlement_batch_id, created_at) VALUES (:u, :kind, :t, :d, :g, :e, :left, :stolen, "
    ":got, true, :status, :ripe, :exp, :bid, :ripe)")


@pytest.fixture
def old_database(engine, database_url):
    with database_at(engine, database_url, "0020") as old:
        yield old


def _at(conn, value: datetime):
    return value if conn.dialect.name == "postgresql" else value.replace(tzinfo=None)


def fill(conn) -> None:
    """Two users; settled balls (one open, one collected, one open and stolen from), a
    watering ball and its watering, a steal, their batch and carbon_days."""
    conn.execute(text("INSERT INTO users (id, external_id, timezone, co2e_total_g, created_at) "
                      "VALUES (1, 'u1', 'Asia/Shanghai', 67, '2026-01-01'), "
                      "(2, 'u2', 'Asia/Shanghai', 296, '2026-01-01')"))
    conn.execute(text("INSERT INTO settlement_batches (id, local_date, timezone, first_user_id, "
                      "last_user_id, balls, energy_g, finished_at) VALUES (1, '2026-03-09', "
                      "'Asia/Shanghai', 1, 2, 3, 353, '2026-03-09 17:00:00')"))
    common = {"ripe": _at(conn, RIPE), "exp": _at(conn, EXPIRES), "d": DAY, "kind": "settlement",
              "bid": 1, "stolen": 0, "got": 0, "status": "open"}
    conn.execute(BALL, [
        {**common, "u": 1, "t": "offline_payment", "g": 15, "e": 15, "left": 15},
        {**common, "u": 1, "t": "metro_ride", "g": 52, "e": 52, "left": 0, "got": 52,
         "status": "collected"},
        {**common, "u": 2, "t": "walk", "g": 296, "e": 296, "left": 246, "stolen": 50},
        {**common, "u": 1, "kind": "water", "t": "water", "g": 0, "e": 10, "left": 10,
         "bid": None}])
    conn.execute(text("INSERT INTO steals (ball_id, thief_user_id, owner_user_id, amount_g, "
                      "created_at) VALUES (3, 1, 2, 50, :at)"), {"at": _at(conn, RIPE)})
    conn.execute(text("INSERT INTO waterings (giver_user_id, receiver_user_id, local_date, seq, "
                      "energy_g, ball_id, created_at) VALUES (2, 1, :d, 1, 10, 4, :at)"),
                 {"d": DAY, "at": _at(conn, RIPE)})
    conn.execute(text("INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g) "
                      "VALUES (:d, 1, 'metro_ride', 52), (:d, 1, 'offline_payment', 15), "
                      "(:d, 2, 'walk', 296)"), {"d": DAY})


def upgraded(old) -> UnitOfWork:
    with old.begin() as conn:
        fill(conn)
    with old.begin() as conn:
        upgrade(str(old.url), "head", connection=conn)
    return UnitOfWork(sessionmaker(bind=old, expire_on_commit=False))


def test_the_upgrade_keeps_every_ball_steal_and_watering_as_it_was(old_database):
    uow = upgraded(old_database)
    with old_database.connect() as conn:
        balls = conn.execute(text("SELECT id, user_id, status, remaining_g FROM balls "
                                  "ORDER BY id")).all()
        steals = conn.execute(text("SELECT ball_id, thief_user_id, amount_g FROM steals")).all()
        waterings = conn.execute(text("SELECT ball_id, seq FROM waterings")).all()
        if conn.dialect.name == "postgresql":
            kinds = dict(conn.execute(text(
                "SELECT relname, relkind FROM pg_class WHERE relname IN "
                "('balls', 'steals', 'waterings', 'balls_legacy', 'steals_legacy')")).all())
            assert kinds == {"balls": "p", "steals": "p", "waterings": "p",
                             "balls_legacy": "r", "steals_legacy": "r"}
    assert [tuple(b) for b in balls] == [(1, 1, "open", 15), (2, 1, "collected", 0),
                                        (3, 2, "open", 246), (4, 1, "open", 10)]
    assert [tuple(s) for s in steals] == [(3, 1, 50)] and [tuple(w) for w in waterings] == [(4, 1)]
    with uow:
        assert co2e_totals.all_time_g(uow.session, 1) == 67
        assert co2e_totals.all_time_g(uow.session, 2) == 296


def test_balls_made_before_the_upgrade_are_still_listed_collected_and_expired(old_database):
    uow = upgraded(old_database)
    assert {b.id for b in list_balls(uow, 1, RIPE)} == {1, 4}
    assert collect_ball(uow, 1, 1, RIPE)[0] == 15
    assert {b.id for b in list_balls(uow, 1, RIPE)} == {4}
    assert expire_balls(uow, EXPIRES) == (2, 10 + 246)
    assert list_balls(uow, 1, RIPE) == [] and list_balls(uow, 2, RIPE) == []


def test_after_the_upgrade_new_balls_get_ids_of_the_new_scheme(old_database):
    uow = upgraded(old_database)
    with old_database.begin() as conn:
        conn.execute(text(
            "INSERT INTO balls (id, user_id, kind, activity_type, local_date, co2e_g, energy_g, "
            "remaining_g, stolen_g, collected_g, stealable, status, ripe_at, expires_at, "
            "settlement_batch_id, created_at) VALUES (:id, 2, 'settlement', 'walk', :d, 5, 5, "
            "5, 0, 0, true, 'open', :ripe, :exp, 9, :ripe)"),
            {"id": ball_ids.settlement_id(DAY + timedelta(days=1), 2, 0), "d": DAY,
             "ripe": _at(conn, RIPE), "exp": _at(conn, EXPIRES)})
        conn.execute(text("INSERT INTO steals (ball_id, thief_user_id, owner_user_id, "
                          "amount_g, created_at) VALUES (:b, 1, 2, 1, :at)"),
                     {"b": ball_ids.settlement_id(DAY + timedelta(days=1), 2, 0),
                      "at": _at(conn, RIPE)})
    assert ball_ids.settlement_id(DAY + timedelta(days=1), 2, 0) in {
        b.id for b in list_balls(uow, 2, RIPE)}
