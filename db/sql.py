"""Portable SQL helpers for the two databases we run on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table, rows: list[dict] | dict, index_elements, index_where=None):
    """INSERT ... ON CONFLICT (index_elements) DO NOTHING, on PostgreSQL and SQLite.

    Returns the statement result; with RETURNING added by the caller via `returning=`."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table).on_conflict_do_nothing(
        index_elements=index_elements, index_where=index_where)
    return session.execute(stmt, rows if isinstance(rows, list) else [rows])


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
