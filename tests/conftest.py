"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL when
CANOPY_TEST_DATABASE_URL is set), each test inside a transaction that is rolled back."""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from db import UnitOfWork, make_engine
from db.base import Base
from db.migrate import upgrade
from game.stats.models import SLOTS

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # noon in Shanghai, a Tuesday


def _database_url() -> str:
    url = os.environ.get("CANOPY_TEST_DATABASE_URL")
    if url:
        return url
    path = os.path.join(tempfile.mkdtemp(prefix="canopy-test-"), "test.db")
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def database_url() -> str:
    return _database_url()


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def is_postgres(engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture
def is_citus(engine) -> bool:
    """The suite's database is a Citus coordinator (its schema distributed by 0026_citus)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        return conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")) is not None


@pytest.fixture
def not_on_citus(is_citus):
    """Skip a test that checks what only one server can do; the test names why."""
    def _skip(why: str) -> None:
        if is_citus:
            pytest.skip(f"Citus: {why}")
    return _skip


@pytest.fixture
def connection(engine):
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection):
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def uow(session_factory) -> UnitOfWork:
    return UnitOfWork(session_factory)


@pytest.fixture
def session(session_factory):
    """A session inside the test's transaction, for arranging data and for assertions."""
    s = session_factory()
    from tests.factories import bind_factories

    bind_factories(s)
    yield s
    s.close()


@pytest.fixture
def committed_uow(engine):
    """A unit of work that really commits (threads, processes); the tables are emptied after."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    yield UnitOfWork(factory)
    _empty_all_tables(engine)


def _empty_all_tables(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            # The counters' slots as migration 0013 leaves them (a row each, zero): with none,
            # two writers could pick the same new slot and one would wait for the other.
            conn.execute(text(f"INSERT INTO public_counters (slot) "
                              f"SELECT generate_series(0, {SLOTS - 1})"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app(engine, database_url, session_factory):
    from api import create_app
    from config import TestConfig

    application = create_app(TestConfig(database_url))
    application.extensions["canopy_engine"].dispose()
    application.extensions["canopy_engine"] = engine
    application.extensions["canopy_sessions"] = session_factory
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(app):
    from api.core.auth import make_token

    def _token(user_id: str, tz: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token('test-secret-of-at-least-32-bytes!', user_id, tz)}"}

    return _token


@pytest.fixture
def make_partner(uow):
    from carbon.services.partners import create_partner

    counter = iter(range(1, 10_000))

    def _make(scopes=("events:write",), name=None):
        return create_partner(uow, name or f"partner-{next(counter)}", list(scopes), NOW)

    return _make


@pytest.fixture
def signed(client):
    """signed(partner, "POST", "/v1/partner/events", json_body, ts=None) -> response."""
    from api.core.auth import signature

    def _signed(partner, method, path, body=None, ts=None, raw: bytes | None = None, secret=None):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        stamp = str(int(ts if ts is not None else time.time()))
        sig = signature(secret or partner.secret, stamp, method, path, data)
        headers = {"X-Partner-Key": partner.key_id, "X-Timestamp": stamp, "X-Signature": sig,
                   "Content-Type": "application/json"}
        return client.open(path, method=method, data=data, headers=headers)

    return _signed


@pytest.fixture
def json_logs():
    """The process's log lines as JSON (applog, CANOPY_LOG_FORMAT=json): call it for the lines
    written so far, parsed."""
    import io
    import logging

    from db import applog

    buffer, root = io.StringIO(), logging.getLogger()
    level = root.level
    applog.configure("INFO", "json", buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        applog.unconfigure()
        root.setLevel(level)


@pytest.fixture
def alice_and_bob(client, token) -> dict[str, dict[str, str]]:
    """alice and bob, friends (both seen, both asked); their request headers by name."""
    heads = {n: token(n) for n in ("alice", "bob")}
    for n in heads:
        client.get("/v1/me", headers=heads[n])
    client.post("/v1/me/friends", json={"user_id": "bob"}, headers=heads["alice"])
    client.post("/v1/me/friends", json={"user_id": "alice"}, headers=heads["bob"])
    return heads
