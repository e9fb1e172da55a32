"""energy earned out of balls per user and UTC day, quarter hour and in total, backfilled

Revision ID: 0014
Revises: 0007
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0010'
branch_labels = None
depends_on = None

# What the leaderboard has always counted: a positive entry on a user's available account in a
# transaction that takes energy out of the system balls account (collects and steals).
_EARNED = """
SELECT ua.user_id AS user_id, t.created_at AS created_at, e.amount_g AS amount_g
FROM ledger_entries e
JOIN ledger_accounts ua ON ua.id = e.account_id
JOIN ledger_transactions t ON t.id = e.transaction_id
WHERE ua.code = 'available' AND ua.user_id IS NOT NULL AND e.amount_g > 0
  AND EXISTS (SELECT 1 FROM ledger_entries b JOIN ledger_accounts ba ON ba.id = b.account_id
              WHERE b.transaction_id = e.transaction_id AND b.amount_g < 0
                AND ba.code = 'balls' AND ba.user_id IS NULL)
"""
_GRAINS = {
    'postgresql': ("(x.created_at AT TIME ZONE 'UTC')::date",
                   "floor(extract(epoch FROM x.created_at) / 900)::bigint"),
    'sqlite': ("date(x.created_at)", "CAST(strftime('%s', x.created_at) AS INTEGER) / 900"),
}


def _backfill() -> None:
    day, quarter = _GRAINS[op.get_bind().dialect.name]
    op.execute(f"INSERT INTO earned_days (user_id, day, earned_g) SELECT x.user_id, {day}, "
               f"SUM(x.amount_g) FROM ({_EARNED}) x GROUP BY x.user_id, {day}")
    op.execute(f"INSERT INTO earned_quarters (user_id, quarter, earned_g) SELECT x.user_id, "
               f"{quarter}, SUM(x.amount_g) FROM ({_EARNED}) x GROUP BY x.user_id, {quarter}")
    op.execute("INSERT INTO earned_totals (user_id, earned_g) SELECT user_id, SUM(earned_g) "
               "FROM earned_days GROUP BY user_id")


def upgrade() -> None:
    op.create_table(
        'earned_days',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  sa.ForeignKey('users.id', name='fk_earned_days_user_id_users'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('earned_g', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', 'day', name='pk_earned_days'))
    op.create_table(
        'earned_quarters',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  sa.ForeignKey('users.id', name='fk_earned_quarters_user_id_users'),
                  nullable=False),
        sa.Column('quarter', sa.BigInteger(), nullable=False),
        sa.Column('earned_g', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', 'quarter', name='pk_earned_quarters'))
    op.create_table(
        'earned_totals',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  sa.ForeignKey('users.id', name='fk_earned_totals_user_id_users'),
                  nullable=False),
        sa.Column('earned_g', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('user_id', name='pk_earned_totals'))
    _backfill()


def downgrade() -> None:
    op.drop_table('earned_totals')
    op.drop_table('earned_quarters')
    op.drop_table('earned_days')
