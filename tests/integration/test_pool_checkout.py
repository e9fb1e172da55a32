"""A pooled PostgreSQL connection is lent without a round trip, and one the server closed while
it sat in the pool is replaced, not lent (db/pool.py)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from db import make_engine, pool


@pytest.fixture
def pg_engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to close a connection")
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(pg_engine, monkeypatch) -> list[object]:
    calls: list[object] = []
    real = pg_engine.dialect.do_ping

    def counting(dbapi_conn):
        calls.append(dbapi_conn)
        return real(dbapi_conn)

    monkeypatch.setattr(pg_engine.dialect, "do_ping", counting)
    return calls


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_used_a_moment_ago_is_lent_without_a_ping(pg_engine, pings):
    first = backend_pid(pg_engine)
    assert [backend_pid(pg_engine) for _ in range(3)] == [first] * 3
    assert pings == []


def test_a_connection_the_server_closed_in_the_pool_is_replaced(pg_engine, pings, database_url):
    victim = backend_pid(pg_engine)
    killer = make_engine(database_url)
    with killer.connect() as conn:
        # int: Citus adds a pg_terminate_backend(bigint, ...) beside PostgreSQL's (integer, ...)
        conn.execute(text("SELECT pg_terminate_backend(CAST(:pid AS integer))"), {"pid": victim})
    killer.dispose()
    time.sleep(0.3)  # the server's goodbye reaches the pooled socket
    assert backend_pid(pg_engine) != victim  # served, on a new connection
    assert pings == []


def test_a_connection_idle_past_the_limit_is_pinged_first(pg_engine, pings, monkeypatch):
    first = backend_pid(pg_engine)
    monkeypatch.setattr(pool, "PING_AFTER_IDLE_S", 0.0)
    time.sleep(0.01)
    assert backend_pid(pg_engine) == first
    assert len(pings) == 1
