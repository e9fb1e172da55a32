"""The ball side of stealing: read a ball's public fields, and take grams out of a ripe ball
into a thief's available energy. The rules (who, how much) belong to the game; this module
only guarantees, in one conditional UPDATE, that a ball never loses more than it holds nor
more than half of its original energy to thieves. Session-level: never commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, true, update
from sqlalchemy.orm import Session

from carbon.models import OPEN, Ball
from carbon.repository import balls as repo
from carbon.services import earnings, ledger
from db.sql import rowcount

STEAL_KIND = "steal"


@dataclass(frozen=True)
class BallView:
    id: int
    user_id: int
    kind: str
    activity_type: str
    energy_g: int
    remaining_g: int
    stolen_g: int
    stealable: bool
    status: str
    ripe_at: datetime
    expires_at: datetime


# The 07:00 rush runs these for every request: they are built once, as Core statements with
# bound parameters (no expression building, no ORM compile step, a memoized cache key).
_B = Ball.__table__.c
_COLUMNS = (_B.id, _B.user_id, _B.kind, _B.activity_type, _B.energy_g, _B.remaining_g,
            _B.stolen_g, _B.stealable, _B.status, _B.ripe_at, _B.expires_at)
# With its owner: on Citus the owner is the ball's shard (a lock needs one shard).
_BALL = select(*_COLUMNS).where(_B.user_id == bindparam("owner"), _B.id == bindparam("ball_id"))
_BALL_LOCKED = _BALL.with_for_update()
_TAKE = (update(Ball.__table__)
         .where(_B.id == bindparam("ball_id"), _B.user_id == bindparam("owner"),
                _B.status == OPEN, _B.stealable == true(), _B.ripe_at <= bindparam("now"),
                _B.expires_at > bindparam("now"), _B.remaining_g >= bindparam("amount"),
                2 * (_B.stolen_g + bindparam("amount")) <= _B.energy_g)
         .values(remaining_g=_B.remaining_g - bindparam("amount"),
                 stolen_g=_B.stolen_g + bindparam("amount")))


def ball_for_theft(session: Session, ball_id: int, owner_user_id: int,
                   lock: bool = False) -> BallView | None:
    """The ball's public fields if owner_user_id owns it; with lock=True the row stays locked
    (PostgreSQL) until the transaction ends, so that the amount computed from it is still
    right when taken."""
    row = session.execute(_BALL_LOCKED if lock else _BALL,
                          {"ball_id": ball_id, "owner": owner_user_id}).first()
    return BallView(*row) if row else None


# Before every ball's ripe_at: the first page starts after (_EARLIEST, 0).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def open_balls_with(session: Session, user_id: int, now: datetime, extra: Callable[[Any], Any],
                    params: dict | None = None, after: tuple[datetime, int] | None = None,
                    limit: int = 200) -> list[tuple[BallView, Any]]:
    """A user's open, unexpired balls (growing or ripe) by (ripe_at, id), starting after the
    (ripe_at, id) `after`, each with extra(balls.id) read in the same SELECT (e.g. "I stole
    from it"); `params` binds extra's parameters. One statement is built per `extra`, so pass
    a module-level builder, not a new closure per call."""
    after_at, after_id = after or (_EARLIEST, 0)
    rows = session.execute(_open_balls_with(extra),
                           {**repo.user_params(user_id, now), "now": now, "after_at": after_at,
                            "after_id": after_id, "limit": limit, **(params or {})})
    return [(BallView(*r[:-1]), r[-1]) for r in rows]


@cache
def _open_balls_with(extra: Callable[[Any], Any]) -> Select[*tuple[Any, ...]]:
    after_at = bindparam("after_at", type_=_B.ripe_at.type)
    return (select(*_COLUMNS, extra(_B.id))
            .where(repo.users_open_balls(), _B.expires_at > bindparam("now"),
                   or_(_B.ripe_at > after_at,
                       and_(_B.ripe_at == after_at, _B.id > bindparam("after_id"))))
            .order_by(_B.ripe_at, _B.id).limit(bindparam("limit")))


def take_from_ball(session: Session, ball_id: int, owner_user_id: int, amount_g: int,
                   to_account_id: int, cause_type: str, cause_id: object, now: datetime,
                   from_account: int | None = None, *, thief_id: int) -> int:
    """Move amount_g from an open, ripe, unexpired, stealable ball of owner_user_id to
    to_account_id (thief_id's available energy, where it counts as earned). Returns amount_g,
    or 0 when the ball no longer allows it (nothing moved). `from_account` is the system balls
    account when the caller already has its id."""
    if amount_g <= 0:
        return 0
    result = session.execute(_TAKE, {"ball_id": ball_id, "owner": owner_user_id,
                                     "now": now, "amount": amount_g})
    if rowcount(result) != 1:
        return 0
    balls = from_account if from_account is not None else ledger.account(session, ledger.BALLS)
    ledger.transfer(session, STEAL_KIND, cause_type, cause_id, balls, to_account_id,
                    amount_g, now)
    earnings.record_earned(session, thief_id, amount_g, now)
    return amount_g
