"""Partner keys: made by operators, checked on every signed request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from carbon.errors import Conflict, InvalidInput
from carbon.models import Partner, PartnerSignature
from db import UnitOfWork
from db.sql import insert_ignore

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


def use_signature(uow: UnitOfWork, partner_id: int, signature: str, expires_at: datetime,
                  now: datetime) -> bool:
    """Remember a verified signature until `expires_at` (when its timestamp leaves the skew
    window); False when it was already used. Committed before the request acts: a crash in
    between costs the partner a re-signed retry, never a second effect."""
    table = PartnerSignature.__table__
    with uow:
        # Purge on insert: rows live at most two skew windows, so this deletes a handful.
        uow.session.execute(delete(PartnerSignature).where(PartnerSignature.expires_at < now))
        inserted = insert_ignore(uow.session, table, {"partner_id": partner_id,
                                                       "signature": signature,
                                                       "expires_at": expires_at},
                                 ["partner_id", "signature"], returning=(table.c.partner_id,))
        fresh = inserted.first() is not None
        uow.commit()
    return fresh
