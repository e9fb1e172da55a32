"""The outbox: one row per fact worth telling, written in the transaction that makes it true.

The user's feed reads it now; partner webhooks and the message-bus fan-out will claim rows from
it later (by id, FOR UPDATE SKIP LOCKED), so a row carries everything a deliverer needs: the
event type, when it happened, the users concerned, the partner for partner events, and a JSON
payload of plain values (ids and grams, never ORM objects)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime


class OutboxEvent(Base):
    """`user_id` is the user the fact happened to (the owner of a stolen ball, the friend
    watered); `other_user_id` the user who did it (the thief, the waterer), when there is one."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # No foreign keys, as on balls.user_id: the ids come from the transaction that made the
    # fact true, and PostgreSQL's FK triggers doubled the row's cost on the steal path (0.15 of
    # 0.3 ms) and took KEY SHARE locks on both users' rows, which a shield grant's FOR UPDATE
    # would then wait for.
    user_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    other_user_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    partner_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    payload: Mapped[dict] = mapped_column(JSON)
    __table_args__ = (
        # The feed reads a user's rows newest first, as owner and as actor.
        Index("ix_outbox_events_user", "user_id", "occurred_at", "id"),
        Index("ix_outbox_events_other_user", "other_user_id", "occurred_at", "id"),
        Index("ix_outbox_events_occurred_at", "occurred_at"),  # the purge
    )
