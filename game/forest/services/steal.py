"""Stealing from a friend's ripe ball: 20% of its original energy (rounded up), once per
friend and ball, never more than half of the ball to thieves, never from a shielded friend."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from carbon.domain.account import ball_status
from carbon.errors import BallClosed, BallNotFound, BallNotRipe, UserNotFound
from carbon.services import ball_theft, ledger, lookups, outbox
from carbon.services.users import check_external_id
from db import UnitOfWork
from db.paging import Key, Page, after_pair, cut
from game.forest.domain import steal_amount
from game.forest.errors import (
    AlreadyStolen,
    BallNotStealable,
    CannotStealOwnBall,
    NotFriends,
    NothingLeftToSteal,
    Shielded,
)
from game.forest.repository import friends as friends_repo
from game.forest.repository import steals as repo
from game.forest.services.friends import NOT_FRIENDS

STEAL_CAUSE = "steal"


def _friend(s: Session, me_id: int, friend_external: str,
            own: Exception) -> tuple[int, datetime | None]:
    """(id, shield_until) of my friend `friend_external`, read with the friendship in one
    SELECT; `own` is raised when that user is me."""
    if check_external_id(friend_external) is not None:
        raise UserNotFound("No user with that id is known.")
    found = lookups.user_with(s, friend_external, friends_repo.is_friend_of_me, {"me": me_id})
    if found is None:
        raise UserNotFound(f"No user '{friend_external}' is known.")
    friend_id, until, are_friends = found
    if friend_id == me_id:
        raise own
    if not are_friends:
        raise NotFriends(NOT_FRIENDS)
    return friend_id, until


def friend_balls(uow: UnitOfWork, me_id: int, friend_external: str, now: datetime,
                 after: Key | None = None, limit: int = 200) -> dict:
    """A friend's open balls by (ripe_at, id), with what I could steal from each right now:
    {user_id, shield_until, balls: Page of dicts}."""
    with uow.reading():
        s = uow.session
        friend_id, until = _friend(s, me_id, friend_external, NotFriends(
            "You cannot look at yourself; your own balls are under /v1/me/balls."))
        shielded = until is not None and until > now
        rows = ball_theft.open_balls_with(s, friend_id, now, repo.stolen_by_thief,
                                          {"thief": me_id},
                                          after_pair(after, datetime, int), limit + 1)
    rows, next_key = cut(rows, limit, lambda row: (row[0].ripe_at, row[0].id))
    mine = {b.id for b, stolen in rows if stolen}
    items = []
    for b, _ in rows:
        status = ball_status(b.status, b.ripe_at, now)
        can = steal_amount(b.energy_g, b.stolen_g, b.remaining_g)
        if shielded or status != "ripe" or not b.stealable or b.id in mine:
            can = 0
        items.append({"id": b.id, "type": b.activity_type, "kind": b.kind,
                      "energy_g": b.remaining_g, "original_energy_g": b.energy_g,
                      "status": status, "ripe_at": b.ripe_at, "expires_at": b.expires_at,
                      "stealable": b.stealable, "stolen_by_me": b.id in mine,
                      "can_steal_g": can})
    return {"user_id": friend_external, "shield_until": until if shielded else None,
            "balls": Page(items, next_key)}


def _refuse_unless_ripe_and_stealable(ball: ball_theft.BallView, ball_id: int,
                                      now: datetime) -> None:
    if ball.status != "open" or ball.expires_at <= now:
        state = ball.status if ball.status != "open" else "expired"
        raise BallClosed(f"Ball {ball_id} is already {state}; there is nothing to steal.")
    if ball.ripe_at > now:
        raise BallNotRipe(f"Ball {ball_id} is not ripe yet; it ripens at "
                          f"{ball.ripe_at.isoformat()}.")
    if not ball.stealable:
        raise BallNotStealable(f"Ball {ball_id} came from watering and cannot be stolen.")


def _refuse_second_steal(s: Session, ball_id: int, me_id: int, owner: int,
                         amount: int) -> None:
    if amount > 0 or repo.has_stolen(s, ball_id, me_id, owner):
        raise AlreadyStolen(f"You already stole from ball {ball_id}: once per ball.")
    raise NothingLeftToSteal(f"Nothing left to steal in ball {ball_id}: thieves may take at "
                             "most half of a ball.")


def _victim(s: Session, me_id: int, friend_external: str, now: datetime) -> int:
    """The id of the friend I may steal from, or why I may not."""
    owner, until = _friend(s, me_id, friend_external, CannotStealOwnBall(
        "You cannot steal from your own ball; collect it instead."))
    if until is not None and until > now:  # users.shield_until, read with the user
        raise Shielded(f"'{friend_external}' is protected by a shield until "
                       f"{until.isoformat()}; nobody can steal from them before then.")
    return owner


def steal(uow: UnitOfWork, me_id: int, friend_external: str, ball_id: int,
          now: datetime) -> dict:
    """Take my share of a friend's ripe ball into my available energy."""
    with uow:
        s = uow.session
        owner = _victim(s, me_id, friend_external, now)
        # The row lock makes the amount computed below still true when it is taken.
        ball = ball_theft.ball_for_theft(s, ball_id, owner, lock=True)
        if ball is None or ball.user_id != owner:
            raise BallNotFound(f"'{friend_external}' has no ball {ball_id}.")
        _refuse_unless_ripe_and_stealable(ball, ball_id, now)
        amount = steal_amount(ball.energy_g, ball.stolen_g, ball.remaining_g)
        # The unique (ball, thief) key is the once-per-ball check: no read before it.
        steal_id = repo.add_steal(s, ball_id, me_id, owner, amount, now) if amount > 0 else None
        if steal_id is None:
            _refuse_second_steal(s, ball_id, me_id, owner, amount)
        balls, mine = ledger.accounts(s, [(ledger.BALLS, None), (ledger.AVAILABLE, me_id)])
        taken = ball_theft.take_from_ball(s, ball_id, owner, amount, mine, STEAL_CAUSE,
                                          steal_id, now, from_account=balls, thief_id=me_id)
        if taken != amount:
            raise NothingLeftToSteal(f"Ball {ball_id} changed while you stole; try again.")
        energy = ledger.posted_balance(s, mine)
        outbox.record(s, "energy_stolen", now, user_id=owner, other_user_id=me_id,
                      ball_id=ball_id, energy_g=amount)
        uow.commit()
    return {"ball_id": ball_id, "stolen_g": amount, "energy_g": energy}
