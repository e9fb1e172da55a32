"""Which after-settlement follow-ups completed for which settled (local date, zone)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime


class SettlementFollowup(Base):
    """Follow-up `name` ("module:function") succeeded for (local_date, timezone): the scheduler
    retries only the follow-ups of recently settled days that have no row here."""

    __tablename__ = "settlement_followups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    local_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("local_date", "timezone", "name"),)
