"""Steals and waterings: their unique keys are the game's limits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Exists, bindparam, exists, select, update
from sqlalchemy.orm import Session

from db.sql import insert_ignore
from game.forest.domain import WATERINGS_PER_FRIEND_PER_DAY
from game.forest.models import Steal, Watering


def add_steal(session: Session, ball_id: int, thief: int, owner: int, amount_g: int,
              now: datetime) -> int | None:
    """The new steal's id, or None when this thief already stole from this ball."""
    row = insert_ignore(session, Steal.__table__, {
        "ball_id": ball_id, "thief_user_id": thief, "owner_user_id": owner,
        "amount_g": amount_g, "created_at": now,
    }, None, returning=(Steal.__table__.c.id,)).first()  # the (ball, thief) key: its only one
    return row[0] if row else None


def has_stolen(session: Session, ball_id: int, thief: int, owner: int) -> bool:
    return session.scalar(select(Steal.id).where(
        Steal.owner_user_id == owner, Steal.ball_id == ball_id,
        Steal.thief_user_id == thief)) is not None


def stolen_by_thief(ball_id: ColumnElement[int]) -> Exists:
    """A column builder for a ball listing: whether the user bound as :thief stole from the
    ball `ball_id` (the (ball, thief) unique key), so the listing and the check are one
    SELECT."""
    steals = Steal.__table__.c
    # The owner (bound as :owner_id by the listing) keeps the subquery on the ball's shard.
    return exists().where(steals.owner_user_id == bindparam("owner_id"),
                          steals.ball_id == ball_id, steals.thief_user_id == bindparam("thief"))


def add_watering(session: Session, giver: int, receiver: int, day: date, energy_g: int,
                 now: datetime) -> tuple[int, int] | None:
    """(watering id, its number today 1..3), or None when today's waterings are used up.
    Each number is a unique key: two waterings racing for one number cannot both have it."""
    for seq in range(1, WATERINGS_PER_FRIEND_PER_DAY + 1):
        row = insert_ignore(session, Watering.__table__, {
            "giver_user_id": giver, "receiver_user_id": receiver, "local_date": day,
            "seq": seq, "energy_g": energy_g, "ball_id": None, "created_at": now,
        }, ["giver_user_id", "receiver_user_id", "local_date", "seq"],
            returning=(Watering.__table__.c.id,)).first()
        if row:
            return row[0], seq
    return None


def set_watering_ball(session: Session, watering_id: int, ball_id: int) -> None:
    session.execute(update(Watering).where(Watering.id == watering_id).values(ball_id=ball_id)
                    .execution_options(synchronize_session=False))


def thefts_of(session: Session, owner: int, ball_ids: list[int]) -> list[tuple]:
    """(ball id, thief id, grams, at) of the steals from these balls of `owner`, oldest first:
    a few per ball at most (each friend once, thieves together at most half)."""
    if not ball_ids:
        return []
    return [tuple(r) for r in session.execute(
        select(Steal.ball_id, Steal.thief_user_id, Steal.amount_g, Steal.created_at)
        .where(Steal.ball_id.in_(ball_ids), Steal.owner_user_id == owner)
        .order_by(Steal.ball_id, Steal.created_at, Steal.id))]
