"""Pure rules of the farm: how chickens eat from troughs, lay eggs, store feed; the daily quiz.

Time here is whole unix seconds (int) and amounts are whole grams: a trough is advanced from a
checkpoint to any second exactly, by integer arithmetic, so that reading a chicken never needs
its history and never drifts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

FEED_PORTION_G = 180  # one feeding moves this much from the store to the trough
STORE_CAPACITY_G = 1_800  # the store holds this much; what would go beyond is lost
MEAL_SECONDS = 16_800  # a chicken eats FEED_PORTION_G in 4 h 40 min at a steady rate
EGG_G = 900  # every 900 g a chicken has eaten (anywhere) is one egg for its owner


@dataclass(frozen=True)
class FeedRule:
    """Feed earned by an activity type in a local day: grams per unit, capped in units."""

    grams_per_unit: int
    max_units_per_day: int

    def feed_for(self, units: int) -> int:
        return max(0, min(units, self.max_units_per_day)) * self.grams_per_unit


FEED_RULES = {"offline_payment": FeedRule(FEED_PORTION_G, 4)}
QUIZ_REWARD_G = FEED_PORTION_G


def wanted_by(started_at: int, t: int) -> int:
    """Grams a chicken eating since `started_at` has eaten by second `t` if the trough allowed:
    180 g per 16,800 s, floored to the gram (so at most 1 g more per second)."""
    return FEED_PORTION_G * max(0, t - started_at) // MEAL_SECONDS


@dataclass(frozen=True)
class Eater:
    """A chicken eating at a trough since `started_at`; eaten_g is what it ate there so far."""

    meal_id: int
    started_at: int
    eaten_g: int


@dataclass(frozen=True)
class Trough:
    """A trough at checkpoint second `at`: grams left and the chickens eating from it (each has
    eaten what it wanted by `at`). emptied_at is the second it ran dry (its eaters' meals end
    then), None while it still has feed."""

    at: int
    remaining_g: int
    eaters: tuple[Eater, ...]
    emptied_at: int | None = None

    def eater(self, meal_id: int) -> Eater | None:
        return next((e for e in self.eaters if e.meal_id == meal_id), None)


def _wanted(eaters: tuple[Eater, ...], t: int) -> int:
    return sum(wanted_by(e.started_at, t) - e.eaten_g for e in eaters)


def advance(trough: Trough, now: int) -> Trough:
    """The trough at second `now`. Every eater eats at the full rate (two chickens empty it twice
    as fast). If it runs dry, it does so at the first second the eaters want at least what is
    left; that second's last grams go one each to the eaters whose count ticks up then, earliest
    meal first (started_at, then meal id), so the split is deterministic and nothing is lost."""
    if trough.emptied_at is not None or not trough.eaters or now <= trough.at:
        return trough
    if trough.remaining_g <= 0:
        return replace(trough, emptied_at=trough.at)
    wanted = _wanted(trough.eaters, now)
    if wanted < trough.remaining_g:
        return Trough(now, trough.remaining_g - wanted,
                      tuple(replace(e, eaten_g=wanted_by(e.started_at, now)) for e in trough.eaters))
    dry = _first_dry_second(trough, now)
    leftover = trough.remaining_g - _wanted(trough.eaters, dry - 1)
    eaters = []
    for e in sorted(trough.eaters, key=lambda e: (e.started_at, e.meal_id)):
        eaten = wanted_by(e.started_at, dry - 1)
        if leftover > 0 and wanted_by(e.started_at, dry) > eaten:
            eaten, leftover = eaten + 1, leftover - 1
        eaters.append(replace(e, eaten_g=eaten))
    return Trough(dry, 0, tuple(eaters), emptied_at=dry)


def _first_dry_second(trough: Trough, now: int) -> int:
    """Smallest second in (at, now] at which the eaters want what is left (binary search:
    wanting only grows with time, and at the checkpoint they want nothing more)."""
    lo, hi = trough.at, now
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wanted(trough.eaters, mid) >= trough.remaining_g:
            hi = mid
        else:
            lo = mid
    return hi


def dry_at(trough: Trough) -> int | None:
    """The second the trough runs dry if no chicken comes or goes; None when nobody eats from
    it or it is dry already. Derived from the checkpoint, never ticked."""
    if trough.emptied_at is not None or not trough.eaters or trough.remaining_g <= 0:
        return None
    # One eater alone empties remaining_g within this many meals' time; more eat faster.
    horizon = trough.at + MEAL_SECONDS * (trough.remaining_g // FEED_PORTION_G + 1) + 1
    return _first_dry_second(trough, horizon)


def next_egg_at(trough: Trough, meal_id: int, eaten_total_g: int) -> int | None:
    """The second the chicken of `meal_id`, eating at `trough`, completes its next egg, if this
    trough lasts until then (None otherwise: it needs another meal first)."""
    eater = trough.eater(meal_id)
    if eater is None or trough.emptied_at is not None:
        return None
    needed = EGG_G - eaten_total_g % EGG_G
    # wanted_by(started, t) >= eaten + needed, solved for the first whole second t.
    t = eater.started_at + -(-(eater.eaten_g + needed) * MEAL_SECONDS // FEED_PORTION_G)
    later = advance(trough, t).eater(meal_id)
    return t if later is not None and later.eaten_g - eater.eaten_g >= needed else None


def eggs_laid(eaten_total_g: int) -> int:
    return eaten_total_g // EGG_G


def egg_progress(eaten_total_g: int) -> int:
    """Grams toward the next egg, 0..899."""
    return eaten_total_g % EGG_G


def store_feed(store_g: int, grams: int) -> tuple[int, int]:
    """(store after adding `grams`, grams lost because the store was full)."""
    stored = min(STORE_CAPACITY_G, store_g + grams)
    return stored, store_g + grams - stored


def quiz_index(day: date, count: int) -> int:
    """Which of `count` active questions (ordered by id) is asked on local date `day`: the same
    for everyone that day, a different one the next day."""
    return day.toordinal() % count


def normalized_answer(answer: str) -> str:
    return " ".join(answer.split()).casefold()


def crossed_multiples(before: int, after: int, target: int) -> range:
    """The multiples of `target` (as 1, 2, 3...) that a count crossed going from before to after:
    each is one donation record."""
    return range(before // target + 1, after // target + 1)
