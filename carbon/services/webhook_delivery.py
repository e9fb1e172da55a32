"""Delivering webhooks: claim due deliveries, send them, record what happened.

Claims are short transactions of their own, committed before anything is sent: a claimed row
carries a lease (lease_until) and a claim token, and on PostgreSQL the claim takes its rows
FOR UPDATE SKIP LOCKED, so several deliverers never pick the same row. Only the claimer (by
token) records the outcome. SQLite runs one deliverer (its writes are serialised anyway)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from carbon.domain.webhooks import endpoint_backoff_s, retry_delay_s
from carbon.models import Partner
from carbon.webhook_http import SendResult
from carbon.webhook_models import WebhookDelivery, WebhookEndpoint
from db import UnitOfWork
from db.sql import rowcount

_D = WebhookDelivery.__table__.c
_E = WebhookEndpoint.__table__.c
_P = Partner.__table__.c


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    url: str
    secret: str
    event_id: int
    event_type: str
    occurred_at: datetime
    data: dict
    attempts: int
    expires_at: datetime
    claim_token: str


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(_D.status == "pending", _D.next_attempt_at <= now,
                or_(_D.lease_until.is_(None), _D.lease_until < now))


def _pick(now: datetime, batch: int, per_endpoint: int) -> Select[tuple[int]]:
    """Due rows of endpoints not in backoff, at most `per_endpoint` of each (so that one
    endpoint with a backlog cannot fill the batch), oldest first. The conditions are repeated
    outside the window so that PostgreSQL re-checks them on a row another deliverer changed."""
    ranked = (select(_D.id, func.row_number().over(
        partition_by=_D.endpoint_id, order_by=(_D.next_attempt_at, _D.id)).label("rn"))
        .join(WebhookEndpoint.__table__, _E.id == _D.endpoint_id)
        .where(_due(now), _E.active.is_(True),
               or_(_E.blocked_until.is_(None), _E.blocked_until <= now))).subquery()
    return (select(_D.id).where(_D.id.in_(select(ranked.c.id).where(ranked.c.rn <= per_endpoint)),
                                _due(now))
            .order_by(_D.next_attempt_at, _D.id).limit(batch)
            .with_for_update(skip_locked=True))


def claim(uow: UnitOfWork, now: datetime, batch: int, per_endpoint: int,
          lease: timedelta) -> list[Claimed]:
    """Take up to `batch` due deliveries for `lease`; nobody else sends them meanwhile."""
    token = uuid.uuid4().hex
    with uow:
        s = uow.session
        ids = list(s.scalars(_pick(now, batch, per_endpoint)))
        if not ids:
            return []
        s.execute(update(WebhookDelivery).where(_D.id.in_(ids))
                  .values(lease_until=now + lease, claim_token=token))
        rows = s.execute(
            select(_D.id, _D.endpoint_id, _E.url, _P.secret, _D.event_id, _D.event_type,
                   _D.occurred_at, _D.data, _D.attempts, _D.expires_at, _D.claim_token)
            .join(WebhookEndpoint.__table__, _E.id == _D.endpoint_id)
            .join(Partner.__table__, _P.id == _E.partner_id)
            .where(_D.id.in_(ids)).order_by(_D.next_attempt_at, _D.id)).all()
        claimed = [Claimed(*r) for r in rows]
        uow.commit()
    return claimed


def _outcome_values(c: Claimed, result: SendResult, now: datetime, draw: float) -> dict:
    attempts = c.attempts + 1
    values = {"attempts": attempts, "last_attempt_at": now, "lease_until": None,
              "claim_token": None, "last_status_code": result.status_code,
              "last_error": result.error}
    if result.ok:
        return {**values, "status": "delivered", "delivered_at": now}
    if now >= c.expires_at:
        return {**values, "status": "dead"}
    # The last try falls on the deadline itself rather than past it.
    retry_at = min(now + timedelta(seconds=retry_delay_s(attempts, draw)), c.expires_at)
    return {**values, "next_attempt_at": retry_at}


def record_outcome(uow: UnitOfWork, c: Claimed, result: SendResult, now: datetime,
                   draw: Callable[[], float]) -> str:
    """Store what a send did: delivered, retry (with backoff) or dead; `stale` when the
    claim was lost (its lease ran out and someone else holds the row now)."""
    values = _outcome_values(c, result, now, draw())
    with uow:
        s = uow.session
        done = rowcount(s.execute(update(WebhookDelivery).where(
            _D.id == c.id, _D.claim_token == c.claim_token).values(**values)))
        _endpoint_after(s, c.endpoint_id, result.ok, now, draw())
        uow.commit()
    if not done:
        return "stale"
    return values.get("status", "retry")


def _endpoint_after(s: Session, endpoint_id: int, ok: bool, now: datetime, draw: float) -> None:
    target = WebhookEndpoint.__table__
    if ok:
        recovered = rowcount(s.execute(update(target).where(
            _E.id == endpoint_id, _E.failures > 0).values(failures=0, blocked_until=None)))
        if recovered:  # its backlog was waiting on its failures, not on its own: send it now
            s.execute(update(WebhookDelivery).where(
                _D.endpoint_id == endpoint_id, _D.status == "pending", _D.next_attempt_at > now,
                _D.lease_until.is_(None)).values(next_attempt_at=now))
        return
    # Locked, so that two deliverers failing on it at once both count.
    failures = s.scalar(select(_E.failures).where(_E.id == endpoint_id).with_for_update()) or 0
    s.execute(update(target).where(_E.id == endpoint_id).values(
        failures=failures + 1,
        blocked_until=now + timedelta(seconds=endpoint_backoff_s(failures + 1, draw))))


def release(uow: UnitOfWork, claimed: list[Claimed], now: datetime) -> int:
    """Give back claims not tried (their endpoint just failed): no attempt is counted, but a
    delivery past its deadline is dead-lettered. Returns how many were dead-lettered."""
    if not claimed:
        return 0
    with uow:
        s = uow.session
        for c in claimed:
            expired = {"status": "dead"} if now >= c.expires_at else {}
            s.execute(update(WebhookDelivery).where(
                _D.id == c.id, _D.claim_token == c.claim_token).values(
                lease_until=None, claim_token=None, **expired))
        uow.commit()
    return sum(now >= c.expires_at for c in claimed)
