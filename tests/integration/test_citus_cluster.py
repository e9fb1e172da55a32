"""On a Citus coordinator (skipped elsewhere): the schema is placed as db/citus_layout.py says,
a settlement batch's statements run as one task per shard on the shards, and a partition
made by the maintenance job is distributed with its table."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from carbon import settlement_sql as sql
from carbon.ball_ids import day_base, user_range
from carbon.services import settlement
from db.citus_layout import DISTRIBUTED, REFERENCE, SHARD_COUNT
from db.partition_ops import create_partition
from db.partitions import spec

DAY = date(2026, 3, 9)


@pytest.fixture(autouse=True)
def only_on_citus(is_citus):
    if not is_citus:
        pytest.skip("needs a Citus coordinator (CANOPY_TEST_DATABASE_URL at make citus-up's)")


def test_every_table_is_where_the_layout_puts_it(session):
    rows = session.execute(text(
        "SELECT logicalrelid::text, partmethod, column_to_column_name(logicalrelid, partkey), "
        "colocationid FROM pg_dist_partition")).all()
    placed = {t: (m, c, g) for t, m, c, g in rows}
    for table in REFERENCE:
        assert placed[table][0] == "n", table
    users_group = placed["users"][2]
    for d in DISTRIBUTED:
        method, column, group = placed[d.table]
        assert (method, column) == ("h", d.column), d.table
        assert (group == users_group) == (d.colocate_with in ("users", "default")), d.table
    assert "settlement_batches" not in placed  # claimed with SKIP LOCKED: a coordinator table


@pytest.mark.parametrize("statement", ["INSERT_BALLS", "ADD_CAPPED", "ADD_CARBON_DAYS",
                                       "ADD_CO2E_TOTALS"])
def test_a_batch_statement_runs_as_one_task_per_shard_without_pulling_rows(session, statement):
    day = settlement._Day(DAY, "Asia/Shanghai", datetime(2026, 3, 10, 4, tzinfo=UTC))
    lo, hi = user_range(DAY, 1, 20_000)
    params = {**day.params(), "first": 1, "last": 20_000, "bid": 1, "base": day_base(DAY),
              "lo": lo, "hi": hi}
    plan = "\n".join(r[0] for r in session.execute(sql.explain(getattr(sql, statement)), params))
    assert plan.startswith("Custom Scan (Citus Adaptive)")
    assert f"Task Count: {SHARD_COUNT}" in plan
    assert "pull to coordinator" not in plan and "repartition" not in plan
    assert "Distributed Subplan" not in plan  # no intermediate result gathered first


def test_a_partition_made_by_maintenance_is_distributed_with_its_table(session):
    balls = spec("balls")
    start = date(2031, 1, 1)
    create_partition(session, balls, start)
    method, group = session.execute(text(
        "SELECT partmethod, colocationid FROM pg_dist_partition "
        "WHERE logicalrelid = CAST(:t AS regclass)"), {"t": balls.name(start)}).one()
    users_group = session.scalar(text("SELECT colocationid FROM pg_dist_partition "
                                      "WHERE logicalrelid = 'users'::regclass"))
    assert (method, group) == ("h", users_group)
