"""Idempotency-Key bookkeeping for user POSTs: claim a key, replay it, store its response, purge.

The caller runs `claim`, the use case and `store_response` in one SharedTransaction: the key is
only ever committed together with the effect and the response it replays. A concurrent duplicate
waits on the key's unique index until the first commits (then replays it) or rolls back (then
runs the request itself), so a crashed request never leaves a stuck key behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from carbon.models import IdempotencyKey
from db import UnitOfWork
from db.sql import insert_ignore, rowcount


@dataclass(frozen=True)
class Claim:
    outcome: str  # new | replay | mismatch | in_progress
    status_code: int | None = None
    body: str | None = None


def claim(uow: UnitOfWork, user_id: int, key: str, request_hash: str, now: datetime) -> Claim:
    """Claim `key` for this request, or say what was answered to it before."""
    with uow:
        s = uow.session
        table = IdempotencyKey.__table__
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT with implicit RETURNING.
        inserted = insert_ignore(s, table, {
            "user_id": user_id, "key": key, "request_hash": request_hash, "created_at": now,
        }, ["user_id", "key"], returning=(table.c.id,)).first()
        uow.commit()
        if inserted is not None:
            return Claim("new")
        stored_hash, status_code, body = s.execute(
            select(IdempotencyKey.request_hash, IdempotencyKey.status_code,
                   IdempotencyKey.response_body)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).one()
    if stored_hash != request_hash:
        return Claim("mismatch")
    if status_code is None:
        # Only the code before migration 0011 committed a key without its response (a worker
        # killed mid-request, or one still running in a rolling deploy): its effect may have
        # committed, so it is not run again; the purge forgets the key.
        return Claim("in_progress")
    return Claim("replay", status_code, body)


def store_response(uow: UnitOfWork, user_id: int, key: str, status_code: int,
                   body: str) -> None:
    with uow:
        uow.session.execute(update(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
        ).values(status_code=status_code, response_body=body))
        uow.commit()


def purge_keys(uow: UnitOfWork, now: datetime, max_age: timedelta) -> int:
    """Forget the keys older than `max_age`: a retry after that runs as a new request.
    Returns how many were deleted."""
    with uow:
        deleted = rowcount(uow.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.created_at < now - max_age)))
        uow.commit()
    return deleted
