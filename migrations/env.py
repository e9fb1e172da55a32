"""Alembic environment: the models' metadata, the URL from db.migrate or DATABASE_URL."""

from __future__ import annotations

import importlib

from alembic import context

from db.base import Base
from db.uow import make_engine

# Every module that declares tables; a package adds its own line.
MODEL_MODULES = ["carbon.models", "game.forest.models", "game.farm.models",
                 "game.transparency.models", "game.daily_models", "game.stats.models",
                 "carbon.earned_models", "carbon.outbox_models",
                 "carbon.request_models",
                 "carbon.history_models", "carbon.stream_models"]
for _name in MODEL_MODULES:
    importlib.import_module(_name)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
