"""Writing facts to the outbox, and reading them back as a user's feed.

`record` never commits: it is called inside the unit of work of the change it tells, so the
row and the change commit together or not at all. It is one INSERT of plain values, without an
ORM object, to keep what it adds to hot paths such as stealing small."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from carbon.domain.webhooks import partner_event
from carbon.outbox_models import OutboxEvent
from carbon.services import lookups
from carbon.services.webhook_fanout import fan_out
from db import UnitOfWork
from db.paging import Key, Page, cut

_INSERT = insert(OutboxEvent.__table__)
_E = OutboxEvent.__table__.c
_INSERT_ID = _INSERT.returning(_E.id)


def record(session: Session, event_type: str, at: datetime, *, user_id: int | None = None,
           other_user_id: int | None = None, partner_id: int | None = None,
           **payload: int | str | list | None) -> None:
    """Tell `event_type` about `user_id` (done by `other_user_id`, when someone did it); a
    partner fact also becomes a delivery to each of the partner's webhooks, in this transaction."""
    row = {"type": event_type, "occurred_at": at, "user_id": user_id,
           "other_user_id": other_user_id, "partner_id": partner_id, "payload": payload}
    told = partner_event(event_type, payload) if partner_id is not None else None
    if told is None or partner_id is None:
        session.execute(_INSERT, row)
        return
    fan_out(session, session.execute(_INSERT_ID, row).scalar_one(), partner_id, at, told)


def record_many(session: Session, event_type: str, at: datetime,
                told: list[tuple[int, dict]]) -> None:
    """One row per (user id, payload) in `told`, in one executemany (a batch of grants)."""
    if told:
        session.execute(_INSERT, [{"type": event_type, "occurred_at": at, "user_id": uid,
                                   "other_user_id": None, "partner_id": None, "payload": p}
                                  for uid, p in told])


def _rows(session: Session, me_id: int, after: Key | None, limit: int) -> list:
    stmt = (select(_E.id, _E.type, _E.occurred_at, _E.user_id, _E.other_user_id, _E.payload)
            .where(or_(_E.user_id == me_id, _E.other_user_id == me_id))
            .order_by(_E.occurred_at.desc(), _E.id.desc()).limit(limit))
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(_E.occurred_at < at, and_(_E.occurred_at == at, _E.id < last_id)))
    return list(session.execute(stmt))


def feed(uow: UnitOfWork, me_id: int, after: Key | None, limit: int) -> Page[dict]:
    """What happened to me and what I did to others, newest first (the key: the time, then
    the id, both descending). `user_id` is the other user, `by_me` whether I acted."""
    with uow.reading():
        rows, next_key = cut(_rows(uow.session, me_id, after, limit + 1), limit,
                             lambda r: (r.occurred_at, r.id))
        others = {r.id: r.user_id if r.other_user_id == me_id else r.other_user_id
                  for r in rows}
        names = lookups.external_ids(uow.session, [u for u in others.values() if u])
    items = [{**r.payload, "id": r.id, "type": r.type, "at": r.occurred_at,
              "user_id": names.get(others[r.id]), "by_me": r.other_user_id == me_id}
             for r in rows]
    return Page(items, next_key)
