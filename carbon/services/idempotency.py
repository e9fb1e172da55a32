"""Idempotency-Key bookkeeping for user POSTs: reserve, replay, complete or release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from carbon.models import IdempotencyKey
from db import UnitOfWork
from db.sql import insert_ignore


@dataclass(frozen=True)
class Reservation:
    outcome: str  # new | replay | mismatch | in_progress
    status_code: int | None = None
    body: str | None = None


def reserve(uow: UnitOfWork, user_id: int, key: str, request_hash: str,
            now: datetime) -> Reservation:
    """Claim `key` for this request, committed at once so a concurrent retry sees it."""
    with uow:
        s = uow.session
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT with implicit RETURNING.
        inserted = insert_ignore(s, IdempotencyKey.__table__, {
            "user_id": user_id, "key": key, "request_hash": request_hash, "created_at": now,
        }, ["user_id", "key"], returning=(IdempotencyKey.__table__.c.id,)).first()
        uow.commit()
        if inserted is not None:
            return Reservation("new")
        # Read the columns, not the ORM row: leaving `with uow` expires and detaches it.
        stored_hash, status_code, body = s.execute(
            select(IdempotencyKey.request_hash, IdempotencyKey.status_code,
                   IdempotencyKey.response_body)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).one()
    if stored_hash != request_hash:
        return Reservation("mismatch")
    if status_code is None:
        return Reservation("in_progress")
    return Reservation("replay", status_code, body)


def complete(uow: UnitOfWork, user_id: int, key: str, status_code: int, body: str) -> None:
    with uow:
        uow.session.execute(update(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
        ).values(status_code=status_code, response_body=body))
        uow.commit()


def release(uow: UnitOfWork, user_id: int, key: str) -> None:
    """Forget a key whose request failed, so that a retry after fixing the cause can succeed."""
    with uow:
        uow.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
            IdempotencyKey.status_code.is_(None)))
        uow.commit()
