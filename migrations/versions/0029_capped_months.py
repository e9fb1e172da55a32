"""capped_months: what settlement gave per (local month, user, type) for the types with a
monthly cap, so that a night's monthly allowance is one probe instead of one per earlier night

Revision ID: 0029_capped_months
Revises: 0026_citus
Create Date: 2026-12-02

Every month that holds a settled night is counted from what was settled (carbon_days up to
days_through, the settlement balls after it: carbon/repository/capped.py), for the types with a
monthly cap in any version: a night settled late, by hand, in any month then finds its month's
total as the previous build's probes did. On a Citus database the table is distributed by
user, co-located with users (db/citus_layout.py). A fill factor of 70 leaves room on each
page for the new versions of its rows: a batch's upserts are then HOT updates, which write
no index entry.
"""
from datetime import date

from alembic import op
import sqlalchemy as sa
from sqlalchemy import text

from carbon.repository import capped
from db.citus_layout import distribute_later_table, has_citus


revision = '0029_capped_months'
down_revision = '0026_citus'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'capped_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('activity_type', sa.String(length=32), nullable=False),
        sa.Column('co2e_g', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'user_id', 'activity_type', name='pk_capped_months'),
        postgresql_with={'fillfactor': 70})
    conn = op.get_bind()
    if has_citus(conn):  # DDL, then multi-shard commands, in one transaction
        conn.execute(text("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"))
    distribute_later_table(conn, 'capped_months')
    first, last = conn.execute(text(
        "SELECT MIN(local_date), MAX(local_date) FROM settlement_runs")).one()
    through = conn.execute(text("SELECT days_through FROM co2e_rollup")).scalar()
    if first is not None:
        capped.rebuild(conn, _date(first), _date(last), _date(through))


def _date(value: date | str | None) -> date | None:  # SQLite answers ISO text
    return value if value is None or isinstance(value, date) else date.fromisoformat(value)


def downgrade() -> None:
    op.drop_table('capped_months')
