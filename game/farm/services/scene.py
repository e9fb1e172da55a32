"""A chicken's scene: its farm row, the trough it eats at and the farms named by the use case,
locked in user id order and advanced to `now` by the pure rules of game.farm.domain.

Who may write what (the locks make every change exact under concurrency):
- a trough's checkpoint (trough_g, trough_at) and the eaten_g / end of the meals at it change
  only under the lock of the trough owner's farm row;
- a farm's store, current meal pointer and folded total change only under that farm's lock
  (feed grants use one conditional UPDATE per row instead).
A read takes the same locks in share mode, so it sees one consistent checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from game.farm import domain
from game.farm import repository as repo
from game.farm.errors import FarmBusy
from game.farm.models import Farm, Meal

LOCK_TRIES = 3


def seconds(t: datetime) -> int:
    """Whole unix seconds (the farm's clock ticks in seconds)."""
    return int(t.timestamp() // 1)


def instant(s: int) -> datetime:
    return datetime.fromtimestamp(s, UTC)


@dataclass
class Scene:
    now_s: int
    farms: dict[int, Farm]  # locked
    meals: dict[int, Meal]  # eating at the scene's troughs, plus the farms' current meals
    troughs: dict[int, domain.Trough]  # each farm's trough advanced to now_s


def load_scene(session: Session, user_id: int, now: datetime, extra: tuple[int, ...] = (),
               mode: str = repo.LOCK_UPDATE) -> Scene:
    """Lock the user's farm, the farm whose trough its chicken eats at, and `extra` farms.

    Each try takes its whole set in one sorted statement inside a savepoint: when the chicken
    moved to another trough before its farm was held, the try's locks are released (rolling
    back to a savepoint releases the row locks taken after it) and the next try takes the new
    set, again in user id order. Holding the first set while locking one more farm could
    close a cycle with another scene's transaction (a deadlock, seen with eight racing
    visits, chases and feedings)."""
    for _ in range(LOCK_TRIES):
        ids = {user_id, *extra}
        away = repo.trough_of_current_meal(session, user_id)
        ids |= {away} if away is not None else set()
        attempt = session.begin_nested()
        farms = repo.lock_farms(session, ids, mode)
        # The chicken may have moved before we held its farm; now that we do, it cannot
        # move to another trough (only its owner's transactions send it somewhere).
        if repo.trough_of_current_meal(session, user_id) in ids | {None}:
            attempt.commit()  # releases the savepoint, not the locks
            return _build(session, farms, seconds(now))
        attempt.rollback()
    raise FarmBusy("Your chicken moved while this request was waiting; please try again.")


def write_scene(session: Session, user_id: int, now: datetime,
                extra: tuple[int, ...] = ()) -> Scene:
    """The scene for a use case that writes: the user's farm exists, its troughs are advanced
    and saved, and the chicken's finished meal is folded into its total."""
    repo.ensure_farms(session, [user_id], instant(seconds(now)))
    scene = load_scene(session, user_id, now, extra)
    persist(scene)
    fold(scene, user_id)
    return scene


def _build(session: Session, farms: dict[int, Farm], now_s: int) -> Scene:
    eating = repo.meals_eating_at(session, farms.keys())
    meals = {m.id: m for m in eating}
    for m in repo.meals_by_id(session, [f.meal_id for f in farms.values()
                                        if f.meal_id not in meals]):
        meals[m.id] = m
    troughs = {}
    for uid, farm in farms.items():
        eaters = tuple(domain.Eater(m.id, seconds(m.started_at), m.eaten_g)
                       for m in eating if m.trough_user_id == uid)
        checkpoint = domain.Trough(seconds(farm.trough_at), farm.trough_g, eaters)
        troughs[uid] = domain.advance(checkpoint, now_s)
    return Scene(now_s, farms, meals, troughs)


def persist(scene: Scene) -> None:
    """Write the advanced troughs back: checkpoints, what each meal ate, meals that ran dry."""
    for uid, trough in scene.troughs.items():
        if not trough.eaters:
            continue
        farm = scene.farms[uid]
        farm.trough_g, farm.trough_at = trough.remaining_g, instant(trough.at)
        for eater in trough.eaters:
            meal = scene.meals[eater.meal_id]
            meal.eaten_g = eater.eaten_g
            if trough.emptied_at is not None:
                meal.ended_at, meal.end_reason = instant(trough.emptied_at), "emptied"
        if trough.emptied_at is not None:
            scene.troughs[uid] = domain.Trough(trough.at, 0, ())


def end_meal(scene: Scene, meal: Meal, reason: str) -> None:
    """End a meal now (chased or recalled); the scene must have been persisted first."""
    meal.ended_at, meal.end_reason = instant(scene.now_s), reason
    trough = scene.troughs[meal.trough_user_id]
    scene.troughs[meal.trough_user_id] = replace(
        trough, eaters=tuple(e for e in trough.eaters if e.meal_id != meal.id))


def fold(scene: Scene, user_id: int) -> None:
    """Add an ended meal to the chicken's total, so that reads never look at it again."""
    farm = scene.farms[user_id]
    meal = scene.meals.get(farm.meal_id) if farm.meal_id is not None else None
    if meal is not None and meal.ended_at is not None:
        farm.eaten_g += meal.eaten_g
        farm.meal_id = None


def start_meal(session: Session, scene: Scene, chicken_id: int, trough_id: int) -> Meal:
    meal = Meal(chicken_user_id=chicken_id, trough_user_id=trough_id,
                started_at=instant(scene.now_s), eaten_g=0)
    session.add(meal)
    session.flush()
    scene.meals[meal.id] = meal
    scene.farms[chicken_id].meal_id = meal.id
    trough = scene.troughs[trough_id]
    scene.troughs[trough_id] = replace(
        trough, eaters=(*trough.eaters, domain.Eater(meal.id, scene.now_s, 0)))
    return meal


@dataclass(frozen=True)
class Chicken:
    """A user's farm at the scene's second, with internal user ids."""

    feed_store_g: int
    trough_g: int
    state: str  # eating | hungry | visiting
    eaten_g: int  # everything the chicken ever ate, at home and away
    eggs_donated: int
    visiting: int | None  # the user whose trough it eats at, when away
    visitors: tuple[int, ...]  # chickens eating at this user's trough
    visitors_eaten_g: tuple[int, ...] = ()  # what each of them ate here this visit
    visiting_eaten_g: int | None = None  # what it ate at the friend's trough this visit
    trough_empty_at: int | None = None  # second this user's trough runs dry, if nothing changes
    next_egg_at: int | None = None  # second of its next egg, if its current trough lasts

    @property
    def eggs_laid(self) -> int:
        return domain.eggs_laid(self.eaten_g)

    @property
    def eggs(self) -> int:
        return self.eggs_laid - self.eggs_donated


def chicken(scene: Scene, user_id: int) -> Chicken:
    farm = scene.farms.get(user_id)
    if farm is None:
        return Chicken(0, 0, "hungry", 0, 0, None, ())
    eaten, where, eater, egg_at = farm.eaten_g, None, None, None
    meal = scene.meals.get(farm.meal_id) if farm.meal_id is not None else None
    if meal is not None and meal.ended_at is None:
        trough = scene.troughs[meal.trough_user_id]
        eater = trough.eater(meal.id)
        eaten += eater.eaten_g if eater else meal.eaten_g
        where = meal.trough_user_id if eater and trough.emptied_at is None else None
        egg_at = domain.next_egg_at(trough, meal.id, eaten) if where is not None else None
    elif meal is not None:
        eaten += meal.eaten_g
    own = scene.troughs[user_id]
    guests = () if own.emptied_at is not None else tuple(
        (scene.meals[e.meal_id].chicken_user_id, e.eaten_g) for e in own.eaters
        if scene.meals[e.meal_id].chicken_user_id != user_id)
    state = "hungry" if where is None else ("eating" if where == user_id else "visiting")
    away = state == "visiting"
    return Chicken(farm.feed_store_g, own.remaining_g, state, eaten, farm.eggs_donated,
                   where if away else None, tuple(u for u, _ in guests),
                   tuple(g for _, g in guests), eater.eaten_g if away and eater else None,
                   domain.dry_at(own), egg_at)
