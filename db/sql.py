"""Portable SQL helpers for the two databases we run on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table, rows: list[dict] | dict, index_elements, index_where=None,
                  returning=()):
    """INSERT ... ON CONFLICT (index_elements) DO NOTHING, on PostgreSQL and SQLite.

    Returns the statement result; with `returning=(columns...)` its rows are the inserted ones
    (rows skipped by the conflict are not returned)."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table).on_conflict_do_nothing(
        index_elements=index_elements, index_where=index_where)
    if returning:
        stmt = stmt.returning(*returning)
    return session.execute(stmt, rows if isinstance(rows, list) else [rows])


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
