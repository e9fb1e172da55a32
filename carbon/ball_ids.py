"""Ball ids: the local date in the high bits, so a month of balls is one id range.

    id = day << 38 | 0 << 37 | user_id << 6 | rank    a settlement ball (rank 0..63: the
                                                      ball's activity type among the user's
                                                      balls of that night, in type order)
    id = day << 38 | 1 << 37 | n                      any other ball (watering; n from a
                                                      sequence, or max + 1 on SQLite)

day = days since 2000-01-01 (15 bits: until 2089), so every id stays below 2**53 and is an
exact integer in JSON. Ids below 2**38 are older than this scheme (a plain sequence).

Why the user is in a settlement ball's id: the id is a function of (date, user, rank), so the
primary key alone refuses a second settlement of a user's night (its rank-0 ball would collide)
and the separate unique (user, date, type) key is gone; a settlement batch computes its ids
from its rows (no sequence call per row: the INSERT ... SELECT is deterministic); a user's
balls of one night are one short range of the primary key, which is how a user's balls are
listed; and a batch of users is one range, which is how its balls expire.
"""

from __future__ import annotations

from datetime import date, timedelta

EPOCH = date(2000, 1, 1)
DAY_SHIFT = 38
LOOSE_BIT = 1 << 37
USER_SHIFT = 6
MAX_RANK = (1 << USER_SHIFT) - 1  # at most 64 activity types per user and night
MAX_USER_ID = (1 << 31) - 1
LEGACY_END = 1 << DAY_SHIFT  # ids below: balls made before this scheme
LOOSE_SPAN = LOOSE_BIT  # loose ids of one day: day_base + LOOSE_BIT + 0 .. LOOSE_SPAN - 1


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_base(d: date) -> int:
    """The first id of local date d."""
    return day_number(d) << DAY_SHIFT


def settlement_id(d: date, user_id: int, rank: int) -> int:
    return day_base(d) | user_id << USER_SHIFT | rank


def user_range(d: date, first_user: int, last_user: int) -> tuple[int, int]:
    """The (lowest, highest) possible id of the settlement balls of users first..last on d."""
    return settlement_id(d, first_user, 0), settlement_id(d, last_user, MAX_RANK)


def loose_range(d: date) -> tuple[int, int]:
    """The ids of d's other balls (watering): (lowest, highest)."""
    low = day_base(d) | LOOSE_BIT
    return low, low + LOOSE_SPAN - 1


def month_range(first_day: date) -> tuple[int, int]:
    """[from, to) of the month starting first_day: one partition's bounds."""
    next_month = (first_day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return day_base(first_day.replace(day=1)), day_base(next_month)


def local_date_of_id(ball_id: int) -> date | None:
    """The local date an id encodes; None for an id older than the scheme."""
    if ball_id < LEGACY_END:
        return None
    return EPOCH + timedelta(days=ball_id >> DAY_SHIFT)
