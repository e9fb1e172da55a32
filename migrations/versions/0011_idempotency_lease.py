"""idempotency keys indexed by age, for their purge

From this revision on a key commits together with its request's effect and response. Keys that
the earlier code left without a response (a worker killed mid-request) are not deleted here: an
old worker may still be running their request during a rolling deploy, and a retry running it
a second time would be worse than a 409. The purge removes them with every key past its age.

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-01
"""
from alembic import op


revision = '0011'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_idempotency_keys_created_at', 'idempotency_keys', ['created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_idempotency_keys_created_at', table_name='idempotency_keys')
