"""Typed ORM models of the public log and its published daily roots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime


class PublicLogEntry(Base):
    """One link of the chain: hash = SHA-256(prev_hash || canonical record), where the record is
    (seq, kind, ref, log_date, created_at, payload); see game.transparency.domain. (kind, ref)
    is unique so that a confirmation retried or replayed is logged once."""

    __tablename__ = "public_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    log_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("kind", "ref"),
        CheckConstraint("seq > 0", name="seq_positive"),
    )


class PublishedRoot(Base):
    """The Merkle root of one UTC day's entries (first_seq..last_seq), published once the day
    is over; it never changes afterwards."""

    __tablename__ = "public_log_roots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    log_date: Mapped[date] = mapped_column(Date, unique=True)
    root: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("count > 0 AND last_seq - first_seq + 1 = count", name="count_matches"),
    )


class MerkleNode(Base):
    """A node of a published day's tree, kept so that a proof is O(log n) reads: levels from
    game.transparency.tree.SUBTREE_LEVEL up to the root, written with the root and never
    changed. Position `position` of level `level` (leaves are level 0 and are not stored)."""

    __tablename__ = "public_log_nodes"

    log_date: Mapped[date] = mapped_column(Date, primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
