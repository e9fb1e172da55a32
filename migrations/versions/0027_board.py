"""the leaderboard's earned tables: primary keys that carry earned_g (INCLUDE), so that a
board's probes are index-only scans (PostgreSQL; SQLite keeps its plain keys)

Revision ID: 0027_board
Revises: 0028_days
Create Date: 2026-12-01
"""
from alembic import op


revision = '0027_board'
down_revision = '0028_days'
branch_labels = None
depends_on = None

_KEYS = {'earned_days': 'user_id, day', 'earned_quarters': 'user_id, quarter',
         'earned_totals': 'user_id'}


def _rebuild_keys(include: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, columns in _KEYS.items():
        # One ALTER per table: the old key goes and the new one is built under the same lock.
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT pk_{table}, '
                   f'ADD CONSTRAINT pk_{table} PRIMARY KEY ({columns}){include}')


def upgrade() -> None:
    _rebuild_keys(' INCLUDE (earned_g)')


def downgrade() -> None:
    _rebuild_keys('')
