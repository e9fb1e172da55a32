"""operator settlements asked through the API, carried out by the jobs process

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0017'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'settlement_requests',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('zones', sa.JSON(), nullable=False),
        sa.Column('skipped', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('requested_at', db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('active_key', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_settlement_requests'),
        sa.UniqueConstraint('active_key', name='uq_settlement_requests_active_key'))
    # The jobs poll for the open requests every few seconds: keep that a short index scan.
    op.create_index('ix_settlement_requests_open', 'settlement_requests', ['status', 'id'])


def downgrade() -> None:
    op.drop_index('ix_settlement_requests_open', table_name='settlement_requests')
    op.drop_table('settlement_requests')
