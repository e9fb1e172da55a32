"""earned_days dropped: the leaderboard reads a window from earned_quarters alone (one key
range per friend instead of three), so nothing reads the per-UTC-day totals any more, and a
collect or steal no longer writes them

Revision ID: 0030_no_earned_days
Revises: 0029_capped_months
Create Date: 2026-12-02

A day or week board reads quarters only (carbon/services/earnings.py); its windows never
start more than QUARTERS_KEPT (8 days) back, and the purge kept earned_days to the same 8
days, so the rows dropped are sums of rows earned_quarters still holds. The downgrade writes
them back from those quarters (the days the older build kept), with the key migration 0027
gave the table on PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa


revision = '0030_no_earned_days'
down_revision = '0029_capped_months'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('earned_days')


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table(
        'earned_days',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  sa.ForeignKey('users.id', name='fk_earned_days_user_id_users'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('earned_g', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', 'day', name='pk_earned_days',
                                **({'postgresql_include': ['earned_g']} if postgres else {})))
    day = ("CAST(to_timestamp(quarter * 900) AT TIME ZONE 'UTC' AS date)" if postgres
           else "date(quarter * 900, 'unixepoch')")
    op.execute(f"INSERT INTO earned_days (user_id, day, earned_g) SELECT user_id, {day}, "
               f"SUM(earned_g) FROM earned_quarters GROUP BY user_id, {day}")
