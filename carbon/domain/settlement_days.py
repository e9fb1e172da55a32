"""Which local dates of a time zone are due for settlement at an instant (pure, no I/O).

A zone's day D is due once it ended at least `grace` before `now` (the grace window lets late
events of D arrive), and D is not settled yet. After downtime every missed night is due, oldest
first; a zone that was never settled (fresh database, first user of a new zone) starts with its
most recent ended day only: there is nothing older to catch up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from carbon.domain.account import day_has_ended, local_date_of

ONE_DAY = timedelta(days=1)


def last_ended_day(tz: str, now: datetime, grace: timedelta = timedelta(0)) -> date:
    """The latest local date of zone `tz` whose day ended at least `grace` before `now`.

    Raises ValueError for a name that is not an IANA zone."""
    day = local_date_of(now - grace, tz) - ONE_DAY
    # The estimate above is exact except where a zone skips or repeats its midnight (DST changes
    # at 00:00): settle on day_has_ended, the very definition settlement itself checks.
    while day_has_ended(day + ONE_DAY, tz, now, grace):
        day += ONE_DAY
    while not day_has_ended(day, tz, now, grace):
        day -= ONE_DAY
    return day


def days_due(tz: str, now: datetime, grace: timedelta, last_completed: date | None,
             unfinished: Iterable[date] = ()) -> list[date]:
    """Local dates of zone `tz` to settle at `now`, oldest first.

    `last_completed`: the zone's latest completed settlement date (None if it never completed
    one); `unfinished`: dates whose settlement started but did not complete (a crash), resumed
    as soon as their day is due."""
    last = last_ended_day(tz, now, grace)
    first = last if last_completed is None else last_completed + ONE_DAY
    due = {first + n * ONE_DAY for n in range((last - first).days + 1)}
    due.update(d for d in unfinished if d <= last)
    return sorted(due)
