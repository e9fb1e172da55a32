"""Expiry of open balls whose expires_at has passed, without an index of open balls by expiry.

A settlement batch's balls are one id range (ball_ids.user_range) and share one expires_at
(its date and zone), so they expire together: one transaction per batch, found through
ix_settlement_batches_unexpired (a few days of batches). The other open balls (watering, and
those older than the id scheme) are the few rows of ix_balls_user_loose_open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session

from carbon import ball_ids
from carbon.domain import account as domain
from carbon.models import LOOSE_OPEN_SQL, OPEN, Ball, SettlementBatch
from carbon.services import ledger
from db import UnitOfWork

EXPIRY_CAUSE = "expiry"  # expiry: cause ("expiry", "first_id..last_id") per transaction

_B = Ball.__table__.c
_SB = SettlementBatch.__table__.c
# A ball of local date d expires no earlier than d + 2 (UTC) in any zone.
_EARLIEST_EXPIRY = timedelta(days=2)

_IN_BATCH = and_(_B.id.between(bindparam("lo"), bindparam("hi")),
                 _B.settlement_batch_id == bindparam("bid"), _B.status == OPEN,
                 _B.expires_at <= bindparam("now"))
# Closed first, RETURNING what they held (one statement, no row locks read back: on Citus a
# batch's balls are on every shard, where SELECT ... FOR UPDATE is refused), then named with
# the ledger transaction that moved their grams.
_EXPIRE_BATCH = (update(Ball.__table__).where(_IN_BATCH).values(status="expired")
                 .returning(_B.id, _B.remaining_g))
_NAME_TXN = (update(Ball.__table__)
             .where(_B.id.between(bindparam("lo"), bindparam("hi")),
                    _B.settlement_batch_id == bindparam("bid"), _B.status == "expired",
                    _B.close_txn_id.is_(None))
             .values(close_txn_id=bindparam("txn")))


def expire_loose(uow: UnitOfWork, now: datetime, limit: int) -> tuple[int, int]:
    """Expire up to `limit` due balls that belong to no settlement batch range."""
    with uow:
        s = uow.session
        due = (select(Ball.id).where(LOOSE_OPEN_SQL, Ball.expires_at <= now)
               .order_by(Ball.id).limit(limit).scalar_subquery())
        rows = s.execute(
            update(Ball).where(Ball.id.in_(due), Ball.status == OPEN, Ball.expires_at <= now)
            .values(status="expired").returning(Ball.id, Ball.remaining_g)
            .execution_options(synchronize_session=False)).all()
        if not rows:
            return 0, 0
        ids = [r[0] for r in rows]
        grams = sum(r[1] for r in rows)
        txn = _move_to_expired(s, ids, grams, now)
        s.execute(update(Ball).where(Ball.id.in_(ids)).values(close_txn_id=txn)
                  .execution_options(synchronize_session=False))
        uow.commit()
        return len(rows), grams


def expire_next_batch(uow: UnitOfWork, now: datetime) -> tuple[int, int] | None:
    """Expire the open balls of one settlement batch whose balls are due: (balls, energy_g),
    or None when no batch is due (or every due one is being expired by another expirer)."""
    with uow:
        s = uow.session
        for batch in _candidates(s, now):
            if domain.expires_at(batch.local_date, batch.timezone) > now:
                continue
            locked = s.execute(select(_SB.id).where(_SB.id == batch.id, _SB.expired_at.is_(None))
                               .with_for_update(skip_locked=True)).first()
            if locked is None:
                continue
            done = _expire_batch(s, batch, now)
            uow.commit()
            return done
    return None


def _candidates(s: Session, now: datetime) -> Sequence[Any]:
    return s.execute(
        select(_SB.id, _SB.local_date, _SB.timezone, _SB.first_user_id, _SB.last_user_id)
        .where(_SB.expired_at.is_(None), _SB.finished_at.is_not(None),
               _SB.local_date <= now.date() - _EARLIEST_EXPIRY)
        .order_by(_SB.local_date, _SB.first_user_id)).all()


def _expire_batch(s: Session, batch: Any, now: datetime) -> tuple[int, int]:
    lo, hi = ball_ids.user_range(batch.local_date, batch.first_user_id, batch.last_user_id)
    params = {"lo": lo, "hi": hi, "bid": batch.id, "now": now}
    rows = s.execute(_EXPIRE_BATCH, params).all()
    grams = sum(r[1] for r in rows)
    if rows:
        txn = _move_to_expired(s, [r[0] for r in rows], grams, now)
        s.execute(_NAME_TXN, {"lo": lo, "hi": hi, "bid": batch.id, "txn": txn})
    s.execute(update(SettlementBatch).where(SettlementBatch.id == batch.id)
              .values(expired_at=now))
    return len(rows), grams


def _move_to_expired(s: Session, ids: list[int], grams: int, now: datetime) -> int:
    return ledger.transfer(s, "expire", EXPIRY_CAUSE, f"{min(ids)}..{max(ids)}",
                           ledger.account(s, ledger.BALLS), ledger.account(s, ledger.EXPIRED),
                           grams, now)
