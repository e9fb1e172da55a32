"""The outbox's fan-out to a message broker, on the database's side: which rows are due, and
recording which of them the broker confirmed. The broker itself is the jobs' business
(jobs/amqp.py); between the two calls no transaction is open, so a slow broker holds no lock.

Ids come from a sequence, and on PostgreSQL a transaction may commit id 100 after id 101 was
committed and published. The mark therefore never simply jumps: ids it passes without
publishing their row (not visible yet, or not confirmed by the broker) become gaps
(carbon.stream_models), looked at again on every run, so a row committed late is still
published; a gap older than `window` in which no row is found is given up on (a rolled-back
transaction or a purged row: no transaction that writes the outbox stays open that long)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from carbon.domain.stream import Gap, Message, expired, message, missing_ranges, new_mark, without
from carbon.outbox_models import OutboxEvent
from carbon.services import lookups
from carbon.stream_models import StreamGap, StreamPosition
from db import UnitOfWork
from db.sql import insert_ignore, rowcount

_E = OutboxEvent.__table__.c
_G = StreamGap.__table__.c
_P = StreamPosition.__table__.c
_COLUMNS = (_E.id, _E.type, _E.occurred_at, _E.user_id, _E.other_user_id, _E.partner_id,
            _E.payload)


@dataclass(frozen=True)
class Pending:
    stream: str
    cursor: int
    gaps: list[Gap]
    late: list[Message]  # rows found in gaps: committed late, or not confirmed yet
    new: list[Message]  # rows after the mark, in id order
    full: bool  # the batch of new rows was full: more are waiting
    late_full: bool  # so was the batch of late rows: the gaps may hold more

    @property
    def messages(self) -> list[Message]:
        return self.late + self.new


@dataclass(frozen=True)
class Progress:
    published: int
    mark: int
    gap_ids: int  # ids below the mark still awaited
    given_up_ids: int  # ids dropped from the gaps by this run (past the window)
    lag_s: float  # age of the oldest row known to be unsent (0: caught up)
    raced: bool = False  # another publisher moved the mark first: nothing was recorded


def pending(uow: UnitOfWork, stream: str, limit: int) -> Pending:
    """Up to `limit` rows found in the gaps and up to `limit` rows after the mark."""
    with uow.reading():
        s = uow.session
        cursor = s.scalar(select(_P.last_id).where(_P.stream == stream)) or 0
        gaps = [Gap(r.first_id, r.last_id, r.noticed_at) for r in s.execute(
            select(_G.first_id, _G.last_id, _G.noticed_at).where(_G.stream == stream)
            .order_by(_G.first_id))]
        late = list(s.execute(
            select(*_COLUMNS).select_from(OutboxEvent.__table__)
            .join(StreamGap.__table__, and_(_G.stream == stream, _E.id >= _G.first_id,
                                            _E.id <= _G.last_id))
            .order_by(_E.id).limit(limit))) if gaps else []
        new = list(s.execute(select(*_COLUMNS).where(_E.id > cursor).order_by(_E.id)
                             .limit(limit)))
        late_msgs, new_msgs = _messages(s, late), _messages(s, new)
    return Pending(stream, cursor, gaps, late_msgs, new_msgs, len(new) == limit,
                   len(late) == limit)


def _messages(s: Session, rows: list) -> list[Message]:
    names = lookups.external_ids(s, [u for r in rows for u in (r.user_id, r.other_user_id)
                                     if u is not None])
    return [message(r.id, r.type, r.occurred_at, names.get(r.user_id),
                    names.get(r.other_user_id), r.partner_id, r.payload) for r in rows]


def record_published(uow: UnitOfWork, due: Pending, confirmed: set[int], now: datetime,
                     window: timedelta) -> Progress:
    """Move the mark to the highest confirmed row after it, take the confirmed late rows out of
    the gaps, add the ids it passed without publishing them as new gaps (unseen, or not
    confirmed), give up on gaps older than `window` in which no row was found."""
    mark = new_mark([m.id for m in due.new], confirmed, due.cursor)
    with uow:
        s = uow.session
        if not _move_mark(s, due.stream, due.cursor, mark, now):
            return Progress(0, due.cursor, sum(g.size for g in due.gaps), 0, 0.0, raced=True)
        gaps = without(due.gaps, confirmed) + missing_ranges(
            due.cursor, mark, [m.id for m in due.new if m.id in confirmed], now)
        found = None if due.late_full else [m.id for m in due.late]
        kept, given_up = expired(gaps, now - window, found)
        if kept != due.gaps:
            _replace_gaps(s, due.stream, kept)
        uow.commit()
    return Progress(len(confirmed), mark, sum(g.size for g in kept),
                    sum(g.size for g in given_up), _lag(due, confirmed, now))


def _replace_gaps(s: Session, stream: str, kept: list[Gap]) -> None:
    s.execute(delete(StreamGap).where(_G.stream == stream))
    if kept:
        s.execute(insert(StreamGap), [{"stream": stream, "first_id": g.first_id,
                                       "last_id": g.last_id, "noticed_at": g.noticed_at}
                                      for g in kept])


def _move_mark(s: Session, stream: str, cursor: int, mark: int, now: datetime) -> bool:
    # The conditional update also locks the row: two publishers record one after the other,
    # and the second, whose mark is stale, records nothing.
    insert_ignore(s, StreamPosition.__table__,
                  {"stream": stream, "last_id": 0, "updated_at": now}, ["stream"])
    moved = s.execute(update(StreamPosition).where(_P.stream == stream, _P.last_id == cursor)
                      .values(last_id=mark, updated_at=now))
    return rowcount(moved) == 1


def _lag(due: Pending, confirmed: set[int], now: datetime) -> float:
    unsent = [m.occurred_at for m in due.messages if m.id not in confirmed]
    if unsent:
        return max(0.0, (now - min(unsent)).total_seconds())
    if due.full and due.new:  # the next batch is at least this old
        return max(0.0, (now - due.new[-1].occurred_at).total_seconds())
    return 0.0
