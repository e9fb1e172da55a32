"""Energy balls: list, collect, expire, and issuing one (watering) for the forest.

Every state change is a conditional UPDATE (status 'open', in the ripe window), so that an
owner collecting, thieves stealing and the expiry job racing on one ball never move more
energy than the ball holds; the ledger moves the same grams in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from carbon.domain import account as domain
from carbon.errors import BallClosed, BallNotFound, BallNotRipe
from carbon.models import OPEN, Ball
from carbon.services import earnings, ledger
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut

BALL_CAUSE = "ball"  # collect: cause ("ball", ball id)
EXPIRY_CAUSE = "expiry"  # expiry: cause ("expiry", "first_id..last_id") per batch
MAX_ID = 2**63 - 1  # a path id beyond BIGINT is simply not a ball


@dataclass(frozen=True)
class BallView:
    id: int
    activity_type: str
    kind: str
    local_date: date
    energy_g: int  # what is left in it
    status: str  # growing | ripe
    ripe_at: datetime
    expires_at: datetime
    original_g: int = 0  # what it held when issued
    stolen_g: int = 0  # of original_g, what thieves took


# The rush's hottest read, built once: Core columns and bound parameters.
_B = Ball.__table__.c
_LIST = (select(_B.id, _B.activity_type, _B.kind, _B.local_date, _B.remaining_g, _B.status,
                _B.ripe_at, _B.expires_at, _B.energy_g, _B.stolen_g)
         .where(_B.user_id == bindparam("user_id"), _B.status == OPEN,
                _B.expires_at > bindparam("now"), _B.id > bindparam("after_id"))
         .order_by(_B.id).limit(bindparam("limit")))


def ball_page(uow: UnitOfWork, user_id: int, now: datetime, after: Key | None,
              limit: int) -> Page[BallView]:
    """The user's open, not yet expired balls, by id, starting after the key `after`."""
    with uow.reading():
        rows = uow.session.execute(_LIST, {"user_id": user_id, "now": now, "limit": limit + 1,
                                           "after_id": after_id(after)}).all()
    rows, next_key = cut(rows, limit, lambda row: (row[0],))
    return Page([BallView(bid, kind_of, kind, day, left, domain.ball_status(status, ripe, now),
                          ripe, expires, original, stolen)
                 for bid, kind_of, kind, day, left, status, ripe, expires, original, stolen
                 in rows], next_key)


def list_balls(uow: UnitOfWork, user_id: int, now: datetime, limit: int = 500) -> list[BallView]:
    return ball_page(uow, user_id, now, None, limit).items


def collect_ball(uow: UnitOfWork, user_id: int, ball_id: int, now: datetime) -> tuple[int, int]:
    """Move a ripe ball's remaining energy to the owner: (collected_g, available energy_g after)."""
    if not 0 < ball_id <= MAX_ID:
        raise BallNotFound(f"You have no ball {ball_id}.")
    with uow:
        s = uow.session
        collected = _collect(s, user_id, [Ball.id == ball_id], now)
        if not collected:
            _refuse(s, user_id, ball_id, now)
        uow.commit()
        return collected[0][1], ledger.available_balance(s, user_id)


def collect_all(uow: UnitOfWork, user_id: int, now: datetime) -> tuple[int, int, int]:
    """Collect every ripe ball of the user: (balls collected, collected_g, energy_g after)."""
    with uow:
        s = uow.session
        collected = _collect(s, user_id, [], now)
        uow.commit()
        return (len(collected), sum(g for _, g in collected),
                ledger.available_balance(s, user_id))


def _collect(s: Session, user_id: int, where: list, now: datetime) -> list[tuple[int, int]]:
    """Close the matching ripe open balls and credit the owner; [(ball_id, collected_g)]."""
    rows = s.execute(
        update(Ball)
        .where(Ball.user_id == user_id, Ball.status == OPEN, Ball.ripe_at <= now,
               Ball.expires_at > now, *where)
        .values(status="collected", collected_g=Ball.collected_g + Ball.remaining_g,
                remaining_g=0)
        .returning(Ball.id, Ball.collected_g)
        .execution_options(synchronize_session=False)).all()
    if not rows:
        return []
    balls = ledger.account(s, ledger.BALLS)
    available = ledger.available_account(s, user_id)
    for ball_id, grams in sorted(rows):
        txn = ledger.transfer(s, "collect", BALL_CAUSE, ball_id, balls, available,
                              grams, now)
        s.execute(update(Ball).where(Ball.id == ball_id).values(close_txn_id=txn)
                  .execution_options(synchronize_session=False))
    earnings.record_earned(s, user_id, sum(grams for _, grams in rows), now)
    return sorted((ball_id, grams) for ball_id, grams in rows)


def _refuse(s: Session, user_id: int, ball_id: int, now: datetime) -> None:
    """Say why the conditional collect matched nothing."""
    ball = s.get(Ball, ball_id)
    if ball is None or ball.user_id != user_id:
        raise BallNotFound(f"You have no ball {ball_id}.")
    if ball.status != "open" or ball.expires_at <= now:
        state = ball.status if ball.status != "open" else "expired"
        raise BallClosed(f"Ball {ball_id} is already {state}.")
    raise BallNotRipe(f"Ball {ball_id} is still growing; it ripens at "
                      f"{ball.ripe_at.isoformat()}.")


def expire_balls(uow: UnitOfWork, now: datetime, limit: int = 10000) -> tuple[int, int]:
    """Expire open balls whose expires_at <= now, `limit` per transaction: (balls, energy_g).

    What expired stays in remaining_g and moves balls -> expired in the ledger, one transaction
    per batch. Safe beside another expirer or a collector: the UPDATE re-checks status."""
    balls = energy = 0
    while True:
        n, grams = _expire_batch(uow, now, limit)
        balls, energy = balls + n, energy + grams
        if n < limit:
            return balls, energy


def _expire_batch(uow: UnitOfWork, now: datetime, limit: int) -> tuple[int, int]:
    with uow:
        s = uow.session
        due = (select(Ball.id).where(Ball.status == OPEN, Ball.expires_at <= now)
               .order_by(Ball.expires_at).limit(limit).scalar_subquery())
        rows = s.execute(
            update(Ball).where(Ball.id.in_(due), Ball.status == OPEN, Ball.expires_at <= now)
            .values(status="expired").returning(Ball.id, Ball.remaining_g)
            .execution_options(synchronize_session=False)).all()
        if not rows:
            return 0, 0
        ids = [r[0] for r in rows]
        grams = sum(r[1] for r in rows)
        txn = ledger.transfer(s, "expire", EXPIRY_CAUSE, f"{min(ids)}..{max(ids)}",
                              ledger.account(s, ledger.BALLS), ledger.account(s, ledger.EXPIRED),
                              grams, now)
        s.execute(update(Ball).where(Ball.id.in_(ids)).values(close_txn_id=txn)
                  .execution_options(synchronize_session=False))
        uow.commit()
        return len(rows), grams


def issue_ball(session: Session, user_id: int, kind: str, activity_type: str,
               local_date: date, energy_g: int, ripe_at: datetime, expires_at: datetime,
               stealable: bool, from_account: int, cause_type: str, cause_id: object,
               now: datetime) -> int:
    """Create an open ball holding energy_g taken from `from_account` (e.g. a friend's
    available energy for watering; InsufficientEnergy if short). Does not commit.

    co2e_g is 0: the CO2e was counted where the energy was earned, not where it lands."""
    txn = ledger.transfer(session, "issue", cause_type, cause_id, from_account,
                          ledger.account(session, ledger.BALLS), energy_g, now)
    return session.execute(insert(Ball).values(
        user_id=user_id, kind=kind, activity_type=activity_type, local_date=local_date,
        co2e_g=0, energy_g=energy_g, remaining_g=energy_g, stolen_g=0, collected_g=0,
        stealable=stealable, status="open", ripe_at=ripe_at, expires_at=expires_at,
        settlement_batch_id=None, issue_txn_id=txn, close_txn_id=None, created_at=now,
    ).returning(Ball.id)).scalar_one()


def open_energy_g(session: Session) -> int:
    """SUM(remaining_g) of open balls: what the ledger's balls account must hold."""
    return session.execute(select(func.coalesce(func.sum(Ball.remaining_g), 0))
                           .where(Ball.status == "open")).scalar_one()
