"""A database of its own at an earlier migration, for tests that upgrade filled databases."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from db import make_engine
from db.migrate import upgrade


@contextmanager
def database_at(engine: Engine, database_url: str, revision: str) -> Iterator[Engine]:
    """An engine on an empty database (PostgreSQL: a schema of its own beside the suite's)
    migrated to `revision`; removed afterwards."""
    schema = f"upgrade_from_{revision}"
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        old = make_engine(database_url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        directory = tempfile.mkdtemp(prefix=f"canopy-{revision}-")
        old = make_engine("sqlite:///" + os.path.join(directory, "old.db"))
    with old.begin() as conn:
        upgrade(str(old.url), revision, connection=conn)
    try:
        yield old
    finally:
        old.dispose()
        if postgres:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
