"""The chicken's use cases: read the farm, feed the trough, visit a friend's trough, chase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from carbon.services import lookups
from carbon.services.users import get_user
from db import UnitOfWork
from game.farm import domain
from game.farm import repository as repo
from game.farm.errors import (
    CannotVisitSelf,
    ChickenBusy,
    FriendTroughEmpty,
    NotEnoughFeed,
    NoVisitors,
    TroughNotEmpty,
)
from game.farm.models import Feeding
from game.farm.services.scene import (
    Chicken,
    chicken,
    end_meal,
    fold,
    instant,
    load_scene,
    start_meal,
    write_scene,
)
from game.forest.services.friends import require_friends


@dataclass(frozen=True)
class FarmView:
    """What the app shows, with external user ids, exact at `as_of`."""

    feed_store_g: int
    trough_g: int
    state: str
    egg_progress: int
    eggs: int
    eggs_laid: int
    eggs_donated: int
    visiting: str | None
    visitors: list[str]
    as_of: datetime
    visitor_meals: list[dict]  # [{user_id, eaten_g}]: what each visitor ate here this visit
    visiting_eaten_g: int | None  # what my chicken ate at the friend's trough this visit
    trough_empty_at: datetime | None  # if no chicken comes or goes
    next_egg_at: datetime | None  # if the trough it eats at lasts until then


def _view(session: Session, c: Chicken, as_of: datetime) -> FarmView:
    names = lookups.external_ids(session, [u for u in (c.visiting, *c.visitors) if u is not None])
    meals = [{"user_id": name, "eaten_g": g} for name, g in sorted(
        ((names[v], g) for v, g in zip(c.visitors, c.visitors_eaten_g, strict=True)),
        key=lambda visit: visit[0])]
    return FarmView(c.feed_store_g, c.trough_g, c.state, domain.egg_progress(c.eaten_g), c.eggs,
                    c.eggs_laid, c.eggs_donated, names.get(c.visiting) if c.visiting else None,
                    sorted(names[v] for v in c.visitors), as_of, meals, c.visiting_eaten_g,
                    _at(c.trough_empty_at), _at(c.next_egg_at))


def _at(second: int | None) -> datetime | None:
    return None if second is None else instant(second)


def farm_state(uow: UnitOfWork, user_id: int, now: datetime) -> FarmView:
    """The farm at `now`: a few rows read under share locks, whatever the history's length."""
    with uow:
        scene = load_scene(uow.session, user_id, now, mode=repo.LOCK_SHARE)
        return _view(uow.session, chicken(scene, user_id), instant(scene.now_s))


def feed(uow: UnitOfWork, user_id: int, now: datetime) -> FarmView:
    """Move one portion from the store to the empty trough; a chicken away comes home to eat."""
    with uow:
        s = uow.session
        scene = write_scene(s, user_id, now)
        farm, me = scene.farms[user_id], chicken(scene, user_id)
        if me.trough_g > 0:
            raise TroughNotEmpty(f"The trough still has {me.trough_g} g; feed again when it is "
                                 "empty.")
        if farm.feed_store_g < domain.FEED_PORTION_G:
            raise NotEnoughFeed(f"You have {farm.feed_store_g} g of feed, "
                                f"{domain.FEED_PORTION_G} g needed.")
        if me.visiting is not None and farm.meal_id is not None:  # away: it has a meal
            end_meal(scene, scene.meals[farm.meal_id], "recalled")
            fold(scene, user_id)
        farm.feed_store_g -= domain.FEED_PORTION_G
        farm.fed_g += domain.FEED_PORTION_G
        farm.trough_g, farm.trough_at = domain.FEED_PORTION_G, instant(scene.now_s)
        scene.troughs[user_id] = domain.Trough(scene.now_s, domain.FEED_PORTION_G, ())
        meal = start_meal(s, scene, user_id, user_id)
        s.add(Feeding(user_id=user_id, feed_g=domain.FEED_PORTION_G, meal_id=meal.id,
                      fed_at=instant(scene.now_s)))
        view = _view(s, chicken(scene, user_id), instant(scene.now_s))
        uow.commit()
    return view


def visit(uow: UnitOfWork, user_id: int, friend_external: str, now: datetime) -> FarmView:
    """Send the hungry chicken to eat at a friend's trough (for its own owner's eggs)."""
    with uow:
        s = uow.session
        friend = get_user(s, friend_external)
        if friend.id == user_id:
            raise CannotVisitSelf("Your chicken cannot visit your own trough; feed it instead.")
        require_friends(s, user_id, friend.id)
        scene = write_scene(s, user_id, now, extra=(friend.id,))
        me = chicken(scene, user_id)
        if me.state == "eating":
            raise ChickenBusy(f"Your chicken is still eating: {me.trough_g} g are left in "
                              "its trough.")
        if me.state == "visiting" and me.visiting is not None:  # visiting: it is somewhere
            where = lookups.external_ids(s, [me.visiting])[me.visiting]
            raise ChickenBusy(f"Your chicken is already eating at {where}'s trough.")
        if friend.id not in scene.farms or scene.troughs[friend.id].remaining_g == 0:
            raise FriendTroughEmpty(f"{friend_external}'s trough is empty: there is nothing "
                                    "to eat there.")
        start_meal(s, scene, user_id, friend.id)
        view = _view(s, chicken(scene, user_id), instant(scene.now_s))
        uow.commit()
    return view


@dataclass(frozen=True)
class Chased:
    user_id: str
    eaten_g: int  # what that chicken ate at this trough during its visit


def chase(uow: UnitOfWork, user_id: int, now: datetime) -> tuple[FarmView, list[Chased]]:
    """Send every chicken eating at my trough home."""
    with uow:
        s = uow.session
        scene = write_scene(s, user_id, now)
        visitors = [scene.meals[e.meal_id] for e in scene.troughs[user_id].eaters
                    if scene.meals[e.meal_id].chicken_user_id != user_id]
        if not visitors:
            raise NoVisitors("No chicken is eating at your trough.")
        names = lookups.external_ids(s, [m.chicken_user_id for m in visitors])
        for meal in visitors:
            end_meal(scene, meal, "chased")
        chased = sorted((Chased(names[m.chicken_user_id], m.eaten_g) for m in visitors),
                        key=lambda c: c.user_id)
        view = _view(s, chicken(scene, user_id), instant(scene.now_s))
        uow.commit()
    return view, chased
