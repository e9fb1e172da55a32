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

from sqlalchemy import BigInteger, Date, SmallInteger, String
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
