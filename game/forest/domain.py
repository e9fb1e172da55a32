"""Pure rules of the forest: stealing, watering, friendship pairs, evidence, certificates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STEAL_SHARE_PERCENT = 20  # one steal takes 20% of the ball's original energy, rounded up
STEAL_CAP_PERCENT = 50  # thieves together never take more than 50% of the original
WATER_AMOUNTS_G = (10, 18, 33, 66)
WATERINGS_PER_FRIEND_PER_DAY = 3
SHIELD_HOURS_DEFAULT = 24
MAX_SHIELD_HOURS = 24 * 30
MAX_ORDER_QUANTITY = 100  # trees or m² in one order (a tree order issues one certificate per tree)
DUTY_CERTIFICATES_NEEDED = 3
MAX_GROUP_MEMBERS = 50
# Friend requests one user may have waiting for ids Canopy has not seen yet: enough to invite
# a family, too few to squat on a list of guessed ids.
MAX_AWAITED_REQUESTS = 20

PROJECT_KINDS = ("tree", "reserve")
PROJECT_STATUSES = ("open", "closed")
ORDER_STATUSES = ("pending", "planted", "rejected")
GROUP_STATUSES = ("open", "ordered", "planted", "rejected")
LEADERBOARD_PERIODS = ("day", "week", "total")

# Certificate series: tree and reserve certificates share one numbering, duty has its own.
PLANTING_SERIES = "CNP"
DUTY_SERIES = "DUTY"


def steal_amount(energy_g: int, stolen_g: int, remaining_g: int) -> int:
    """Grams one more thief may take: 20% of the original rounded up, without the thieves'
    total passing 50% of the original (floor: 2 x stolen <= energy) and without passing what is
    left. 0 means nothing is left to steal."""
    share = -(-energy_g * STEAL_SHARE_PERCENT // 100)
    room = energy_g * STEAL_CAP_PERCENT // 100 - stolen_g
    return max(0, min(share, room, remaining_g))


def friend_pair(a: int, b: int) -> tuple[int, int]:
    """A friendship is stored once per unordered pair, lowest user id first."""
    return (a, b) if a < b else (b, a)


def is_valid_water_amount(energy_g: int) -> bool:
    return energy_g in WATER_AMOUNTS_G


@dataclass(frozen=True)
class Evidence:
    planted_at: datetime
    latitude_e6: int  # micro-degrees, so that coordinates are stored exactly
    longitude_e6: int
    plot: str
    photo_urls: tuple[str, ...]
    note: str


def evidence_problems(planted_at: datetime, latitude: float, longitude: float,
                      photo_urls: list[str], now: datetime) -> dict[str, list[str]]:
    """Field -> reasons the partner's evidence is not acceptable (empty when it is)."""
    problems: dict[str, list[str]] = {}
    if planted_at.tzinfo is None:
        problems["planted_at"] = ["planted_at needs a UTC offset"]
    elif planted_at > now:
        problems["planted_at"] = ["planted_at is in the future"]
    if not -90 <= latitude <= 90:
        problems["latitude"] = ["latitude must be between -90 and 90"]
    if not -180 <= longitude <= 180:
        problems["longitude"] = ["longitude must be between -180 and 180"]
    bad = [u for u in photo_urls if not u.startswith(("https://", "http://"))]
    if bad:
        problems["photo_urls"] = ["every photo URL must start with http:// or https://"]
    return problems


def to_micro_degrees(value: float) -> int:
    return round(value * 1_000_000)


def from_micro_degrees(value: int) -> float:
    return value / 1_000_000


def certificate_number(series: str, year: int, seq: int) -> str:
    return f"{series}-{year}-{seq:06d}"


def planting_year(planted_at: datetime) -> int:
    """The calendar year at the place of planting, as the partner's offset states it."""
    return planted_at.year


def certificates_for_order(kind: str, quantity: int) -> list[int]:
    """Quantities of the certificates one confirmed order issues: one per tree; one for all the
    m² of a reserve."""
    return [1] * quantity if kind == "tree" else [quantity]


def period_bounds(period: str, now: datetime, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the viewer's local day, or local ISO week (Monday to Sunday), as aware
    instants."""
    zone = ZoneInfo(tz)
    today: date = now.astimezone(zone).date()
    first = today if period == "day" else today - timedelta(days=today.weekday())
    days = 1 if period == "day" else 7
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(first + timedelta(days=days), time(0), tzinfo=zone)
    return start, end


def rank(scores: dict[int, int]) -> list[tuple[int, int, int]]:
    """(rank, user_id, score), highest first; equal scores share a rank; ties by user id."""
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    out: list[tuple[int, int, int]] = []
    for i, (uid, score) in enumerate(ordered):
        r = out[-1][0] if out and out[-1][2] == score else i + 1
        out.append((r, uid, score))
    return out
