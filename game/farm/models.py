"""Typed ORM models of the farm. Carbon tables are referenced by FK name only.

A user's farm row is the checkpoint of their store, trough and chicken: reading it and the few
meals at the troughs involved gives the exact state at any second, without the history
(feedings, meals, grants), which is kept only for traceability.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime


class Farm(Base):
    """Store, trough checkpoint (trough_g left at trough_at) and the chicken's folded total.

    feed_earned_g = feed_store_g + feed_lost_g + fed_g always (what was fed went to the trough);
    eaten_g counts grams of meals already folded in; meal_id is the chicken's current meal (at
    home or at a friend's trough), which may have ended but is not folded in yet."""

    __tablename__ = "farms"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    feed_store_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    feed_earned_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    feed_lost_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    fed_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    trough_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    trough_at: Mapped[datetime] = mapped_column(UTCDateTime)
    eaten_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    eggs_donated: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    meal_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("feed_store_g >= 0 AND feed_store_g <= 1800", name="store_within_capacity"),
        CheckConstraint("trough_g >= 0 AND trough_g <= 180", name="trough_within_portion"),
        CheckConstraint("feed_earned_g = feed_store_g + feed_lost_g + fed_g", name="feed_conserved"),
        CheckConstraint("eaten_g >= 0 AND eggs_donated >= 0", name="counts_not_negative"),
    )


class Feeding(Base):
    """One portion moved from the store to the empty trough (the owner's chicken starts eating)."""

    __tablename__ = "farm_feedings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    feed_g: Mapped[int] = mapped_column(BigInteger)
    meal_id: Mapped[int] = mapped_column(BigInteger)
    fed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_farm_feedings_user_fed_at", "user_id", "fed_at"),)


class Meal(Base):
    """A chicken eating at a trough, its own (home) or a friend's (a visit), from started_at until
    ended_at (trough emptied, chased home, or recalled by a feeding). eaten_g is what it ate
    there as of its trough's checkpoint; only the trough owner's transaction updates it."""

    __tablename__ = "farm_meals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chicken_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    trough_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    eaten_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    __table_args__ = (
        Index("ix_farm_meals_trough_eating", "trough_user_id",
              postgresql_where=text("ended_at IS NULL"), sqlite_where=text("ended_at IS NULL")),
        Index("ix_farm_meals_chicken_started", "chicken_user_id", "started_at"),
        CheckConstraint("eaten_g >= 0 AND eaten_g <= 180", name="eaten_within_portion"),
        CheckConstraint("end_reason IN ('emptied', 'chased', 'recalled')", name="end_reason_known"),
    )


class FeedGrant(Base):
    """Feed earned once per (user, local date, source): an activity type or 'quiz'."""

    __tablename__ = "farm_feed_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    local_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(32))
    units: Mapped[int] = mapped_column(BigInteger)
    feed_g: Mapped[int] = mapped_column(BigInteger)
    lost_g: Mapped[int] = mapped_column(BigInteger)  # of feed_g, what the full store could not hold
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("user_id", "local_date", "source"),
        CheckConstraint("lost_g >= 0 AND lost_g <= feed_g", name="lost_within_grant"),
    )


class QuizQuestion(Base):
    __tablename__ = "farm_quiz_questions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question: Mapped[str] = mapped_column(String(500))
    choices: Mapped[list[Any]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuizAnswer(Base):
    """A user's one try at the quiz of one local date."""

    __tablename__ = "farm_quiz_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    local_date: Mapped[date] = mapped_column(Date)
    question_id: Mapped[int] = mapped_column(ForeignKey("farm_quiz_questions.id"))
    answer: Mapped[str] = mapped_column(String(200))
    correct: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("user_id", "local_date"),)


class CharityProject(Base):
    """Eggs donated to it become one donation record each time they cross a multiple of
    egg_target (records are numbered by that multiple)."""

    __tablename__ = "charity_projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    sponsor_name: Mapped[str] = mapped_column(String(128))
    fen_per_egg: Mapped[int] = mapped_column(BigInteger)
    egg_target: Mapped[int] = mapped_column(BigInteger)
    eggs_donated: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("fen_per_egg > 0 AND egg_target > 0", name="price_and_target_positive"),
        CheckConstraint("eggs_donated >= 0", name="donated_not_negative"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
    )


class EggDonation(Base):
    __tablename__ = "egg_donations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("charity_projects.id"), index=True)
    eggs: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("eggs > 0", name="eggs_positive"),)


class DonationRecord(Base):
    """The sequence-th egg_target eggs of a project: amount_fen owed by the sponsor to the
    charity, confirmed by the charity partner with a reference."""

    __tablename__ = "donation_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("charity_projects.id"))
    sequence: Mapped[int] = mapped_column(BigInteger)
    eggs: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    sponsor_name: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (
        UniqueConstraint("project_id", "sequence"),
        CheckConstraint("status IN ('pending', 'confirmed')", name="status_known"),
    )
