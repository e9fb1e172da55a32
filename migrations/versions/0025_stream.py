"""the outbox's fan-out to RabbitMQ: each stream's high-water mark and its gaps

Revision ID: 0025_stream
Revises: 0020
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0025_stream'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: outbox_events keeps its columns (the feed and the webhooks read it).
    # A stream starts at 0 on its first run and publishes the outbox rows still kept.
    op.create_table(
        'stream_positions',
        sa.Column('stream', sa.String(length=255), nullable=False),
        sa.Column('last_id', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('last_id >= 0', name='ck_stream_positions_last_id_not_negative'),
        sa.PrimaryKeyConstraint('stream', name='pk_stream_positions'))
    op.create_table(
        'stream_gaps',
        sa.Column('stream', sa.String(length=255), nullable=False),
        sa.Column('first_id', sa.BigInteger(), nullable=False),
        sa.Column('last_id', sa.BigInteger(), nullable=False),
        sa.Column('noticed_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('first_id <= last_id', name='ck_stream_gaps_range_ordered'),
        sa.ForeignKeyConstraint(['stream'], ['stream_positions.stream'],
                                name='fk_stream_gaps_stream_stream_positions',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('stream', 'first_id', name='pk_stream_gaps'))


def downgrade() -> None:
    op.drop_table('stream_gaps')
    op.drop_table('stream_positions')
