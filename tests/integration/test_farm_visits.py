"""Thief chickens: visiting a friend's trough, being chased, sharing a trough."""

from datetime import timedelta

import pytest

from carbon.errors import UserNotFound
from game.farm.errors import (
    CannotVisitSelf,
    ChickenBusy,
    FriendTroughEmpty,
    NoVisitors,
)
from game.farm.services.chicken import chase, farm_state, feed, visit
from game.forest.errors import NotFriends
from game.forest.services.friends import request_friend
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.farm import FarmFactory

S = timedelta(seconds=1)


def seconds(n: int) -> timedelta:
    return timedelta(seconds=n)


@pytest.fixture
def farmers(session, uow):
    """Three friends of one another: a (hungry), b and c, each with 360 g of feed."""
    users = [UserFactory() for _ in range(3)]
    for u in users:
        FarmFactory(user=u, feed_store_g=360)
    for i, me in enumerate(users):
        for other in users[i + 1:]:
            request_friend(uow, me.id, other.external_id, NOW)
            request_friend(uow, other.id, me.external_id, NOW)
    return users


def test_a_visit_ended_by_a_chase_mid_meal_counts_for_both_sides(uow, farmers):
    a, b, _ = farmers
    feed(uow, b.id, NOW)
    visiting = visit(uow, a.id, b.external_id, NOW + seconds(1_000))
    assert (visiting.state, visiting.visiting) == ("visiting", b.external_id)
    assert farm_state(uow, b.id, NOW + seconds(1_000)).visitors == [a.external_id]
    view, chased = chase(uow, b.id, NOW + seconds(5_200))
    # a ate 180 g per 16,800 s for 4,200 s: 45 g; b ate for 5,200 s: 55 g.
    assert [(c.user_id, c.eaten_g) for c in chased] == [(a.external_id, 45)]
    assert (view.trough_g, view.state, view.visitors) == (180 - 45 - 55, "eating", [])
    home = farm_state(uow, a.id, NOW + seconds(9_999))
    assert (home.state, home.visiting, home.egg_progress, home.trough_g) == ("hungry", None, 45, 0)
    # b alone again: its trough runs dry when b has eaten 135 g, at 12,600 s.
    assert farm_state(uow, b.id, NOW + seconds(12_599)).trough_g == 1
    done = farm_state(uow, b.id, NOW + seconds(12_600))
    assert (done.trough_g, done.state, done.egg_progress) == (0, "hungry", 135)


def test_a_visitor_eats_until_the_friends_trough_is_empty_then_comes_home(uow, farmers):
    a, b, _ = farmers
    feed(uow, b.id, NOW)
    visit(uow, a.id, b.external_id, NOW)
    assert farm_state(uow, a.id, NOW + seconds(8_399)).state == "visiting"
    a_view = farm_state(uow, a.id, NOW + seconds(8_400))
    b_view = farm_state(uow, b.id, NOW + seconds(8_400))
    assert (a_view.state, a_view.egg_progress) == ("hungry", 90)
    assert (b_view.state, b_view.egg_progress, b_view.trough_g) == ("hungry", 90, 0)


def test_two_visitors_and_the_owner_share_one_trough_to_the_gram(uow, farmers):
    a, b, c = farmers
    feed(uow, b.id, NOW)
    visit(uow, a.id, b.external_id, NOW)
    visit(uow, c.id, b.external_id, NOW + seconds(100))
    assert farm_state(uow, b.id, NOW + seconds(100)).visitors == sorted(
        [a.external_id, c.external_id])
    later = NOW + seconds(20_000)
    eaten = [farm_state(uow, u.id, later).egg_progress for u in (a, b, c)]
    # a and b started in the same second; when both want the last gram, b's meal (the older
    # row) gets it; c came 100 s later and ate a gram less.
    assert eaten == [60, 61, 59] and sum(eaten) == 180
    assert farm_state(uow, b.id, later).trough_g == 0


def test_feeding_while_away_calls_the_chicken_home_with_what_it_ate(uow, farmers):
    a, b, _ = farmers
    feed(uow, b.id, NOW)
    visit(uow, a.id, b.external_id, NOW)
    view = feed(uow, a.id, NOW + seconds(1_680))
    assert (view.state, view.visiting, view.trough_g, view.egg_progress) == ("eating", None,
                                                                            180, 18)
    assert farm_state(uow, b.id, NOW + seconds(1_680)).visitors == []


def test_a_chicken_eating_at_home_cannot_go_visiting(uow, farmers):
    a, b, _ = farmers
    feed(uow, a.id, NOW)
    feed(uow, b.id, NOW)
    with pytest.raises(ChickenBusy, match="still eating: 180 g are left"):
        visit(uow, a.id, b.external_id, NOW)


def test_a_visiting_chicken_cannot_visit_a_second_trough(uow, farmers):
    a, b, c = farmers
    feed(uow, b.id, NOW)
    feed(uow, c.id, NOW)
    visit(uow, a.id, b.external_id, NOW)
    with pytest.raises(ChickenBusy, match=f"already eating at {b.external_id}'s trough"):
        visit(uow, a.id, c.external_id, NOW + S)


def test_visiting_an_empty_trough_is_refused(uow, farmers):
    a, b, _ = farmers
    with pytest.raises(FriendTroughEmpty, match="trough is empty"):
        visit(uow, a.id, b.external_id, NOW)


def test_only_friends_can_be_visited(uow, farmers, session):
    a = farmers[0]
    stranger = UserFactory()
    FarmFactory(user=stranger, feed_store_g=180)
    feed(uow, stranger.id, NOW)
    with pytest.raises(NotFriends):
        visit(uow, a.id, stranger.external_id, NOW)
    with pytest.raises(UserNotFound):
        visit(uow, a.id, "nobody-at-all", NOW)
    with pytest.raises(CannotVisitSelf):
        visit(uow, a.id, a.external_id, NOW)


def test_chasing_an_empty_yard_is_refused(uow, farmers):
    _, b, _ = farmers
    feed(uow, b.id, NOW)
    with pytest.raises(NoVisitors, match="No chicken is eating at your trough"):
        chase(uow, b.id, NOW)


def test_a_visitor_that_already_left_cannot_be_chased(uow, farmers):
    a, b, _ = farmers
    feed(uow, b.id, NOW)
    visit(uow, a.id, b.external_id, NOW)
    with pytest.raises(NoVisitors):
        chase(uow, b.id, NOW + seconds(8_400))
