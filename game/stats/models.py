"""The public counters: a few slot rows whose sums are the public figures."""

from __future__ import annotations

from sqlalchemy import BigInteger, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base

# PostgreSQL writers spread over this many rows (see migration 0013's triggers).
SLOTS = 16


class PublicCounterSlot(Base):
    """One slot of the public counters. Triggers of migration 0013 add to a slot, in the same
    statement, every change of users (count, co2e_total_g), of confirmed tree plantings and of
    charity projects' eggs_donated; the figures are the sums over the slots. Slots exist so
    that concurrent writers (a settlement batch, a first sign-in, a donation) take different
    rows and never wait on one another (PostgreSQL: the first slot not locked, SKIP LOCKED)."""

    __tablename__ = "public_counters"

    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    users: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    co2e_total_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    trees_planted: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    eggs_donated: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
