"""Partner webhooks: the endpoints partners registered, and one delivery per event and
endpoint. The outbox is only read (by id, in the transaction that writes it); everything the
deliverers change lives here, so the outbox stays append-only for its other readers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UTCDateTime


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[str] = mapped_column(String(255))  # comma separated
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Per-endpoint backoff: consecutive failures, and no delivery to it is tried before this.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (Index("ix_webhook_endpoints_partner_id", "partner_id", "id"),)


class WebhookDelivery(Base):
    """`event_id` is the outbox row's id (the Canopy-Event-Id receivers de-duplicate on); no
    foreign key to it, since the outbox is purged and may be partitioned by time."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    partner_id: Mapped[int] = mapped_column(BigId)
    event_id: Mapped[int] = mapped_column(BigId)
    event_type: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Retried until then, then dead-lettered; a redelivery starts a new window.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A deliverer's claim: nobody else sends this row before lease_until; the token makes
    # sure only the claimer records the outcome.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_key"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_partner", "partner_id", "status", "id"),
    )
