"""The compact history of the carbon statement: the retired form of settlement balls.

One row per (local date, user, activity type) that settlement gave CO2e. A night writes only
its balls; the monthly CO2e roll-up copies a whole month of settlement balls here before that
month's balls may be retired (co2e_rollup.days_through), so that the statement stays exact
once raw events and balls are gone (carbon/repository/settled.py reads both). energy_g is not kept: a settlement ball's energy equals its
CO2e by construction (1 g CO2e = 1 g energy) and energy lives in the ledger.

The key starts with the date, not the user: a night's inserts then land at the right edge of
the index (one new page per ~150 rows) instead of on one old page per user, whatever the
history; a statement probes one date at a time (at most 366 probes, see account.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId


class CarbonDay(Base):
    """Grams of CO2e a user's settled activity of one type saved on one local date."""

    __tablename__ = "carbon_days"

    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    # No foreign key: checked row by row, it would slow settlement like balls.user_id would.
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    activity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    co2e_g: Mapped[int] = mapped_column(BigInteger)


class CarbonMonth(Base):
    """One user's statement of one whole calendar month, rendered once by the monthly roll-up
    (carbon/repository/statement_months.py): the month's days as the statement's JSON array,
    its CO2e per type as a JSON object, and its total. A year's statement then reads twelve of
    these instead of probing carbon_days once per date and encoding some 1,100 rows (its cost
    was about five times a one-day statement's at 10,000 users).

    Written and read on plain PostgreSQL only, where the statement is one SQL statement
    (settled.statement_json); empty on SQLite and Citus, which read carbon_days. A row exists
    for every user with settled CO2e in a month that ended on or before days_through; a night
    of such a month settled late, by hand, renders its month again for the batch's users. Key
    month first: a roll-up's inserts land at the end of the index, as carbon_days' do."""

    __tablename__ = "carbon_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    co2e_g: Mapped[int] = mapped_column(BigInteger)
    by_type: Mapped[str] = mapped_column(Text)  # {"type": grams, ...} as json_object_agg wrote it
    days: Mapped[str] = mapped_column(Text)  # [{"date", "co2e_g", "by_type"}, ...] by date


class CappedMonth(Base):
    """Grams of CO2e settlement gave a user for one activity type in one local month, kept for
    the types that have a monthly cap in any methodology version (the others' rows would only
    add to a night's writes). A batch adds its balls here in its own transaction; the monthly
    allowance of a night is the cap minus this one row (one probe of the key), whatever the
    day of the month and however many earlier nights were settled, in any order.

    A type gets rows from the version that gives it its first monthly cap on
    (carbon/repository/capped.py rebuilds the months that version can reach); rows are never
    retired (one per capped user and type a month: a night settled late, by hand, still finds
    its month's). The key starts with the month: a batch's upserts land in the current
    month's end of the index."""

    __tablename__ = "capped_months"
    # Room on each page for a row's next version: a batch's upsert is a HOT update (no index
    # entry written; the index was half of the table's WAL in a night of bench/history.py).
    __table_args__ = {"postgresql_with": {"fillfactor": 70}}

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    activity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    co2e_g: Mapped[int] = mapped_column(BigInteger)


class CO2eRollup(Base):
    """One row, two watermarks (NULL: none yet). users.co2e_total_g holds every settled night
    dated `through` or earlier; carbon_days holds every settled (date, user, type) dated
    `days_through` or earlier (never before `through`), the settlement balls the later ones.
    A user's all-time CO2e is their total plus what they settled after `through`, so that
    settlement writes no per-user total at night; a monthly roll-up moves whole months in."""

    __tablename__ = "co2e_rollup"

    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    through: Mapped[date | None] = mapped_column(Date, nullable=True)
    days_through: Mapped[date | None] = mapped_column(Date, nullable=True)
    # carbon_months holds every whole month up to here (plain PostgreSQL; NULL elsewhere).
    months_through: Mapped[date | None] = mapped_column(Date, nullable=True)
