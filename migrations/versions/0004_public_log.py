"""public log: hash-chained entries and published daily Merkle roots

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import db.base


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('public_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('log_date', sa.Date(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('seq > 0', name=op.f('ck_public_log_seq_positive')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_public_log')),
    sa.UniqueConstraint('kind', 'ref', name=op.f('uq_public_log_kind_ref'))
    )
    with op.batch_alter_table('public_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_log_log_date'), ['log_date'], unique=False)

    op.create_table('public_log_roots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('log_date', sa.Date(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('published_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('count > 0 AND last_seq - first_seq + 1 = count', name=op.f('ck_public_log_roots_count_matches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_log_roots')),
    sa.UniqueConstraint('log_date', name=op.f('uq_public_log_roots_log_date'))
    )


def downgrade() -> None:
    op.drop_table('public_log_roots')
    with op.batch_alter_table('public_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_log_log_date'))

    op.drop_table('public_log')
