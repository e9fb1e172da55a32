"""The farm view's derived times: when the trough runs dry, when the next egg comes, and what
visiting chickens have eaten so far (all from the time function, nothing ticks)."""

from datetime import timedelta

import pytest

from game.farm.services.chicken import farm_state, feed, visit
from game.forest.services.friends import request_friend
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.farm import FarmFactory

S = timedelta(seconds=1)


@pytest.fixture
def pair(session, uow):
    a, b = UserFactory(), UserFactory()
    FarmFactory(user=a, feed_store_g=360)
    FarmFactory(user=b, feed_store_g=360, eaten_g=800)  # 100 g short of its first egg
    request_friend(uow, a.id, b.external_id, NOW)
    request_friend(uow, b.id, a.external_id, NOW)
    return a, b


def test_the_trough_runs_dry_exactly_when_the_view_says(uow, pair):
    _, b = pair
    feed(uow, b.id, NOW)
    dry = farm_state(uow, b.id, NOW).trough_empty_at
    assert dry == NOW + 16_800 * S  # one chicken eats 180 g in 4 h 40 min
    assert farm_state(uow, b.id, dry - S).trough_g == 1
    assert farm_state(uow, b.id, dry).trough_g == 0
    assert farm_state(uow, b.id, dry).trough_empty_at is None  # nobody eats any more


def test_a_visitor_brings_the_dry_time_forward(uow, pair):
    a, b = pair
    feed(uow, b.id, NOW)
    visit(uow, a.id, b.external_id, NOW + 1_000 * S)
    dry = farm_state(uow, b.id, NOW + 1_000 * S).trough_empty_at
    assert NOW + 1_000 * S < dry < NOW + 16_800 * S
    assert farm_state(uow, b.id, dry - S).trough_g > 0
    assert farm_state(uow, b.id, dry).trough_g == 0


def test_the_next_egg_comes_when_the_view_says(uow, pair):
    _, b = pair
    feed(uow, b.id, NOW)
    egg = farm_state(uow, b.id, NOW).next_egg_at
    assert egg == NOW + 9_334 * S  # 100 g at 180 g per 16,800 s, rounded up to the second
    assert farm_state(uow, b.id, egg - S).eggs_laid == 0
    assert farm_state(uow, b.id, egg).eggs_laid == 1


def test_no_next_egg_when_the_trough_cannot_feed_it(uow, pair):
    a, _ = pair
    feed(uow, a.id, NOW)  # a needs 900 g; a trough holds 180
    assert farm_state(uow, a.id, NOW).next_egg_at is None
    assert farm_state(uow, a.id, NOW).trough_empty_at == NOW + 16_800 * S


def test_both_sides_see_what_a_visiting_chicken_has_eaten_so_far(uow, pair):
    a, b = pair
    feed(uow, b.id, NOW)
    visit(uow, a.id, b.external_id, NOW + 1_000 * S)
    at = NOW + 5_200 * S  # a has eaten for 4,200 s: 45 g
    assert farm_state(uow, b.id, at).visitor_meals == [{"user_id": a.external_id,
                                                        "eaten_g": 45}]
    assert farm_state(uow, a.id, at).visiting_eaten_g == 45
    assert farm_state(uow, b.id, at).visiting_eaten_g is None
