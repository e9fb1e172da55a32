"""A database that is unreachable, silent or locked: 503 problem+json with Retry-After, fast,
one log line without a traceback, and service as usual once it answers again."""

from __future__ import annotations

import logging
import socket
import sqlite3
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api import create_app
from api.core.auth import make_token, signature
from api.core.outage import OutageLog, is_outage

SECRET = "test-secret-of-at-least-32-bytes!"
CLOSED_PORT = "postgresql://postgres@127.0.0.1:1/canopy"


def make_app(url: str, statement_timeout_ms: int | None = None):
    from config import TestConfig

    config = TestConfig(url)
    if statement_timeout_ms is not None:
        config.DB_STATEMENT_TIMEOUT_MS = statement_timeout_ms
    return create_app(config)


def me_headers(user: str = "alice") -> dict:
    return {"Authorization": f"Bearer {make_token(SECRET, user)}"}


def partner_post(client):
    body, stamp = b'{"events": []}', str(int(time.time()))
    return client.post("/v1/partner/events", data=body, headers={
        "X-Partner-Key": "pk_unknown", "X-Timestamp": stamp, "Content-Type": "application/json",
        "X-Signature": signature("s", stamp, "POST", "/v1/partner/events", body)})


def assert_unavailable(resp):
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["Retry-After"] == "5"
    body = resp.get_json()
    assert (body["status"], body["code"]) == (503, "database_unavailable")


@pytest.mark.parametrize("url", [CLOSED_PORT, "sqlite:////nonexistent-dir/canopy.db"])
def test_an_unreachable_database_answers_503_quickly_on_every_kind_of_route(url, caplog):
    client = make_app(url).test_client()
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        answers = [client.get("/healthz"), client.get("/v1/me", headers=me_headers()),
                   partner_post(client)]
    assert time.monotonic() - started < 3
    for resp in answers:
        assert_unavailable(resp)
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "database unavailable" in lines[0].getMessage()


def test_the_outage_log_says_one_line_per_interval_with_the_count_refused():
    instants = iter([0.0, 1.0, 2.0, 10.5, 11.0])
    outages = OutageLog(every_s=10.0, clock=lambda: next(instants))
    err = OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))
    logger = logging.getLogger("api.core.outage")
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.addHandler(handler)
    try:
        for _ in range(5):
            outages.refused(err, "GET /healthz")
    finally:
        logger.removeHandler(handler)
    assert [line.split(" request")[0] for line in seen] == [
        "database unavailable: 1", "database unavailable: 3"]


@pytest.mark.parametrize("message, outage", [
    ("database is locked", True), ("unable to open database file", True),
    ("no such table: users", False), ('near "SELEC": syntax error', False)])
def test_only_sqlite_errors_that_pass_are_outages(message, outage):
    wrapped = OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))
    assert is_outage(wrapped) is outage


def test_a_bug_in_a_statement_is_still_a_500_not_an_outage(database_url, engine, caplog):
    app = make_app(database_url)

    @app.get("/test/broken-sql")
    def broken():
        with app.extensions["canopy_engine"].connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    resp = app.test_client().get("/test/broken-sql")
    app.extensions["canopy_engine"].dispose()
    assert resp.status_code == 500 and resp.mimetype == "application/problem+json"


@contextmanager
def users_locked(engine, database_url, is_postgres):
    """Another connection holds the users table (PostgreSQL) or the write lock (SQLite)."""
    if is_postgres:
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
            yield
            conn.rollback()
        return
    conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_a_statement_stuck_past_the_timeout_answers_503_and_frees_the_worker(
        database_url, engine, is_postgres):
    app = make_app(database_url, statement_timeout_ms=200)
    with users_locked(engine, database_url, is_postgres):
        started = time.monotonic()
        resp = app.test_client().get("/v1/me", headers=me_headers())
        elapsed = time.monotonic() - started
    app.extensions["canopy_engine"].dispose()
    assert_unavailable(resp)
    assert 0.15 < elapsed < 3


def test_the_api_serves_again_as_soon_as_the_lock_is_gone(database_url, engine, committed_uow,
                                                          is_postgres):
    app = make_app(database_url, statement_timeout_ms=200)
    client = app.test_client()
    with users_locked(engine, database_url, is_postgres):
        assert_unavailable(client.get("/v1/me", headers=me_headers()))
    resp = client.get("/v1/me", headers=me_headers())
    app.extensions["canopy_engine"].dispose()
    assert resp.status_code == 200, resp.get_json()


def test_a_silent_database_fails_the_request_after_the_connect_timeout():
    from config import TestConfig

    with socket.socket() as silent:  # accepts connections (backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = TestConfig(f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/canopy")
        config.DB_CONNECT_TIMEOUT_S = 2
        app = create_app(config)
        started = time.monotonic()
        resp = app.test_client().get("/healthz")
        elapsed = time.monotonic() - started
    assert_unavailable(resp)
    assert 1.5 < elapsed < 5
