"""Energy earned out of balls, kept beside the ledger so that a leaderboard reads a few rows
per user instead of summing their ledger history.

A grain is UTC-aligned so that any viewer's local day or week is a union of grains: 15-minute
earned_quarters (every zone's UTC offset today is a multiple of 15 minutes, so local midnights
fall on a quarter), kept 8 days; earned_totals for all time. (Per-UTC-day rows, earned_days,
were dropped by migration 0030: one key range of quarters per user reads fewer pages.)"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base

QUARTER_SECONDS = 900


class EarnedQuarter(Base):
    """Grams a user earned in one quarter hour: quarter = floor(unix seconds / 900)."""

    __tablename__ = "earned_quarters"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    quarter: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    earned_g: Mapped[int] = mapped_column(BigInteger)


class EarnedTotal(Base):
    """Grams a user ever earned (period=total). Its own table, not a column on users: the
    users row is what settlement updates every night and what the rush reads."""

    __tablename__ = "earned_totals"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    earned_g: Mapped[int] = mapped_column(BigInteger)
