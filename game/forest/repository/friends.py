"""Friendship pairs (one row per unordered pair, lowest user id first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Exists,
    Subquery,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from db.base import UTCDateTime
from db.sql import insert_ignore, rowcount
from game.forest.domain import friend_pair
from game.forest.models import AwaitedFriendRequest, Friendship


def _pair_is(a: int, b: int) -> ColumnElement[bool]:
    low, high = friend_pair(a, b)
    return and_(Friendship.low_user_id == low, Friendship.high_user_id == high)


def record_request(session: Session, me: int, other: int,
                   now: datetime) -> tuple[datetime | None, datetime]:
    """Record that `me` asked `other`; returns (when they became friends (None while only one
    side has asked), when `me` first asked). The UPDATE locks the pair's row, so two people asking each other at the
    same instant both see the second request."""
    low, high = friend_pair(me, other)
    insert_ignore(session, Friendship.__table__, {"low_user_id": low, "high_user_id": high},
                  ["low_user_id", "high_user_id"])
    at = literal(now, UTCDateTime())
    mine, theirs = ((Friendship.low_asked_at, Friendship.high_asked_at) if me == low
                    else (Friendship.high_asked_at, Friendship.low_asked_at))
    stmt = (update(Friendship).where(_pair_is(me, other))
            .values({mine: func.coalesce(mine, at),
                     Friendship.since: case((theirs.is_not(None),
                                             func.coalesce(Friendship.since, at)),
                                            else_=Friendship.since)})
            .returning(Friendship.since, mine).execution_options(synchronize_session=False))
    since, asked = session.execute(stmt).one()
    if asked is None:  # the UPDATE set it to COALESCE(it, now)
        raise RuntimeError("a friend request was recorded without its instant")
    return since, asked


def are_friends(session: Session, a: int, b: int) -> bool:
    return session.scalar(
        select(Friendship.id).where(_pair_is(a, b), Friendship.since.is_not(None))) is not None


def is_friend_of_me(user_id: ColumnElement[int]) -> Exists:
    """A column builder for a user lookup: whether the user whose id is `user_id` is a friend
    of the user bound as :me (the same pair row are_friends reads), so the lookup and the
    check are one SELECT."""
    me = bindparam("me", type_=BigInteger)
    f = Friendship.__table__.c
    low = case((user_id < me, user_id), else_=me)
    high = case((user_id < me, me), else_=user_id)
    return exists().where(f.low_user_id == low, f.high_user_id == high, f.since.is_not(None))


def friends_of(session: Session, user_id: int, after_id: int = 0,
               limit: int | None = None) -> list[tuple[int, datetime]]:
    """(friend user id, since), by friend id, starting after `after_id`."""
    other = case((Friendship.low_user_id == user_id, Friendship.high_user_id),
                 else_=Friendship.low_user_id)
    stmt = (select(other, Friendship.since)
            .where(or_(Friendship.low_user_id == user_id, Friendship.high_user_id == user_id),
                   Friendship.since.is_not(None), other > after_id)
            .order_by(other))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(uid, since) for uid, since in session.execute(stmt)]


def me_and_friends(limit: int) -> Subquery:
    """A SELECT of the ids of the user bound as :me and of their friends (the `limit` lowest
    ids), for a ranking to join; one branch per side of the pair so each uses its index."""
    me = bindparam("me", type_=BigInteger)
    f = Friendship.__table__.c
    theirs = union_all(
        select(f.high_user_id.label("id")).where(f.low_user_id == me, f.since.is_not(None)),
        select(f.low_user_id.label("id")).where(f.high_user_id == me, f.since.is_not(None)),
    ).subquery()
    friends = select(theirs.c.id).order_by(theirs.c.id).limit(limit).subquery()
    return union_all(select(me.label("id")), select(friends.c.id)).subquery("members")


def incoming_requests(session: Session, user_id: int, after: tuple[datetime, int] | None = None,
                      limit: int | None = None) -> list[tuple[int, datetime]]:
    """(requester id, asked at) of requests `user_id` has not answered, oldest first (then by
    requester id), starting after the (asked at, requester id) `after`."""
    as_low = select(Friendship.high_user_id.label("uid"), Friendship.high_asked_at.label("at"))\
        .where(Friendship.low_user_id == user_id, Friendship.since.is_(None),
               Friendship.high_asked_at.is_not(None))
    as_high = select(Friendship.low_user_id.label("uid"), Friendship.low_asked_at.label("at"))\
        .where(Friendship.high_user_id == user_id, Friendship.since.is_(None),
               Friendship.low_asked_at.is_not(None))
    asked = union_all(as_low, as_high).subquery()
    stmt = select(asked.c.uid, asked.c.at).order_by(asked.c.at, asked.c.uid)
    if after is not None:
        at, uid = after
        stmt = stmt.where(or_(asked.c.at > at, and_(asked.c.at == at, asked.c.uid > uid)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(uid, at) for uid, at in session.execute(stmt)]


def delete_pair(session: Session, a: int, b: int) -> bool:
    result = session.execute(delete(Friendship).where(_pair_is(a, b))
                             .execution_options(synchronize_session=False))
    return rowcount(result) == 1


def await_request(session: Session, asker: int, target_external_id: str,
                  now: datetime) -> bool:
    """Keep a request to a user id not seen yet; False when it was already kept."""
    return insert_ignore(session, AwaitedFriendRequest.__table__,
                         {"asker_user_id": asker, "target_external_id": target_external_id,
                          "asked_at": now}, ["asker_user_id", "target_external_id"],
                         returning=(AwaitedFriendRequest.id,)).first() is not None


def awaited_count(session: Session, asker: int) -> int:
    return session.execute(select(func.count()).select_from(AwaitedFriendRequest)
                           .where(AwaitedFriendRequest.asker_user_id == asker)).scalar_one()


def take_awaited(session: Session, target_external_ids: list[str]) -> list[tuple]:
    """Delete and return (asker id, target external id, asked at) of the requests kept for
    these ids. The DELETE locks the rows: two arrivals of one user deliver them once."""
    stmt = (delete(AwaitedFriendRequest)
            .where(AwaitedFriendRequest.target_external_id.in_(target_external_ids))
            .returning(AwaitedFriendRequest.asker_user_id,
                       AwaitedFriendRequest.target_external_id, AwaitedFriendRequest.asked_at))
    return [tuple(r) for r in session.execute(stmt.execution_options(
        synchronize_session=False))]
