"""Citus: keys that name their shard on every engine, and the schema distributed where the
citus extension is installed (db/citus_layout.py)

Revision ID: 0026_citus
Revises: 0027_board
Create Date: 2026-12-01

Every engine gets the same new shape: user_external_ids (a user's external id, the lookup
table that keeps it unique across shards), and owner_id on ledger accounts and entries (the
account's user, 0 for system accounts) with the unique key (owner_id, code). On a database
with the citus extension the tables are then distributed, made reference tables or left on
the coordinator, as db/citus_layout.py says.
"""
from alembic import op
import sqlalchemy as sa

from db.citus_layout import distribute_if_citus, has_citus


revision = '0026_citus'
down_revision = '0027_board'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_external_ids',
        sa.Column('external_id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('external_id', name='pk_user_external_ids'))
    op.execute("INSERT INTO user_external_ids (external_id, user_id) "
               "SELECT external_id, id FROM users")
    for table in ('ledger_accounts', 'ledger_entries'):
        op.add_column(table, sa.Column('owner_id', sa.BigInteger(), server_default='0',
                                       nullable=False))
    op.execute("UPDATE ledger_accounts SET owner_id = user_id WHERE user_id IS NOT NULL")
    op.execute("UPDATE ledger_entries SET owner_id = (SELECT a.owner_id FROM ledger_accounts a "
               "WHERE a.id = ledger_entries.account_id) "
               "WHERE account_id IN (SELECT id FROM ledger_accounts WHERE user_id IS NOT NULL)")
    op.create_index('uq_ledger_accounts_owner_id_code', 'ledger_accounts',
                    ['owner_id', 'code'], unique=True)
    distribute_if_citus(op.get_bind())


def downgrade() -> None:
    if has_citus(op.get_bind()):
        raise NotImplementedError(
            "0026_citus distributed the tables; going back means undistribute_table() of each "
            "(db/citus_layout.py lists them) and restoring the keys, or the backup.")
    op.drop_index('uq_ledger_accounts_owner_id_code', table_name='ledger_accounts')
    op.drop_column('ledger_entries', 'owner_id')
    op.drop_column('ledger_accounts', 'owner_id')
    op.drop_table('user_external_ids')
