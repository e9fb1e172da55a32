"""The chicken's arithmetic at its boundaries, with an injected clock (never a sleep)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from game.farm.errors import NotEnoughFeed, TroughNotEmpty
from game.farm.services.chicken import farm_state, feed
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.farm import FarmFactory

S = timedelta(seconds=1)
MEAL = timedelta(seconds=16_800)  # 4 h 40 min


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.fixture
def hen(session):
    return FarmFactory(feed_store_g=900, user=UserFactory(timezone="Asia/Shanghai")).user_id


def test_a_new_user_has_an_empty_hungry_farm(uow, session):
    user = UserFactory()
    view = farm_state(uow, user.id, NOW)
    assert (view.feed_store_g, view.trough_g, view.state, view.eggs, view.egg_progress) == (
        0, 0, "hungry", 0, 0)
    assert view.visiting is None and view.visitors == []


def test_feeding_moves_180_g_from_the_store_to_the_trough(uow, hen):
    view = feed(uow, hen, NOW)
    assert (view.feed_store_g, view.trough_g, view.state) == (720, 180, "eating")


def test_fed_at_23_59_and_read_after_midnight_is_exact(uow, hen):
    fed = local("Asia/Shanghai", 2026, 3, 9, 23, 59)
    feed(uow, hen, fed)
    view = farm_state(uow, hen, local("Asia/Shanghai", 2026, 3, 10, 0, 59))
    assert (view.trough_g, view.egg_progress, view.state) == (180 - 38, 38, "eating")


def test_across_spring_forward_the_chicken_eats_by_real_seconds_not_wall_clock(uow, session):
    zone = "America/New_York"
    hen = FarmFactory(feed_store_g=180, user=UserFactory(timezone=zone)).user_id
    feed(uow, hen, local(zone, 2026, 3, 7, 23, 59))
    # 03:39 EDT on 8 March is 2 h 40 min later (02:00 EST jumped to 03:00 EDT): 9,600 s.
    view = farm_state(uow, hen, local(zone, 2026, 3, 8, 3, 39))
    assert (view.egg_progress, view.trough_g) == (180 * 9_600 // 16_800, 180 - 102)


def test_across_fall_back_the_trough_empties_when_the_wall_clock_shows_3_h_40(uow, session):
    zone = "America/New_York"
    hen = FarmFactory(feed_store_g=180, user=UserFactory(timezone=zone)).user_id
    feed(uow, hen, local(zone, 2026, 10, 31, 23, 59))
    # 01:00-02:00 happens twice on 1 November: 03:39 EST is 4 h 40 min after 23:59 EDT.
    assert farm_state(uow, hen, local(zone, 2026, 11, 1, 3, 38, 59)).trough_g == 1
    view = farm_state(uow, hen, local(zone, 2026, 11, 1, 3, 39))
    assert (view.trough_g, view.state, view.egg_progress) == (0, "hungry", 180)


def test_one_second_before_the_trough_empties_and_one_after(uow, hen):
    feed(uow, hen, NOW)
    before = farm_state(uow, hen, NOW + MEAL - S)
    at = farm_state(uow, hen, NOW + MEAL)
    after = farm_state(uow, hen, NOW + MEAL + S)
    assert (before.trough_g, before.state, before.egg_progress) == (1, "eating", 179)
    assert (at.trough_g, at.state, at.egg_progress) == (0, "hungry", 180)
    assert after == farm_state(uow, hen, NOW + MEAL + S)
    assert (after.trough_g, after.state, after.egg_progress) == (0, "hungry", 180)


def test_the_egg_is_laid_at_the_very_second_the_900th_gram_is_eaten(uow, session):
    hen = FarmFactory(feed_store_g=180, eaten_g=720).user_id  # 720 g eaten before
    feed(uow, hen, NOW)
    almost = farm_state(uow, hen, NOW + MEAL - S)
    laid = farm_state(uow, hen, NOW + MEAL)
    assert (almost.eggs, almost.egg_progress) == (0, 899)
    assert (laid.eggs, laid.egg_progress, laid.eggs_laid) == (1, 0, 1)


def test_eggs_accumulate_over_five_meals(uow, hen):
    t = NOW
    for _ in range(5):
        feed(uow, hen, t)
        t += MEAL + timedelta(minutes=7)
    view = farm_state(uow, hen, t)
    assert (view.eggs, view.egg_progress, view.feed_store_g) == (1, 0, 0)


def test_feeding_a_trough_that_still_has_feed_is_refused_with_the_grams_left(uow, hen):
    feed(uow, hen, NOW)
    with pytest.raises(TroughNotEmpty, match="still has 1 g"):
        feed(uow, hen, NOW + MEAL - S)
    assert feed(uow, hen, NOW + MEAL).trough_g == 180


def test_feeding_with_less_than_180_g_in_store_is_refused_with_the_amount(uow, session):
    hen = FarmFactory(feed_store_g=179).user_id
    with pytest.raises(NotEnoughFeed, match="You have 179 g of feed, 180 g needed"):
        feed(uow, hen, NOW)
    assert farm_state(uow, hen, NOW).feed_store_g == 179
