"""Feed earned: by activity, nightly after each (local date, zone) settlement, and by the quiz.

Feed is grams of chicken feed, not energy: it never touches the energy ledger. Each grant is one
row unique per (user, local date, source), so granting again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from carbon.services import outbox
from carbon.services.activity_counts import units_by_user
from db import UnitOfWork
from game.farm import domain
from game.farm import repository as repo
from game.farm.models import FeedGrant

BATCH_USERS = 5000


@dataclass(frozen=True)
class Credited:
    feed_g: int
    lost_g: int  # of feed_g, what overflowed the full store
    feed_store_g: int  # the store after the grant


def credit_feed(session: Session, day: date, source: str, grants: dict[int, tuple[int, int]],
                now: datetime) -> dict[int, Credited]:
    """Grant {user_id: (units, feed_g)} for (day, source) to the users not granted it yet; the
    store keeps at most 1,800 g and the overflow is recorded. Returns the new grants. The farm
    rows are locked (in user id order) so that a grant and a feeding never interleave."""
    wanted = {uid: g for uid, g in grants.items() if g[1] > 0}
    if not wanted:
        return {}
    repo.ensure_farms(session, wanted, now)
    farms = repo.lock_farms(session, wanted, repo.LOCK_UPDATE)
    done = repo.granted_sources(session, sorted(wanted), day, source)
    credited, rows = {}, []
    for uid in sorted(set(wanted) - done):
        units, feed_g = wanted[uid]
        farm = farms[uid]
        farm.feed_store_g, lost = domain.store_feed(farm.feed_store_g, feed_g)
        farm.feed_earned_g += feed_g
        farm.feed_lost_g += lost
        credited[uid] = Credited(feed_g, lost, farm.feed_store_g)
        rows.append({"user_id": uid, "local_date": day, "source": source, "units": units,
                     "feed_g": feed_g, "lost_g": lost, "created_at": now})
    if rows:
        session.execute(insert(FeedGrant), rows)
        _tell(session, day, source, credited, now)
    return credited


def _tell(session: Session, day: date, source: str, credited: dict[int, Credited],
          now: datetime) -> None:
    """feed_granted, or feed_lost when a full store could not hold all of it."""
    for lost in (False, True):
        outbox.record_many(session, "feed_lost" if lost else "feed_granted", now, [
            (uid, {"feed_g": c.feed_g, "lost_g": c.lost_g, "source": source,
                   "local_date": day.isoformat()})
            for uid, c in credited.items() if (c.lost_g > 0) == lost])


def grant_activity_feed(uow: UnitOfWork, local_date: date, timezone: str, now: datetime) -> int:
    """After-settlement hook: feed for the day's activity of every user of `timezone`
    (default: 180 g per offline payment, at most 4 a day), one transaction per batch of users.
    Idempotent; returns the grams granted now."""
    total = 0
    for source, rule in domain.FEED_RULES.items():
        after = 0
        while True:
            with uow:
                units = units_by_user(uow.session, local_date, timezone, source, after,
                                      BATCH_USERS)
                if not units:
                    break
                grants = {uid: (n, rule.feed_for(n)) for uid, n in units}
                credited = credit_feed(uow.session, local_date, source, grants, now)
                uow.commit()
            total += sum(c.feed_g for c in credited.values())
            after = units[-1][0]
    return total
