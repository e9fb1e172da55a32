"""Partner keys: made by operators, checked on every signed request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from carbon.errors import Conflict, InvalidInput
from carbon.models import Partner
from db import UnitOfWork

SCOPES = ("events:write", "plantings", "donations", "admin")


@dataclass(frozen=True)
class PartnerRef:
    id: int
    name: str
    key_id: str
    secret: str
    scopes: frozenset[str]


def _ref(p: Partner) -> PartnerRef:
    return PartnerRef(p.id, p.name, p.key_id, p.secret, frozenset(filter(None, p.scopes.split(","))))


def create_partner(uow: UnitOfWork, name: str, scopes: list[str], now: datetime) -> PartnerRef:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput(f"Unknown scopes: {', '.join(unknown)}; known: {', '.join(SCOPES)}.")
    if not name or len(name) > 64:
        raise InvalidInput("A partner name is 1 to 64 characters.")
    partner = Partner(name=name, key_id="pk_" + secrets.token_hex(8),
                      secret=secrets.token_hex(32), scopes=",".join(sorted(set(scopes))),
                      active=True, created_at=now)
    with uow:
        uow.session.add(partner)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"A partner named '{name}' already exists.") from exc
        ref = _ref(partner)
        uow.commit()
    return ref


def find_partner(uow: UnitOfWork, key_id: str) -> PartnerRef | None:
    with uow:
        p = uow.session.scalars(
            select(Partner).where(Partner.key_id == key_id, Partner.active.is_(True))).one_or_none()
        return _ref(p) if p else None


def find_partner_by_name(uow: UnitOfWork, name: str) -> PartnerRef | None:
    with uow:
        p = uow.session.scalars(select(Partner).where(Partner.name == name)).one_or_none()
        return _ref(p) if p else None
