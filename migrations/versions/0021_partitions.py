"""data with a life cycle: activity events, the ledger and the outbox partitioned by month on
PostgreSQL (converted in place, data kept); event_keys (the global duplicate check of events);
ledger entries carry their transaction's created_at; monthly ledger checkpoints

Revision ID: 0021_partitions
Revises: 0025_stream
Create Date: 2026-12-01
"""
from datetime import UTC, date, datetime

from alembic import op
import sqlalchemy as sa


revision = '0021_partitions'
down_revision = '0022_ball_storage'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AHEAD_MONTHS = 3

# table: (partition column, primary key, [(index, columns and where)], its plain definition's
# key and indexes for the downgrade). Every key contains the partition column; the per-user
# table's keys (activity_events) contain the user too.
_TABLES = {
    'ledger_transactions': (
        'created_at', 'id, created_at',
        [('ix_ledger_transactions_cause', '(cause_type, cause_id)')],
        'id', [('ix_ledger_transactions_cause', '(cause_type, cause_id)')]),
    'ledger_entries': (
        'created_at', 'id, created_at',
        [('ix_ledger_entries_account_id', '(account_id)'),
         ('ix_ledger_entries_transaction_id', '(transaction_id)')],
        'id', [('ix_ledger_entries_account_id', '(account_id)'),
               ('ix_ledger_entries_transaction_id', '(transaction_id)')]),
    # Date first: the key serves settlement's (local_date, user_id) scan, and a night's
    # inserts land at the right edge of the current month's index.
    'activity_events': (
        'local_date', 'local_date, user_id, id',
        [('ix_activity_events_dedupe',
          '(user_id, activity_type, dedupe_key) WHERE dedupe_key IS NOT NULL')],
        'id', [('ix_activity_events_dedupe',
                '(user_id, activity_type, dedupe_key) WHERE dedupe_key IS NOT NULL'),
               ('ix_activity_events_local_date_user', '(local_date, user_id)'),
               ('uq_activity_events_source_source_event_id',
                'UNIQUE (source, source_event_id)')]),
    'outbox_events': (
        'occurred_at', 'id, occurred_at',
        [('ix_outbox_events_user', '(user_id, occurred_at, id)'),
         ('ix_outbox_events_other_user', '(other_user_id, occurred_at, id)'),
         ('ix_outbox_events_occurred_at', '(occurred_at)')],
        'id', [('ix_outbox_events_user', '(user_id, occurred_at, id)'),
               ('ix_outbox_events_other_user', '(other_user_id, occurred_at, id)'),
               ('ix_outbox_events_occurred_at', '(occurred_at)')]),
}
# On PostgreSQL entries lose their foreign key to transactions: a row of a referenced
# partitioned table cannot move from the default partition into its month's (the check runs
# on the partition it left, even deferred), and every entry paid a per-row trigger for it.
# ledger.post writes both in one statement pair; reconcile finds an entry without its
# transaction as an unbalanced one.
_ENTRIES_FK = ('fk_ledger_entries_transaction_id_ledger_transactions',
               'FOREIGN KEY (transaction_id) REFERENCES ledger_transactions (id)')



def upgrade() -> None:
    pg = op.get_bind().dialect.name == 'postgresql'
    _create_side_tables()
    if not pg:
        op.add_column('ledger_entries', sa.Column('created_at', sa.DateTime(timezone=True),
                                                  nullable=True))
        op.execute("UPDATE ledger_entries SET created_at = (SELECT t.created_at FROM "
                   "ledger_transactions t WHERE t.id = ledger_entries.transaction_id)")
        return
    op.execute(f"ALTER TABLE ledger_entries DROP CONSTRAINT {_ENTRIES_FK[0]}")
    _partition('ledger_transactions')
    _partition('ledger_entries', extra="created_at timestamp with time zone NOT NULL",
               copy="SELECT o.*, t.created_at FROM ledger_entries_unpartitioned o "
                    "JOIN ledger_transactions t ON t.id = o.transaction_id")
    _partition('activity_events')
    _partition('outbox_events')


def _create_side_tables() -> None:
    # The global duplicate check of events: (source, source_event_id) cannot be unique across
    # the partitions of activity_events, so it lives here, unpartitioned and small.
    op.create_table(
        'event_keys',
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('source_event_id', sa.String(length=128), nullable=False),
        sa.Column('local_date', sa.Date(), nullable=False),
        sa.Column('payload_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('source', 'source_event_id', name='pk_event_keys'))
    op.create_index('ix_event_keys_local_date', 'event_keys', ['local_date'])
    op.execute("INSERT INTO event_keys (source, source_event_id, local_date, payload_hash) "
               "SELECT source, source_event_id, local_date, payload_hash FROM activity_events")
    op.create_table(
        'ledger_checkpoints',
        sa.Column('account_id', _ID, sa.ForeignKey(
            'ledger_accounts.id', name='fk_ledger_checkpoints_account_id_ledger_accounts'),
            nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('closing_g', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('account_id', 'month', name='pk_ledger_checkpoints'))
    op.create_table(
        'ledger_checkpoint_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint('month', name='pk_ledger_checkpoint_months'))


def _partition(table: str, extra: str | None = None, copy: str | None = None) -> None:
    """Replace `table` by a partitioned table of the same columns (plus `extra`), a default
    partition and one per month from its oldest row to three months ahead, and copy its rows."""
    column, key, indexes, _, old_indexes = _TABLES[table]
    old = f'{table}_unpartitioned'
    _drop_indexes(table, old_indexes)
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    more = f", {extra}" if extra else ""
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS{more}) "
               f"PARTITION BY RANGE ({column})")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})")
    for name, definition in indexes:
        op.execute(f"CREATE INDEX {name} ON {table} {definition}")
    _foreign_keys(table, old)
    op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    timestamp = table != 'activity_events'
    source = copy or f'SELECT * FROM {old}'
    oldest = op.get_bind().scalar(sa.text(
        f"SELECT min((x.{column} AT TIME ZONE 'UTC')::date) FROM ({source}) x" if timestamp
        else f"SELECT min(x.{column}) FROM ({source}) x"))
    for start in _months(oldest):
        lo, hi = start, _add_month(start)
        zone = ' 00:00:00+00' if timestamp else ''
        op.execute(f"CREATE TABLE {table}_p{start:%Y%m} PARTITION OF {table} "
                   f"FOR VALUES FROM ('{lo}{zone}') TO ('{hi}{zone}')")
    op.execute(f"INSERT INTO {table} {source}")
    _move_sequence_and_drop(table, old)


def _drop_indexes(table: str, indexes: list[tuple[str, str]]) -> None:
    for name, definition in indexes:
        if definition.startswith('UNIQUE'):
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        else:
            op.execute(f"DROP INDEX {name}")


def _foreign_keys(table: str, old: str) -> None:
    """The old table's foreign keys to other tables (users, accounts), on the new one."""
    rows = op.get_bind().execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(:t) AND contype = 'f'"), {'t': old}).all()
    for name, definition in rows:
        op.execute(f"ALTER TABLE {old} DROP CONSTRAINT {name}")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def _move_sequence_and_drop(table: str, old: str) -> None:
    sequence = op.get_bind().scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                    {'t': old})
    if sequence:
        op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
    op.execute(f"DROP TABLE {old}")


def _months(oldest: date | None) -> list[date]:
    today = datetime.now(UTC).date().replace(day=1)
    start = min(oldest.replace(day=1), today) if oldest else today
    last = today
    for _ in range(_AHEAD_MONTHS):
        last = _add_month(last)
    months = []
    while start <= last:
        months.append(start)
        start = _add_month(start)
    return months


def _add_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == 'postgresql'
    if pg:
        for table in ('outbox_events', 'activity_events'):
            _unpartition(table)
        _unpartition('ledger_entries')
        _unpartition('ledger_transactions')
        op.execute(f"ALTER TABLE ledger_entries ADD CONSTRAINT {_ENTRIES_FK[0]} "
                   + _ENTRIES_FK[1])
    op.drop_column('ledger_entries', 'created_at')
    op.drop_table('ledger_checkpoint_months')
    op.drop_table('ledger_checkpoints')
    op.drop_table('event_keys')


def _unpartition(table: str) -> None:
    _, _, indexes, old_key, old_indexes = _TABLES[table]
    parted = f'{table}_partitioned'
    _drop_indexes(table, indexes)
    op.execute(f"ALTER TABLE {table} RENAME TO {parted}")
    op.execute(f"ALTER TABLE {parted} RENAME CONSTRAINT pk_{table} TO pk_{parted}")
    op.execute(f"CREATE TABLE {table} (LIKE {parted} INCLUDING DEFAULTS)")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({old_key})")
    for name, definition in old_indexes:
        if definition.startswith('UNIQUE'):
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        else:
            op.execute(f"CREATE INDEX {name} ON {table} {definition}")
    _foreign_keys(table, parted)
    op.execute(f"INSERT INTO {table} SELECT * FROM {parted}")
    _move_sequence_and_drop(table, parted)
