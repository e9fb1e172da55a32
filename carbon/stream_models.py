"""Where the outbox's fan-out to the message broker stands, kept apart from `outbox_events`
(whose columns the feed, the webhooks and a partitioning by time rely on).

A stream is named by its exchange. `stream_positions.last_id` is its high-water mark: every
outbox id at or below it was either published or is listed in `stream_gaps`, the ranges of ids
not published when the mark passed them: not visible yet (a transaction that had taken the id
from the sequence and not committed yet, one that rolled back, a row purged) or not confirmed
by the broker. A gap is looked at again on every run until its row is published, or it is older
than the gap window and holds no row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class StreamPosition(Base):
    __tablename__ = "stream_positions"

    stream: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("last_id >= 0", name="last_id_not_negative"),)


class StreamGap(Base):
    """Outbox ids first_id..last_id (inclusive) of `stream`, not seen when the mark passed them
    at `noticed_at`."""

    __tablename__ = "stream_gaps"

    stream: Mapped[str] = mapped_column(
        String(255), ForeignKey("stream_positions.stream", ondelete="CASCADE"),
        primary_key=True)
    first_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("first_id <= last_id", name="range_ordered"),)
