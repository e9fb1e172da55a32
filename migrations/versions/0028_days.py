"""carbon_days becomes the retired form of settlement balls: a night writes only its balls,
the monthly CO2e roll-up copies a month of them into carbon_days (co2e_rollup.days_through)

Revision ID: 0028_days
Revises: 0021_partitions
Create Date: 2026-12-01

carbon_days holds every settled (date, user, type) dated days_through or earlier; later ones are
read from the settlement balls. Everything settled before the upgrade is in carbon_days already
(the old build wrote it every night, and migration 0020 backfilled the balls before it, including
those older than the date-and-user ids that a read by id range would miss): days_through starts
at its last date. The public counters no longer follow carbon_days inserts (the roll-up's copy
would count a night twice): settlement adds each batch's CO2e to them itself.
"""
from datetime import date, timedelta

from alembic import op
import sqlalchemy as sa


revision = '0028_days'
down_revision = '0021_partitions'
branch_labels = None
depends_on = None

EPOCH = date(2000, 1, 1)
LEGACY_END = 1 << 38  # carbon/ball_ids.py: ids below are older than the scheme

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


def upgrade() -> None:
    pg = op.get_bind().dialect.name == 'postgresql'
    op.add_column('co2e_rollup', sa.Column('days_through', sa.Date(), nullable=True))
    op.execute("UPDATE co2e_rollup SET days_through = (SELECT MAX(local_date) FROM carbon_days)")
    op.execute("INSERT INTO co2e_rollup (slot, through, days_through) "
               "SELECT 1, NULL, (SELECT MAX(local_date) FROM carbon_days) "
               "WHERE NOT EXISTS (SELECT 1 FROM co2e_rollup)")
    if pg:
        op.execute("DROP TRIGGER public_counters_carbon_days_ins ON carbon_days")
        op.execute("DROP FUNCTION public_counters_carbon_days_ins()")
    else:
        op.execute("DROP TRIGGER public_counters_carbon_days_ins")


def downgrade() -> None:
    """The older build reads only carbon_days: the nights after days_through are copied in
    from their balls first (as the roll-up would have)."""
    bind = op.get_bind()
    pg = bind.dialect.name == 'postgresql'
    through = bind.execute(sa.text("SELECT days_through FROM co2e_rollup")).scalar()
    if isinstance(through, str):  # SQLite
        through = date.fromisoformat(through)
    low = LEGACY_END if through is None else (through + timedelta(days=1) - EPOCH).days << 38
    bind.execute(sa.text(
        "INSERT INTO carbon_days (local_date, user_id, activity_type, co2e_g) "
        "SELECT local_date, user_id, activity_type, co2e_g FROM balls "
        "WHERE kind = 'settlement' AND id >= :low ON CONFLICT DO NOTHING"), {"low": low})
    if pg:
        op.execute(_PG_COUNT_DAYS)
        op.execute("CREATE TRIGGER public_counters_carbon_days_ins AFTER INSERT ON carbon_days "
                   "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                   "EXECUTE FUNCTION public_counters_carbon_days_ins()")
    else:
        op.execute(_SQLITE_COUNT_DAYS)
    with op.batch_alter_table('co2e_rollup') as batch:
        batch.drop_column('days_through')
