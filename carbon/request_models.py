"""Operator settlements asked through the API and carried out by the jobs process."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime

REQUESTED, RUNNING, COMPLETED, FAILED = "requested", "running", "completed", "failed"
OPEN_STATUSES = (REQUESTED, RUNNING)


class SettlementRequest(Base):
    """One `POST /v1/admin/settlements`. zones: the zones whose day was over when it was asked
    (settled in this order); skipped: the others. status: requested -> running -> completed |
    failed (error says why). active_key names (date, asked zones) while the request is open and
    is NULL afterwards: its unique index lets one open request exist per question, so a second
    POST joins it instead of queueing the same work twice."""

    __tablename__ = "settlement_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    local_date: Mapped[date] = mapped_column(Date)
    zones: Mapped[list] = mapped_column(JSON)
    skipped: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    active_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # The jobs poll for the open requests every few seconds: a short index scan.
    __table_args__ = (Index("ix_settlement_requests_open", "status", "id"),)
