"""ball storage: ids that say the date (and the user), balls/steals/waterings partitioned by
month on PostgreSQL, expiry by settlement batch, users' CO2e totals rolled up monthly

Revision ID: 0022_ball_storage
Revises: 0025_stream
Create Date: 2026-12-01

The balls already stored keep their ids (below 2**38: clients may hold them) and, on
PostgreSQL, their table: it becomes the partition balls_legacy (and steals the partition
steals_legacy) without copying a row. New balls get ids day << 38 | ... (carbon/ball_ids.py)
in the monthly partitions balls_pYYYYMM, from the month a week before the upgrade to three
months after it, and a DEFAULT partition. waterings (small) are copied into a table
partitioned by local_date. The settlement batches already finished are marked expired: their
balls are legacy ones, which expiry and listings find through ix_balls_user_loose_open.
"""
from datetime import UTC, date, datetime, timedelta

from alembic import op
import sqlalchemy as sa

import db.base


revision = '0022_ball_storage'
down_revision = '0024_webhooks'
branch_labels = None
depends_on = None

EPOCH = date(2000, 1, 1)
LEGACY_END = 1 << 38  # carbon/ball_ids.py: ids below are older than the scheme
LOOSE_OPEN = f"status = 'open' AND (settlement_batch_id IS NULL OR id < {LEGACY_END})"
MONTHS_AHEAD = 3


def _month(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1)


def _months(first: date, last: date) -> list[date]:
    months, m = [], _month(first)
    while m <= last:
        months.append(m)
        m = _next_month(m)
    return months


def _id_bound(d: date) -> int:
    return (d - EPOCH).days << 38


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == 'postgresql'
    today = datetime.now(UTC).date()
    _batches_and_rollup(bind)
    if pg:
        _partition_balls(today)
        _partition_steals(today)
        _partition_waterings(bind, today)
        op.execute("CREATE SEQUENCE ball_loose_ids AS bigint")
    else:
        op.drop_index('uq_balls_settlement_user_date_type', table_name='balls')
        op.drop_index('ix_balls_user_open', table_name='balls')
        op.drop_index('ix_balls_open_expiry', table_name='balls')
        op.create_index('ix_balls_user_loose_open', 'balls', ['user_id'],
                        sqlite_where=sa.text(LOOSE_OPEN))
    _counters_follow_carbon_days(pg)


def _batches_and_rollup(bind) -> None:
    op.add_column('settlement_batches',
                  sa.Column('expired_at', db.base.UTCDateTime(timezone=True), nullable=True))
    bind.execute(sa.text("UPDATE settlement_batches SET expired_at = :now"),
                 {"now": datetime.now(UTC)} if bind.dialect.name == 'postgresql'
                 else {"now": datetime.now(UTC).replace(tzinfo=None)})
    op.create_index('ix_settlement_batches_unexpired', 'settlement_batches', ['local_date'],
                    postgresql_where=sa.text('expired_at IS NULL'),
                    sqlite_where=sa.text('expired_at IS NULL'))
    op.create_table(
        'co2e_rollup',
        sa.Column('slot', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('through', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('slot', name=op.f('pk_co2e_rollup')))
    # users.co2e_total_g already holds every settled night: all of carbon_days so far.
    op.execute("INSERT INTO co2e_rollup (slot, through) "
               "SELECT 1, MAX(local_date) FROM carbon_days")


def _partition_balls(today: date) -> None:
    op.execute("ALTER TABLE steals DROP CONSTRAINT fk_steals_ball_id_balls")
    op.execute("ALTER TABLE waterings DROP CONSTRAINT fk_waterings_ball_id_balls")
    for name in ('uq_balls_settlement_user_date_type', 'ix_balls_user_open',
                 'ix_balls_open_expiry'):
        op.execute(f"DROP INDEX {name}")
    op.execute("ALTER TABLE balls ALTER COLUMN id DROP DEFAULT")
    op.execute("DROP SEQUENCE IF EXISTS balls_id_seq")
    op.execute("ALTER TABLE balls RENAME TO balls_legacy")
    op.execute("ALTER TABLE balls_legacy RENAME CONSTRAINT pk_balls TO pk_balls_legacy")
    op.execute("CREATE TABLE balls (LIKE balls_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
               " PARTITION BY RANGE (id)")
    op.execute("ALTER TABLE balls ADD CONSTRAINT pk_balls PRIMARY KEY (id)")
    op.execute(f"CREATE INDEX ix_balls_user_loose_open ON balls (user_id) WHERE {LOOSE_OPEN}")
    # The CHECK lets ATTACH skip its own validating scan (one scan either way).
    op.execute(f"ALTER TABLE balls_legacy ADD CONSTRAINT ck_balls_legacy_ids "
               f"CHECK (id < {LEGACY_END})")
    op.execute(f"ALTER TABLE balls ATTACH PARTITION balls_legacy "
               f"FOR VALUES FROM (MINVALUE) TO ({LEGACY_END})")
    _monthly('balls', today - timedelta(days=7), today, _id_bound)


def _monthly(table: str, first: date, today: date, bound) -> None:
    """Monthly partitions <table>_pYYYYMM from first's month to MONTHS_AHEAD after today's,
    then the DEFAULT partition."""
    last = today
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    for m in _months(first, last):
        op.execute(f"CREATE TABLE {table}_p{m:%Y%m} PARTITION OF {table} "
                   f"FOR VALUES FROM ({bound(m)}) TO ({bound(_next_month(m))})")
    op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")


def _partition_steals(today: date) -> None:
    for fk in ('owner_user_id', 'thief_user_id'):
        op.execute(f"ALTER TABLE steals DROP CONSTRAINT fk_steals_{fk}_users")
    op.execute("ALTER TABLE steals DROP CONSTRAINT pk_steals")
    op.execute("ALTER TABLE steals DROP CONSTRAINT uq_steals_ball_id_thief_user_id")
    op.execute("ALTER TABLE steals RENAME TO steals_legacy")
    op.execute("ALTER TABLE steals_legacy ADD CONSTRAINT pk_steals_legacy "
               "PRIMARY KEY (ball_id, thief_user_id)")
    op.execute("CREATE TABLE steals (LIKE steals_legacy INCLUDING DEFAULTS INCLUDING "
               "CONSTRAINTS) PARTITION BY RANGE (ball_id)")
    op.execute("ALTER SEQUENCE steals_id_seq OWNED BY steals.id")
    # (ball, thief): the once-per-friend rule and the lookups, and it holds the partition key.
    op.execute("ALTER TABLE steals ADD CONSTRAINT pk_steals PRIMARY KEY (ball_id, thief_user_id)")
    op.execute(f"ALTER TABLE steals_legacy ADD CONSTRAINT ck_steals_legacy_ids "
               f"CHECK (ball_id < {LEGACY_END})")
    op.execute(f"ALTER TABLE steals ATTACH PARTITION steals_legacy "
               f"FOR VALUES FROM (MINVALUE) TO ({LEGACY_END})")
    _monthly('steals', today - timedelta(days=7), today, _id_bound)
    op.execute("ALTER TABLE steals ADD CONSTRAINT fk_steals_ball_id_balls "
               "FOREIGN KEY (ball_id) REFERENCES balls (id)")
    for fk in ('owner_user_id', 'thief_user_id'):
        op.execute(f"ALTER TABLE steals ADD CONSTRAINT fk_steals_{fk}_users "
                   f"FOREIGN KEY ({fk}) REFERENCES users (id)")


def _partition_waterings(bind, today: date) -> None:
    """waterings by local_date (its unique key, the daily limit, holds the date; it cannot
    hold a ball id, which is set after the row): copied, the table is small."""
    first = bind.execute(sa.text("SELECT MIN(local_date) FROM waterings")).scalar() or today
    op.execute("ALTER TABLE waterings RENAME TO waterings_old")
    for name in ('pk_waterings', 'uq_waterings_giver_user_id_receiver_user_id_local_date_seq',
                 'fk_waterings_giver_user_id_users', 'fk_waterings_receiver_user_id_users'):
        op.execute(f"ALTER TABLE waterings_old DROP CONSTRAINT {name}")
    op.execute("CREATE TABLE waterings (LIKE waterings_old INCLUDING DEFAULTS INCLUDING "
               "CONSTRAINTS) PARTITION BY RANGE (local_date)")
    op.execute("ALTER SEQUENCE waterings_id_seq OWNED BY waterings.id")
    op.execute("ALTER TABLE waterings ADD CONSTRAINT pk_waterings PRIMARY KEY (id, local_date)")
    op.execute("ALTER TABLE waterings ADD CONSTRAINT "
               "uq_waterings_giver_user_id_receiver_user_id_local_date_seq "
               "UNIQUE (giver_user_id, receiver_user_id, local_date, seq)")
    _monthly('waterings', min(first, today - timedelta(days=7)), today,
             lambda m: f"'{m.isoformat()}'")
    op.execute("INSERT INTO waterings SELECT * FROM waterings_old")
    op.execute("DROP TABLE waterings_old")
    for column, table in (('ball_id', 'balls'), ('giver_user_id', 'users'),
                          ('receiver_user_id', 'users')):
        op.execute(f"ALTER TABLE waterings ADD CONSTRAINT fk_waterings_{column}_{table} "
                   f"FOREIGN KEY ({column}) REFERENCES {table} (id)")


# The public counters' CO2e follows carbon_days (what settlement writes now), no longer
# UPDATEs of users.co2e_total_g (the monthly roll-up moves grams already counted).
_PG_COUNT_DAYS = """
CREATE FUNCTION public_counters_carbon_days_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM public_counters_add(0, (SELECT COALESCE(SUM(co2e_g), 0) FROM new_rows), 0, 0);
RETURN NULL; END $$
"""
_SQLITE_COUNT_DAYS = """
CREATE TRIGGER public_counters_carbon_days_ins AFTER INSERT ON carbon_days FOR EACH ROW
WHEN NEW.co2e_g <> 0 BEGIN
  INSERT INTO public_counters (slot, users, co2e_total_g, trees_planted, eggs_donated)
  VALUES (0, 0, NEW.co2e_g, 0, 0)
  ON CONFLICT (slot) DO UPDATE SET co2e_total_g = co2e_total_g + excluded.co2e_total_g;
END
"""


def _counters_follow_carbon_days(pg: bool) -> None:
    if pg:
        op.execute("DROP TRIGGER public_counters_users_upd ON users")
        op.execute("DROP FUNCTION public_counters_users_upd()")
        op.execute(_PG_COUNT_DAYS)
        op.execute("CREATE TRIGGER public_counters_carbon_days_ins AFTER INSERT ON carbon_days "
                   "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                   "EXECUTE FUNCTION public_counters_carbon_days_ins()")
    else:
        op.execute("DROP TRIGGER public_counters_users_upd")
        op.execute(_SQLITE_COUNT_DAYS)


def downgrade() -> None:
    raise NotImplementedError(
        "0022_ball_storage renumbers no ball but re-keys balls, steals and waterings; going "
        "back means restoring the backup taken before the upgrade.")
