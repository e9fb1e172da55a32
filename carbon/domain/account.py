"""Pure rules of the carbon account: local days, ripening, valuation and caps (no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

RIPE_LOCAL_TIME = time(7, 0)  # a ball ripens at 07:00 local the morning after its day
BALL_LIFETIME = timedelta(hours=72)  # and expires 72 h after ripening
FUTURE_SKEW = timedelta(minutes=5)  # events more than 5 min in the future are refused
MAX_DAILY_STEPS = 100_000
MAX_USER_ID_LENGTH = 64
# Characters a path segment carries as they are (RFC 3986 unreserved, ':' and '@'), so every
# user id works in every /users/{id}-like route without escapes; '.' and '..' alone are dot
# segments that clients rewrite, so they are not ids.
USER_ID_PATTERN = re.compile(rf"[A-Za-z0-9_.:@-]{{1,{MAX_USER_ID_LENGTH}}}")
USER_ID_RULE = (f"1 to {MAX_USER_ID_LENGTH} characters of A-Z a-z 0-9 _ . : @ - "
                "(and not '.' or '..')")
# Names ZoneInfo opens that are not zones a person lives in: the host's own setting and tzdata's
# placeholder. (right/... and posix/... variants are already left out of available_timezones.)
NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})

# The calendar a client may name (a step count's date, a settlement, a methodology version, a
# planting): nothing in Canopy predates 2000 and nothing is planned more than 5 years ahead.
# Beyond it, date arithmetic (a day later, a zone's midnight) would leave Python's calendar, and
# a version dated 9999 would block every later one.
EARLIEST_DATE = date(2000, 1, 1)
MAX_YEARS_AHEAD = 5


def latest_date(today: date) -> date:
    """The last date a client may name, given today's date (end of the 5th year ahead)."""
    return date(today.year + MAX_YEARS_AHEAD, 12, 31)


def date_in_calendar(day: date, today: date) -> bool:
    return EARLIEST_DATE <= day <= latest_date(today)


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError for anything else."""
    if not name or len(name) > 64:
        raise ValueError(f"'{name}' is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{name}' is not an IANA time zone") from exc


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - NOT_ZONES)


def is_valid_zone(name: object) -> bool:
    """An IANA zone name (canonical or a tzdata link such as 'Asia/Calcutta'); not 'right/UTC',
    'posix/...', 'localtime' or 'Factory', which ZoneInfo would open too."""
    return isinstance(name, str) and name in _zone_names()


def opens_as_zone(name: str) -> bool:
    """Whether ZoneInfo can compute with `name`: users created before zones were checked
    against the list above may hold 'posix/...' and must still be settled."""
    try:
        zone(name)
    except ValueError:
        return False
    return True


def is_valid_user_id(value: object) -> TypeGuard[str]:
    return (isinstance(value, str) and USER_ID_PATTERN.fullmatch(value) is not None
            and value not in (".", ".."))


def local_date_of(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone(tz)).date()


def local_midnight_after(day: date, tz: str) -> datetime:
    """The instant (aware) at which `day` ends in zone `tz`."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz))


def day_has_ended(day: date, tz: str, now: datetime, grace: timedelta = timedelta(0)) -> bool:
    return now >= local_midnight_after(day, tz) + grace


def ripe_at(day: date, tz: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), RIPE_LOCAL_TIME, tzinfo=zone(tz))


def expires_at(day: date, tz: str) -> datetime:
    # 72 real hours: aware arithmetic in a ZoneInfo zone is wall-clock time (71 h over a DST jump).
    return ripe_at(day, tz).astimezone(UTC) + BALL_LIFETIME


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Factor:
    """A rational factor so that 296 g per 18,000 steps needs no float: g = floor(q * num / den)."""

    num: int
    den: int

    def value(self, quantity: int) -> int:
        return quantity * self.num // self.den


def capped(raw_g: int, cap_g: int | None, already_g: int = 0) -> int:
    """Energy that counts under a cap, given what already counted in the same period."""
    if cap_g is None:
        return raw_g
    return max(0, min(raw_g, cap_g - already_g))


def ball_status(status: str, ripe: datetime, now: datetime) -> str:
    """growing | ripe | collected | expired, as a client sees it at `now`."""
    if status != "open":
        return status
    return "ripe" if now >= ripe else "growing"
