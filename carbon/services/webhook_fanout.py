"""Turning an outbox row into webhook deliveries, in the transaction that writes the row.

Why here and not a cursor over the outbox: outbox ids come from a sequence, and transactions
commit out of id order, so a reader that remembers "the last id I saw" skips an id taken by a
transaction that commits after it read (PostgreSQL hands out 41 before 42, then 42 commits
first). Creating the deliveries in the same transaction as the fact makes "one delivery per
event and endpoint, never lost, never twice" a property of the commit itself: no cursor, no
snapshot arithmetic, and the outbox stays append-only for its other readers. Only partner
facts pay for it (planting decisions and donations, not steals), with two short statements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from carbon.domain.webhooks import RETRY_WINDOW, PartnerEvent
from carbon.webhook_models import WebhookDelivery, WebhookEndpoint
from db.sql import insert_ignore

_D = WebhookDelivery.__table__
_E = WebhookEndpoint.__table__.c


def fan_out(session: Session, event_id: int, partner_id: int, at: datetime,
            event: PartnerEvent) -> int:
    """One pending delivery of `event` to each active endpoint of the partner that wants its
    type; a second outbox row for the same event (a group's members) adds none. Returns how
    many were added."""
    endpoints = session.execute(select(_E.id, _E.event_types).where(
        _E.partner_id == partner_id, _E.active.is_(True))).all()
    rows = [{"endpoint_id": e.id, "partner_id": partner_id, "event_id": event_id,
             "event_type": event.type, "event_key": event.key, "occurred_at": at,
             "data": event.data, "status": "pending", "attempts": 0, "next_attempt_at": at,
             "expires_at": at + RETRY_WINDOW, "created_at": at}
            for e in endpoints if event.type in e.event_types.split(",")]
    if not rows:
        return 0
    added = insert_ignore(session, _D, rows, ["endpoint_id", "event_key"],
                          returning=(_D.c.id,))
    return len(added.all())
