"""settlement batches are planned before they are settled

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from alembic import op
import db.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('settlement_batches') as batch:
        batch.alter_column('finished_at', existing_type=db.base.UTCDateTime(timezone=True),
                           nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM settlement_batches WHERE finished_at IS NULL")
    with op.batch_alter_table('settlement_batches') as batch:
        batch.alter_column('finished_at', existing_type=db.base.UTCDateTime(timezone=True),
                           nullable=False)
