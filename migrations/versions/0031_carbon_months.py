"""carbon_months: each user's statement of a whole month, rendered once by the monthly roll-up,
so that a year's statement reads twelve rows instead of probing carbon_days once per date

Revision ID: 0031_carbon_months
Revises: 0030_no_earned_days
Create Date: 2026-12-02

co2e_rollup.months_through says every whole month up to it is rendered. On plain PostgreSQL
the upgrade renders every whole month up to days_through (one INSERT ... SELECT per month over
that month's carbon_days; minutes for years of a large deployment, while the statement keeps
answering from carbon_days). SQLite and Citus read carbon_days and leave the table empty
(distributed by user on Citus, db/citus_layout.py).
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa
from sqlalchemy import text

from carbon.repository import statement_months
from db.citus_layout import distribute_later_table


revision = '0031_carbon_months'
down_revision = '0030_no_earned_days'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'carbon_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('co2e_g', sa.BigInteger(), nullable=False),
        sa.Column('by_type', sa.Text(), nullable=False),
        sa.Column('days', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'user_id', name='pk_carbon_months'))
    with op.batch_alter_table('co2e_rollup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('months_through', sa.Date(), nullable=True))
    conn = op.get_bind()
    if distribute_later_table(conn, 'carbon_months') or conn.dialect.name != 'postgresql':
        return
    days_through = conn.execute(text("SELECT days_through FROM co2e_rollup")).scalar()
    if days_through is None:
        return  # the first roll-up renders what carbon_days holds
    last = days_through
    if statement_months.month_end(last) != last:  # a month not whole in carbon_days yet
        last = statement_months.month_of(last) - timedelta(days=1)
    rendered = statement_months.render_through(conn, None, last)
    conn.execute(text("UPDATE co2e_rollup SET months_through = :m"), {"m": rendered})


def downgrade() -> None:
    with op.batch_alter_table('co2e_rollup', schema=None) as batch_op:
        batch_op.drop_column('months_through')
    op.drop_table('carbon_months')
