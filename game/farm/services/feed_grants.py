"""Feed grants as the app reads them: per local day and source, what was granted and what a
full store lost (activity feed arrives after the night's settlement, without a message)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from db import UnitOfWork
from db.paging import Key, Page, after_pair, cut
from game.farm import repository as repo
from game.farm.services.quiz import QUIZ_SOURCE


@dataclass(frozen=True)
class FeedGrantView:
    date: date  # the user's local date the feed was earned for
    source: str  # the activity type (e.g. offline_payment) or "quiz"
    kind: str  # activity | quiz
    units: int
    feed_g: int  # granted
    stored_g: int  # of feed_g, what went into the store
    lost_g: int  # of feed_g, what the full store (1,800 g) could not hold
    granted_at: datetime


def feed_grants(uow: UnitOfWork, user_id: int, after: Key | None,
                limit: int) -> Page[FeedGrantView]:
    """My feed grants, newest day first (then newest grant), after the (local date, id) key."""
    with uow.reading():
        rows, next_key = cut(repo.feed_grants_page(uow.session, user_id,
                                                     after_pair(after, date, int), limit + 1),
                             limit, lambda g: (g.local_date, g.id))
        return Page([FeedGrantView(g.local_date, g.source,
                                   "quiz" if g.source == QUIZ_SOURCE else "activity", g.units,
                                   g.feed_g, g.feed_g - g.lost_g, g.lost_g, g.created_at)
                     for g in rows], next_key)
