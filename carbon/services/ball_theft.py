"""The ball side of stealing: read a ball's public fields, and take grams out of a ripe ball
into a thief's available energy. The rules (who, how much) belong to the game; this module
only guarantees, in one conditional UPDATE, that a ball never loses more than it holds nor
more than half of its original energy to thieves. Session-level: never commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from carbon.models import Ball
from carbon.services import ledger

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


_COLUMNS = (Ball.id, Ball.user_id, Ball.kind, Ball.activity_type, Ball.energy_g,
            Ball.remaining_g, Ball.stolen_g, Ball.stealable, Ball.status, Ball.ripe_at,
            Ball.expires_at)


def ball_for_theft(session: Session, ball_id: int, lock: bool = False) -> BallView | None:
    """The ball's public fields; with lock=True the row stays locked (PostgreSQL) until the
    transaction ends, so that the amount computed from it is still right when taken."""
    stmt = select(*_COLUMNS).where(Ball.id == ball_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).first()
    return BallView(*row) if row else None


def open_balls_with(session: Session, user_id: int, extra: Callable[[Any], Any],
                    limit: int = 200) -> list[tuple[BallView, Any]]:
    """A user's open balls (growing or ripe), oldest first, each with extra(balls.id) read in
    the same SELECT (e.g. "I stole from it")."""
    rows = session.execute(
        select(*_COLUMNS, extra(Ball.id)).where(Ball.user_id == user_id, Ball.status == "open")
        .order_by(Ball.ripe_at, Ball.id).limit(limit))
    return [(BallView(*r[:-1]), r[-1]) for r in rows]


def take_from_ball(session: Session, ball_id: int, owner_user_id: int, amount_g: int,
                   to_account_id: int, cause_type: str, cause_id: object, now: datetime,
                   from_account: int | None = None) -> int:
    """Move amount_g from an open, ripe, unexpired, stealable ball of owner_user_id to
    to_account_id. Returns amount_g, or 0 when the ball no longer allows it (nothing moved).
    `from_account` is the system balls account when the caller already has its id."""
    if amount_g <= 0:
        return 0
    result = session.execute(
        update(Ball)
        .where(Ball.id == ball_id, Ball.user_id == owner_user_id, Ball.status == "open",
               Ball.stealable.is_(True), Ball.ripe_at <= now, Ball.expires_at > now,
               Ball.remaining_g >= amount_g, 2 * (Ball.stolen_g + amount_g) <= Ball.energy_g)
        .values(remaining_g=Ball.remaining_g - amount_g, stolen_g=Ball.stolen_g + amount_g)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return 0
    balls = from_account if from_account is not None else ledger.account(session, ledger.BALLS)
    ledger.transfer(session, STEAL_KIND, cause_type, cause_id, balls, to_account_id,
                    amount_g, now)
    return amount_g
