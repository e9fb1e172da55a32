"""carbon_days: the statement's compact history per (local date, user, type), backfilled;
the settlement balls' unique key with the date first

Revision ID: 0020
Revises: 0014
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0017'
branch_labels = None
depends_on = None

# Every settlement ball ever made is one row (uq_balls_settlement_user_date_type makes them
# unique per user, date and type; GROUP BY only guards the backfill).
_BACKFILL = """
INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g)
SELECT local_date, user_id, activity_type, SUM(co2e_g) FROM balls
WHERE kind = 'settlement'
GROUP BY local_date, user_id, activity_type
"""


def upgrade() -> None:
    pg = op.get_bind().dialect.name == 'postgresql'
    op.create_table(
        'carbon_days',
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('activity_type', sa.String(length=32), nullable=False),
        sa.Column('co2e_g', sa.BigInteger(), nullable=False),
        *([] if pg else [sa.PrimaryKeyConstraint('local_date', 'user_id', 'activity_type',
                                                 name='pk_carbon_days')]))
    if pg:
        # co2e_g in the key's leaves: a statement is an index-only scan. Vacuum after each
        # night's inserts (not after 20% of the table) keeps the visibility map current for it.
        op.execute("ALTER TABLE carbon_days ADD CONSTRAINT pk_carbon_days "
                   "PRIMARY KEY (local_date, user_id, activity_type) INCLUDE (co2e_g)")
        op.execute("ALTER TABLE carbon_days SET (autovacuum_vacuum_insert_scale_factor = 0, "
                   "autovacuum_vacuum_insert_threshold = 100000)")
    op.execute(_BACKFILL)
    _balls_key('local_date', 'user_id', 'activity_type')


def _balls_key(*columns: str) -> None:
    """uq_balls_settlement_user_date_type on `columns`: date first, a night's inserts touch
    the index's right edge, not one old leaf page per user (same name: the key is the same)."""
    op.drop_index('uq_balls_settlement_user_date_type', table_name='balls')
    op.create_index('uq_balls_settlement_user_date_type', 'balls', list(columns), unique=True,
                    postgresql_where=sa.text("kind = 'settlement'"),
                    sqlite_where=sa.text("kind = 'settlement'"))


def downgrade() -> None:
    _balls_key('user_id', 'local_date', 'activity_type')
    op.drop_table('carbon_days')
