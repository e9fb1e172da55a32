"""partner webhooks: endpoints and one delivery per event and endpoint

Revision ID: 0024_webhooks
Revises: 0025_stream
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0024_webhooks'
down_revision = '0025_stream'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', _ID, nullable=False),
        sa.Column('partner_id', _ID, nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('event_types', sa.String(length=255), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', _AT, nullable=False),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('blocked_until', _AT, nullable=True),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'],
                                name='fk_webhook_endpoints_partner_id_partners'),
        sa.PrimaryKeyConstraint('id', name='pk_webhook_endpoints'))
    op.create_index('ix_webhook_endpoints_partner_id', 'webhook_endpoints', ['partner_id', 'id'])
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', _ID, nullable=False),
        sa.Column('endpoint_id', _ID, nullable=False),
        sa.Column('partner_id', _ID, nullable=False),
        sa.Column('event_id', _ID, nullable=False),
        sa.Column('event_type', sa.String(length=40), nullable=False),
        sa.Column('event_key', sa.String(length=80), nullable=False),
        sa.Column('occurred_at', _AT, nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', _AT, nullable=False),
        sa.Column('expires_at', _AT, nullable=False),
        sa.Column('lease_until', _AT, nullable=True),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('last_attempt_at', _AT, nullable=True),
        sa.Column('last_status_code', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=255), nullable=True),
        sa.Column('delivered_at', _AT, nullable=True),
        sa.Column('created_at', _AT, nullable=False),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'],
                                name='fk_webhook_deliveries_endpoint_id_webhook_endpoints'),
        sa.PrimaryKeyConstraint('id', name='pk_webhook_deliveries'),
        sa.UniqueConstraint('endpoint_id', 'event_key',
                            name='uq_webhook_deliveries_endpoint_id_event_key'))
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries',
                    ['status', 'next_attempt_at'])
    op.create_index('ix_webhook_deliveries_partner', 'webhook_deliveries',
                    ['partner_id', 'status', 'id'])


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')
