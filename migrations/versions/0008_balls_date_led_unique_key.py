"""settlement balls' unique key led by the date

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SETTLEMENT = sa.text("kind = 'settlement'")


def upgrade() -> None:
    op.create_index('uq_balls_settlement_date_type_user', 'balls',
                    ['local_date', 'activity_type', 'user_id'], unique=True,
                    postgresql_where=SETTLEMENT, sqlite_where=SETTLEMENT)
    op.drop_index('uq_balls_settlement_user_date_type', table_name='balls',
                  postgresql_where=SETTLEMENT, sqlite_where=SETTLEMENT)


def downgrade() -> None:
    op.create_index('uq_balls_settlement_user_date_type', 'balls',
                    ['user_id', 'local_date', 'activity_type'], unique=True,
                    postgresql_where=SETTLEMENT, sqlite_where=SETTLEMENT)
    op.drop_index('uq_balls_settlement_date_type_user', table_name='balls',
                  postgresql_where=SETTLEMENT, sqlite_where=SETTLEMENT)
