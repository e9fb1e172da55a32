"""the outbox (facts worth telling) and friend requests awaiting an unseen user

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0014'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'outbox_events',
        sa.Column('id', _ID, nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', _ID, nullable=True),
        sa.Column('other_user_id', _ID, nullable=True),
        sa.Column('partner_id', _ID, nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_outbox_events'))
    op.create_index('ix_outbox_events_user', 'outbox_events',
                    ['user_id', 'occurred_at', 'id'])
    op.create_index('ix_outbox_events_other_user', 'outbox_events',
                    ['other_user_id', 'occurred_at', 'id'])
    op.create_index('ix_outbox_events_occurred_at', 'outbox_events', ['occurred_at'])
    op.create_table(
        'awaited_friend_requests',
        sa.Column('id', _ID, nullable=False),
        sa.Column('asker_user_id', _ID, nullable=False),
        sa.Column('target_external_id', sa.String(length=64), nullable=False),
        sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['asker_user_id'], ['users.id'],
                                name='fk_awaited_friend_requests_asker_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_awaited_friend_requests'),
        sa.UniqueConstraint('asker_user_id', 'target_external_id',
                            name='uq_awaited_friend_requests_asker_user_id_target_external_id'))
    op.create_index('ix_awaited_friend_requests_target_external_id',
                    'awaited_friend_requests', ['target_external_id'])


def downgrade() -> None:
    op.drop_table('awaited_friend_requests')
    op.drop_table('outbox_events')
