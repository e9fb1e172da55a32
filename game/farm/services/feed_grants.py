"""Feed grants as the app reads them: per local day and source, what was granted and what a
full store lost (activity feed arrives after the night's settlement, without a message)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from carbon.errors import InvalidInput
from db import UnitOfWork
from game.farm import repository as repo
from game.farm.services.quiz import QUIZ_SOURCE

# A page's cursor is its last grant's key, "<local date>.<id>" (newest first).
_CURSOR = re.compile(r"(\d{4}-\d{2}-\d{2})\.(\d{1,18})")
BAD_CURSOR = "cursor must be a next_cursor value from a previous page."


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


def parse_cursor(raw: str | None) -> tuple[date, int] | None:
    if raw is None:
        return None
    found = _CURSOR.fullmatch(raw) if raw.isascii() else None
    try:
        return (date.fromisoformat(found.group(1)), int(found.group(2))) if found else _bad()
    except ValueError:
        return _bad()


def _bad():
    raise InvalidInput(BAD_CURSOR, {"cursor": ["not a cursor"]})


def feed_grants(uow: UnitOfWork, user_id: int, cursor: str | None,
                limit: int) -> tuple[list[FeedGrantView], str | None]:
    """My feed grants, newest day first, and the cursor of the next page (None at the end)."""
    before = parse_cursor(cursor)
    with uow.reading():
        rows = repo.feed_grants_page(uow.session, user_id, before, limit + 1)
        page = [FeedGrantView(g.local_date, g.source,
                              "quiz" if g.source == QUIZ_SOURCE else "activity", g.units,
                              g.feed_g, g.feed_g - g.lost_g, g.lost_g, g.created_at)
                for g in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit else None  # read while the session lives
        next_cursor = f"{last.local_date.isoformat()}.{last.id}" if last else None
    return page, next_cursor
