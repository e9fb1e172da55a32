"""`with uow.reading():` runs a read-only use case without BEGIN/ROLLBACK on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from db import UnitOfWork, make_engine


def _autocommit(uow: UnitOfWork) -> bool:
    return uow.session.connection().connection.dbapi_connection.autocommit


def test_reading_runs_in_autocommit_on_postgresql_and_hands_back_a_normal_connection(
        database_url, engine):
    one = make_engine(database_url, pool_size=1, max_overflow=0) \
        if engine.dialect.name == "postgresql" else engine
    uow = UnitOfWork(sessionmaker(bind=one, expire_on_commit=False))
    try:
        with uow.reading():
            assert uow.session.scalar(text("SELECT 41 + 1")) == 42
            if one.dialect.name == "postgresql":
                assert _autocommit(uow) is True
                # Each statement is its own transaction: no BEGIN was sent before it.
                assert uow.session.scalar(text("SELECT now() = statement_timestamp()")) is True
        with uow:  # the pool's only connection again: back to one transaction
            if one.dialect.name == "postgresql":
                assert _autocommit(uow) is False
                first = uow.session.scalar(text("SELECT now()"))
                assert uow.session.scalar(text("SELECT now()")) == first
    finally:
        if one is not engine:
            one.dispose()


def test_reading_on_a_session_bound_to_a_connection_is_a_plain_unit_of_work(uow):
    with uow.reading():
        assert uow.session.scalar(text("SELECT 1")) == 1
