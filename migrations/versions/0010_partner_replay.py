"""partner signatures remembered for the skew window (replayed requests are refused)

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

from db.base import UTCDateTime


revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'partner_signatures',
        sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'],
                                name=op.f('fk_partner_signatures_partner_id_partners')),
        sa.PrimaryKeyConstraint('partner_id', 'signature', name=op.f('pk_partner_signatures')),
    )
    op.create_index(op.f('ix_partner_signatures_expires_at'), 'partner_signatures',
                    ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_partner_signatures_expires_at'), table_name='partner_signatures')
    op.drop_table('partner_signatures')
