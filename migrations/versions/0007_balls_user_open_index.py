"""a user's open balls through a partial index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_balls_user_open', 'balls', ['user_id'], unique=False,
                    postgresql_where=sa.text("status = 'open'"),
                    sqlite_where=sa.text("status = 'open'"))
    op.drop_index('ix_balls_user_status', table_name='balls')


def downgrade() -> None:
    op.create_index('ix_balls_user_status', 'balls', ['user_id', 'status'], unique=False)
    op.drop_index('ix_balls_user_open', table_name='balls',
                  postgresql_where=sa.text("status = 'open'"),
                  sqlite_where=sa.text("status = 'open'"))
