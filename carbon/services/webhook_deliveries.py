"""Webhook deliveries as partners and operators read them, and redelivery on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from carbon.domain.webhooks import RETRY_WINDOW
from carbon.errors import WebhookDeliveryNotFound
from carbon.webhook_models import WebhookDelivery, WebhookEndpoint
from db import UnitOfWork
from db.paging import Key, Page, cut
from db.sql import rowcount


@dataclass(frozen=True)
class DeliveryView:
    id: int
    event_id: int
    event_type: str
    occurred_at: datetime
    data: dict
    endpoint_id: int
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    expires_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


def _view(d: WebhookDelivery, url: str) -> DeliveryView:
    return DeliveryView(d.id, d.event_id, d.event_type, d.occurred_at, d.data, d.endpoint_id,
                        url, d.status, d.attempts,
                        d.next_attempt_at if d.status == "pending" else None, d.expires_at,
                        d.last_attempt_at, d.last_status_code, d.last_error, d.delivered_at,
                        d.created_at)


def list_deliveries(uow: UnitOfWork, partner_id: int | None, status: str | None,
                    after: Key | None, limit: int) -> Page[DeliveryView]:
    """Newest first (by id); one partner's, or everyone's (operators); by status."""
    stmt = (select(WebhookDelivery, WebhookEndpoint.url).join(WebhookEndpoint)
            .order_by(WebhookDelivery.id.desc()).limit(limit + 1))
    if partner_id is not None:
        stmt = stmt.where(WebhookDelivery.partner_id == partner_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if after is not None:
        stmt = stmt.where(WebhookDelivery.id < after[0])
    with uow:
        rows, next_key = cut(uow.session.execute(stmt).all(), limit, lambda r: (r[0].id,))
        return Page([_view(d, url) for d, url in rows], next_key)


def redeliver(uow: UnitOfWork, partner_id: int | None, delivery_id: int,
              now: datetime) -> DeliveryView:
    """Send a delivery again, soon, with a fresh 3-day window: a dead letter comes back to
    life, a delivered event is sent once more (same event id), a pending one is moved up.
    Asking twice before it is sent changes nothing more. A removed endpoint's delivery
    cannot be sent again."""
    with uow:
        s = uow.session
        stmt = select(WebhookDelivery, WebhookEndpoint).join(WebhookEndpoint).where(
            WebhookDelivery.id == delivery_id).with_for_update(of=WebhookDelivery)
        if partner_id is not None:
            stmt = stmt.where(WebhookDelivery.partner_id == partner_id)
        found = s.execute(stmt).first()
        if found is None or not found[1].active:
            raise WebhookDeliveryNotFound(f"No webhook delivery {delivery_id} to an endpoint "
                                          "of yours that is still registered.")
        d, endpoint = found
        if d.status == "pending":
            d.next_attempt_at = min(d.next_attempt_at, now)
        else:
            d.status, d.delivered_at, d.next_attempt_at = "pending", None, now
        d.expires_at = max(d.expires_at, now + RETRY_WINDOW)
        s.flush()
        view = _view(d, endpoint.url)
        uow.commit()
    return view


def purge(uow: UnitOfWork, now: datetime, keep: timedelta, limit: int = 10000) -> int:
    """Delete up to `limit` finished deliveries (delivered, dead, cancelled) created before
    now - keep, oldest first; pending ones are kept whatever their age. Returns how many."""
    with uow:
        old = (select(WebhookDelivery.id).where(WebhookDelivery.status != "pending",
                                                WebhookDelivery.created_at < now - keep)
               .order_by(WebhookDelivery.id).limit(limit))
        deleted = rowcount(uow.session.execute(delete(WebhookDelivery).where(
            WebhookDelivery.id.in_(old.scalar_subquery()))))
        uow.commit()
    return deleted
