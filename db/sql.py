"""Portable SQL helpers for the two databases we run on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    CursorResult,
    Result,
    Table,
    TextClause,
    any_,
    bindparam,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session

# From this many rows on, PostgreSQL inserts read their rows from one JSON parameter
# (json_to_recordset): one short statement, instead of a VALUES list whose thousands of
# placeholders psycopg must parse again on every call (it caches statements under 4 KB only),
# and no per-value adaptation in Python.
UNNEST_MIN_ROWS = 2


Row = dict[str, Any]
# What RETURNING may name: a Column or a mapped attribute (both have .key and .name at run
# time; SQLAlchemy's stubs give the attribute neither).
Returned = Column[Any] | QueryableAttribute[Any]
Conflict = ColumnElement[bool] | TextClause  # the partial index's WHERE, as SQL or as text


def insert_ignore(session: Session, table: Table, rows: list[Row] | Row,
                  index_elements: Sequence[str | Column[Any]] | None,
                  index_where: Conflict | None = None,
                  returning: Sequence[Returned] = ()) -> Result[*tuple[Any, ...]]:
    """INSERT ... ON CONFLICT (index_elements) DO NOTHING, on PostgreSQL and SQLite;
    index_elements None: ON CONFLICT DO NOTHING (a conflict on any unique key).

    Returns the statement result; with `returning=(columns...)` its rows are the inserted ones
    (rows skipped by the conflict are not returned). Tell "inserted or not" by RETURNING, not by
    rowcount: psycopg reports -1 for an INSERT that SQLAlchemy gave an implicit RETURNING."""
    rows = rows if isinstance(rows, list) else [rows]
    if is_postgres(session) and len(rows) >= UNNEST_MIN_ROWS and _uniform(table, rows):
        return _insert_from_json(session, table, rows, index_elements, index_where, returning,
                                 conflict=True)
    name = session.get_bind().dialect.name
    key = (name, table.name, None if index_elements is None else tuple(index_elements),
           None if index_where is None else str(index_where), tuple(c.key for c in returning))
    stmt = _INSERT_IGNORE.get(key)
    if stmt is None:  # built once per shape: steals, waterings and ledger accounts run it hot
        dialect = sqlite if name == "sqlite" else postgresql
        stmt = dialect.insert(table).on_conflict_do_nothing(
            index_elements=index_elements, index_where=index_where)
        if returning:
            stmt = stmt.returning(*returning)
        _INSERT_IGNORE[key] = stmt
    return session.execute(stmt, rows[0] if len(rows) == 1 else rows)


_INSERT_IGNORE: dict[tuple[object, ...], Any] = {}


def insert_rows(session: Session, table: Table, rows: list[Row]) -> None:
    """A plain multi-row INSERT, through one json_to_recordset on PostgreSQL (as above)."""
    if is_postgres(session) and len(rows) >= UNNEST_MIN_ROWS and _uniform(table, rows):
        _insert_from_json(session, table, rows, (), None, ())
    elif rows:
        session.execute(table.insert(), rows)


def _uniform(table: Table, rows: list[Row]) -> bool:
    """Every row has the same keys and no missing column needs a Python-side default."""
    keys = rows[0].keys()
    if any(r.keys() != keys for r in rows) or any(table.c[k].name != k for k in keys):
        return False
    return all(c.default is None for c in table.columns if c.key not in keys)


def _insert_from_json(session: Session, table: Table, rows: list[Row],
                      index_elements: Sequence[str | Column[Any]] | None,
                      index_where: Conflict | None,
                      returning: Sequence[Returned], conflict: bool = False
                      ) -> Result[*tuple[Any, ...]]:
    dialect = session.get_bind().dialect
    columns = [table.c[k] for k in rows[0]]
    record = ", ".join(f'"{c.name}" {c.type.compile(dialect=dialect)}' for c in columns)
    target = ", ".join(f'"{e}"' if isinstance(e, str) else f'"{e.name}"'
                       for e in index_elements or ())
    where = ""
    if index_where is not None:
        where = " WHERE " + str(index_where.compile(dialect=dialect,
                                                    compile_kwargs={"literal_binds": True}))
    names = ", ".join(f'"{c.name}"' for c in columns)
    sql = (f'INSERT INTO "{table.name}" ({names}) SELECT {names} '
           f"FROM json_to_recordset(CAST(:rows AS json)) AS r({record})")
    if index_elements:
        sql += f" ON CONFLICT ({target}){where} DO NOTHING"
    elif conflict:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(f'"{c.name}"' for c in returning)
    return session.execute(text(sql), {"rows": json.dumps(rows, default=_json_value)})


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be inserted through json_to_recordset")


def in_values(session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`, as `= ANY(array)` on PostgreSQL: one short statement psycopg parses
    once, however many values."""
    if not is_postgres(session):
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or DELETE matched: Session.execute types its result as a plain
    Result, but for a DML statement it is a CursorResult, which knows its rowcount."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no rowcount: not an UPDATE or DELETE")
    return result.rowcount


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_CITUS: dict[str, bool] = {}


def is_citus(session: Session) -> bool:
    """Whether the database is a Citus coordinator (the citus extension is installed), asked
    once per database URL."""
    if not is_postgres(session):
        return False
    url = str(session.get_bind().engine.url)
    if url not in _CITUS:
        _CITUS[url] = session.scalar(
            text("SELECT 1 FROM pg_extension WHERE extname = 'citus'")) is not None
    return _CITUS[url]
