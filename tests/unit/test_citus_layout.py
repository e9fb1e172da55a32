"""Every table has one place on a Citus cluster (db/citus_layout.py), and the keys Citus needs
contain the distribution column."""

from __future__ import annotations

import importlib

from db.base import Base
from db.citus_layout import DISTRIBUTED, KEYS, LOCAL, REFERENCE, placement

MODEL_MODULES = ["carbon.models", "game.forest.models", "game.farm.models",
                 "game.transparency.models", "game.daily_models", "game.stats.models",
                 "carbon.earned_models", "carbon.outbox_models", "carbon.request_models",
                 "carbon.history_models", "carbon.stream_models", "carbon.webhook_models",
                 "carbon.retention_models"]


def test_every_table_is_placed_exactly_once():
    for name in MODEL_MODULES:
        importlib.import_module(name)
    tables = set(Base.metadata.tables) | {"alembic_version"}
    placed = [d.table for d in DISTRIBUTED] + list(REFERENCE) + list(LOCAL)
    assert sorted(placed) == sorted(set(placed)), "a table is placed twice"
    assert set(placed) == tables


def test_a_user_table_is_co_located_with_users_and_its_new_keys_hold_its_column():
    assert placement("balls") == "distributed by user_id"
    assert placement("friendships") == "reference"
    assert placement("settlement_batches") == "local"
    columns = {d.table: d.column for d in DISTRIBUTED}
    for table, _, definition in KEYS:
        if definition is not None:
            assert columns[table] in definition, table
