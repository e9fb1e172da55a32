"""Friends: a request from each side makes a friendship; either side may end it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from carbon.errors import InvalidInput, UserNotFound
from carbon.services import earnings, lookups, outbox, users
from carbon.services.users import UserRef, check_external_id, get_user
from db import UnitOfWork
from db.paging import Key, Page, after_id, after_pair, cut
from game.forest.domain import (
    LEADERBOARD_PERIODS,
    MAX_AWAITED_REQUESTS,
    period_bounds,
    rank,
)
from game.forest.errors import (
    CannotBefriendSelf,
    FriendshipNotFound,
    NotFriends,
    TooManyAwaitedRequests,
)
from game.forest.repository import friends as repo

MAX_LEADERBOARD_FRIENDS = 1000
_ME_AND_FRIENDS = repo.me_and_friends(MAX_LEADERBOARD_FRIENDS)
NOT_FRIENDS = "You are not friends with this user: both of you must send a friend request first."


@dataclass(frozen=True)
class FriendView:
    user_id: str
    since: datetime


def _other_id(session: Session, me_id: int, other_external: str) -> int:
    other = get_user(session, other_external)
    if other.id == me_id:
        raise CannotBefriendSelf("You cannot send a friend request to yourself.")
    return other.id


def _await(s: Session, me_id: int, other_external: str, now: datetime) -> dict:
    """Keep a request to a well-formed id nobody has used yet, for when they arrive."""
    if check_external_id(other_external) is not None:
        raise UserNotFound("No user with that id is known.")
    # Counted after the insert, so asking again for a kept id is never refused; the
    # refusal rolls the insert back.
    if repo.await_request(s, me_id, other_external, now) \
            and repo.awaited_count(s, me_id) > MAX_AWAITED_REQUESTS:
        raise TooManyAwaitedRequests(
            f"You already have {MAX_AWAITED_REQUESTS} friend requests waiting for people who "
            "have not joined yet; this one was not kept.")
    return {"user_id": other_external, "status": "requested", "since": None}


def deliver_awaited(s: Session, arrived: dict[str, UserRef], now: datetime) -> None:
    """Turn the requests kept for users just seen into ordinary requests, told in their feed
    at the time they were asked."""
    for asker, target, asked_at in repo.take_awaited(s, sorted(arrived)):
        other = arrived[target].id
        since, _ = repo.record_request(s, asker, other, asked_at)
        _tell(s, asker, other, since, asked_at, asked_at)


users.on_arrival(deliver_awaited)


def request_friend(uow: UnitOfWork, me_id: int, other_external: str, now: datetime) -> dict:
    """Ask `other` to be friends; when they have asked too, you are friends at once. A request
    to a user not seen yet is kept and delivered when they first arrive."""
    with uow:
        try:
            other_id = _other_id(uow.session, me_id, other_external)
        except UserNotFound:
            result = _await(uow.session, me_id, other_external, now)
            uow.commit()
            return result
        since, asked = repo.record_request(uow.session, me_id, other_id, now)
        _tell(uow.session, me_id, other_id, since, asked, now)
        uow.commit()
    return {"user_id": other_external, "status": "friends" if since else "requested",
            "since": since}


def _tell(s: Session, me_id: int, other_id: int, since: datetime | None, asked: datetime,
          now: datetime) -> None:
    """Only what this request changed: asking again tells nobody anything new."""
    if since == now:
        outbox.record(s, "friend_accepted", now, user_id=other_id, other_user_id=me_id)
    elif since is None and asked == now:
        outbox.record(s, "friend_request", now, user_id=other_id, other_user_id=me_id)


def require_friends(session: Session, me_id: int, other_id: int) -> None:
    if not repo.are_friends(session, me_id, other_id):
        raise NotFriends(NOT_FRIENDS)


def list_friends(uow: UnitOfWork, me_id: int, after: Key | None,
                 limit: int) -> Page[FriendView]:
    """My friends by their id (the key: the friend's id)."""
    with uow:
        rows, next_key = cut(repo.friends_of(uow.session, me_id, after_id(after), limit + 1),
                             limit, lambda row: (row[0],))
        names = lookups.external_ids(uow.session, [uid for uid, _ in rows])
    return Page([FriendView(names[uid], since) for uid, since in rows], next_key)


def incoming_requests(uow: UnitOfWork, me_id: int, after: Key | None,
                      limit: int) -> Page[dict]:
    """Requests I have not answered, oldest first (the key: asked at, then the asker's id)."""
    with uow:
        rows, next_key = cut(repo.incoming_requests(uow.session, me_id,
                                                    after_pair(after, datetime, int), limit + 1), limit,
                             lambda row: (row[1], row[0]))
        names = lookups.external_ids(uow.session, [uid for uid, _ in rows])
    return Page([{"user_id": names[uid], "asked_at": at} for uid, at in rows], next_key)


def unfriend(uow: UnitOfWork, me_id: int, other_external: str) -> None:
    """End a friendship, or withdraw or decline a request."""
    with uow:
        other_id = _other_id(uow.session, me_id, other_external)
        if not repo.delete_pair(uow.session, me_id, other_id):
            raise FriendshipNotFound(f"You have no friendship or request with '{other_external}'.")
        uow.commit()


def _window(period: str, now: datetime, tz: str) -> tuple[datetime | None, datetime | None]:
    if period not in LEADERBOARD_PERIODS:
        raise InvalidInput("period must be 'day', 'week' or 'total'.",
                           {"period": ["day, week or total"]})
    return period_bounds(period, now, tz) if period != "total" else (None, None)


def leaderboard(uow: UnitOfWork, me_id: int, tz: str, period: str, now: datetime) -> dict:
    """Me and my friends ranked by energy earned in my local day or week, or ever (total):
    grams that reached each one's available energy out of balls (collected, including watered
    balls, plus stolen). Reads each one's earned totals, not their ledger history."""
    start, end = _window(period, now, tz)
    with uow.reading():  # one statement: one snapshot
        items = _ranked(uow.session, me_id, start, end, now)
    return {"period": period, "from": start, "to": end, "items": items}


def _ranked(session: Session, me_id: int, start: datetime | None, end: datetime | None,
            now: datetime) -> list[dict]:
    rows = earnings.board(session, _ME_AND_FRIENDS, {"me": me_id}, start, end, now)
    names = {uid: ext for uid, ext, _ in rows}
    return [{"rank": r, "user_id": names[uid], "energy_g": g, "me": uid == me_id}
            for r, uid, g in rank({uid: g for uid, _, g in rows})]


def leaderboard_document(uow: UnitOfWork, me_id: int, tz: str, period: str,
                         now: datetime) -> dict:
    """The same board with its items as JSON text (`items_json`) for a response body: on
    PostgreSQL the statement that sums the grams also ranks them and writes the array, so no
    row reaches Python; elsewhere the items are encoded here."""
    start, end = _window(period, now, tz)
    with uow.reading():
        doc = earnings.ranked_json(uow.session, _ME_AND_FRIENDS, {"me": me_id}, start, end,
                                   now, me_id)
        if doc is None:
            doc = json.dumps(_ranked(uow.session, me_id, start, end, now))
    return {"period": period, "from": start, "to": end, "items_json": doc}
