"""Typed ORM models of the forest. Carbon tables are referenced by FK name only."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime


class Friendship(Base):
    """One row per unordered pair (low id first). Each side's request is a timestamp; they are
    friends from `since`, set in the same UPDATE that records the second request."""

    __tablename__ = "friendships"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    low_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    high_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    low_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    high_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (
        UniqueConstraint("low_user_id", "high_user_id"),
        CheckConstraint("low_user_id < high_user_id", name="pair_ordered"),
    )


class Project(Base):
    """A planting project: energy_cost_g per tree (kind tree) or per m² (kind reserve);
    budget is the trees or m² still available this season."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(128))
    energy_cost_g: Mapped[int] = mapped_column(BigInteger)
    budget: Mapped[int] = mapped_column(BigInteger)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("energy_cost_g > 0", name="cost_positive"),
        CheckConstraint("kind IN ('tree', 'reserve')", name="kind_known"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
    )


class PlantingGroup(Base):
    """Co-planting: members fill the ledger account f"group:{id}" up to one unit's cost."""

    __tablename__ = "planting_groups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("status IN ('open', 'ordered', 'planted', 'rejected')",
                        name="status_known"),
    )


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("planting_groups.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(16))  # invited | member
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class GroupContribution(Base):
    __tablename__ = "group_contributions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("planting_groups.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    energy_g: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("energy_g > 0", name="energy_positive"),)


class PlantingOrder(Base):
    """An order to the project's partner, from one user or one group; energy_g was moved to
    the system `plantings` account when it was placed (and back on rejection)."""

    __tablename__ = "planting_orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("planting_groups.id"), nullable=True, unique=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    energy_g: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    planted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    latitude_e6: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    longitude_e6: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    plot: Mapped[str | None] = mapped_column(String(128), nullable=True)
    photo_urls: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (
        Index("ix_planting_orders_project_status", "project_id", "status", "id"),
        Index("ix_planting_orders_user", "user_id", "id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="one_orderer"),
        CheckConstraint("status IN ('pending', 'planted', 'rejected')", name="status_known"),
    )


class Certificate(Base):
    """A numbered certificate: tree (one per tree), reserve (the m² of one order) or duty
    (national voluntary tree-planting duty, exchanged for three unused tree certificates)."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("planting_orders.id"), nullable=True, index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), nullable=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("planting_groups.id"), nullable=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    year: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duty_certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id"), nullable=True)
    __table_args__ = (
        Index("ix_certificates_user", "user_id", "kind", "year"),
        Index("uq_certificates_duty_user_year", "user_id", "year", unique=True,
              postgresql_where=text("kind = 'duty'"), sqlite_where=text("kind = 'duty'")),
        CheckConstraint("kind IN ('tree', 'reserve', 'duty')", name="kind_known"),
    )


class CertificateCounter(Base):
    """Last number given in a series and year; one UPDATE hands out numbers without gaps."""

    __tablename__ = "certificate_counters"

    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


class Steal(Base):
    """One steal: at most one per thief and ball (the unique key settles races)."""

    __tablename__ = "steals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ball_id: Mapped[int] = mapped_column(ForeignKey("balls.id"))
    thief_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount_g: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("ball_id", "thief_user_id"),
        CheckConstraint("amount_g > 0", name="amount_positive"),
    )


class Watering(Base):
    """seq 1..3 per (giver, receiver, giver's local day): the unique key is the daily limit."""

    __tablename__ = "waterings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    giver_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    receiver_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    local_date: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    energy_g: Mapped[int] = mapped_column(BigInteger)
    ball_id: Mapped[int | None] = mapped_column(ForeignKey("balls.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("giver_user_id", "receiver_user_id", "local_date", "seq"),
        CheckConstraint("seq BETWEEN 1 AND 3", name="seq_within_daily_limit"),
        CheckConstraint("energy_g IN (10, 18, 33, 66)", name="energy_allowed"),
    )


class AwaitedFriendRequest(Base):
    """A friend request to a user id Canopy has not seen yet, kept until that user first
    arrives (then it becomes an ordinary request); at most MAX_AWAITED_REQUESTS per asker."""

    __tablename__ = "awaited_friend_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    asker_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    target_external_id: Mapped[str] = mapped_column(String(64), index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("asker_user_id", "target_external_id"),)
