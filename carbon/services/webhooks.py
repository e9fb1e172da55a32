"""Partner webhooks as operators and partners see them: endpoints (added, listed, removed)
and deliveries (listed, dead letters included, and delivered again on request)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update

from carbon.domain.webhooks import parse_event_types
from carbon.errors import InvalidInput, WebhookEndpointNotFound
from carbon.models import Partner
from carbon.webhook_models import WebhookDelivery, WebhookEndpoint
from db import UnitOfWork
from db.paging import Key, Page, cut
from db.sql import rowcount


@dataclass(frozen=True)
class EndpointView:
    id: int
    partner_name: str
    url: str
    event_types: list[str]
    active: bool
    failures: int
    blocked_until: datetime | None
    created_at: datetime


def _endpoint_view(e: WebhookEndpoint, partner_name: str) -> EndpointView:
    return EndpointView(e.id, partner_name, e.url, e.event_types.split(","), e.active,
                        e.failures, e.blocked_until, e.created_at)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment \
            or parts.username or len(url) > 2000:
        raise InvalidInput("A webhook URL is http(s)://host[:port]/path, without credentials "
                           "or fragment, at most 2000 characters.", {"url": ["not usable"]})
    return url


def add_endpoint(uow: UnitOfWork, partner_name: str, url: str, event_types: list[str] | str,
                 now: datetime) -> EndpointView:
    """Register `url` for the partner's events of `event_types`; only events that happen from
    now on are delivered to it."""
    try:
        types = parse_event_types(event_types)
    except ValueError as exc:
        raise InvalidInput(str(exc), {"event_types": [str(exc)]}) from None
    with uow:
        partner = uow.session.scalars(select(Partner).where(Partner.name == partner_name)).first()
        if partner is None:
            raise InvalidInput(f"No partner named '{partner_name}'.",
                               {"partner_name": ["unknown partner"]})
        endpoint = WebhookEndpoint(partner_id=partner.id, url=check_url(url),
                                   event_types=",".join(types), active=True, created_at=now,
                                   failures=0)
        uow.session.add(endpoint)
        uow.session.flush()
        view = _endpoint_view(endpoint, partner.name)
        uow.commit()
    return view


def list_endpoints(uow: UnitOfWork, partner_name: str | None, after: Key | None,
                   limit: int) -> Page[EndpointView]:
    """Active endpoints by id, of one partner or all."""
    stmt = (select(WebhookEndpoint, Partner.name).join(Partner)
            .where(WebhookEndpoint.active.is_(True), WebhookEndpoint.id > (after or (0,))[0])
            .order_by(WebhookEndpoint.id).limit(limit + 1))
    if partner_name is not None:
        stmt = stmt.where(Partner.name == partner_name)
    with uow:
        rows, next_key = cut(uow.session.execute(stmt).all(), limit, lambda r: (r[0].id,))
        return Page([_endpoint_view(e, name) for e, name in rows], next_key)


def remove_endpoint(uow: UnitOfWork, endpoint_id: int) -> int:
    """Stop delivering to an endpoint: its pending deliveries are cancelled (kept, to be
    listed). Returns how many were cancelled."""
    with uow:
        s = uow.session
        found = rowcount(s.execute(update(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.active.is_(True))
            .values(active=False)))
        if not found:
            raise WebhookEndpointNotFound(f"No webhook endpoint {endpoint_id}.")
        cancelled = rowcount(s.execute(update(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
            .values(status="cancelled", lease_until=None, claim_token=None)))
        uow.commit()
    return cancelled
