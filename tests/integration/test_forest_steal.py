from datetime import timedelta

import pytest

from carbon.errors import BallClosed, BallNotFound, BallNotRipe, InsufficientEnergy
from carbon.models import Ball
from carbon.services import ledger
from carbon.services.balls import collect_ball
from carbon.services.shields import shield_until
from game.forest.errors import (
    AlreadyStolen,
    BallNotStealable,
    CannotStealOwnBall,
    NotFriends,
    NothingLeftToSteal,
    Shielded,
    WateringLimitReached,
)
from game.forest.services import shields, steal, water
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.forest import FriendshipFactory, give_energy, ripe_ball


@pytest.fixture
def pair(session):
    owner, thief = UserFactory(), UserFactory()
    FriendshipFactory(a=owner, b=thief)
    return owner, thief


def test_a_friend_steals_a_fifth_of_the_original_rounded_up(session, uow, pair):
    owner, thief = pair
    ball = ripe_ball(session, owner.id, 51)
    result = steal.steal(uow, thief.id, owner.external_id, ball, NOW)
    assert result["stolen_g"] == 11 and result["energy_g"] == 11
    row = session.get(Ball, ball, populate_existing=True)
    assert (row.remaining_g, row.stolen_g) == (40, 11)
    assert collect_ball(uow, owner.id, ball, NOW)[0] == 40


def test_thieves_never_take_more_than_half(session, uow, pair):
    owner, first = pair
    thieves = [first] + [UserFactory() for _ in range(3)]
    for t in thieves[1:]:
        FriendshipFactory(a=owner, b=t)
    ball = ripe_ball(session, owner.id, 15)
    taken = [steal.steal(uow, t.id, owner.external_id, ball, NOW)["stolen_g"] for t in thieves[:3]]
    assert taken == [3, 3, 1]  # 3 + 3 + 1 = 7 = floor(15 / 2)
    with pytest.raises(NothingLeftToSteal):
        steal.steal(uow, thieves[3].id, owner.external_id, ball, NOW)


def test_a_friend_steals_once_per_ball(session, uow, pair):
    owner, thief = pair
    ball = ripe_ball(session, owner.id, 100)
    steal.steal(uow, thief.id, owner.external_id, ball, NOW)
    with pytest.raises(AlreadyStolen):
        steal.steal(uow, thief.id, owner.external_id, ball, NOW)


def test_strangers_growing_balls_watered_balls_and_own_balls_are_refused(session, uow, pair):
    owner, thief = pair
    stranger = UserFactory()
    ball = ripe_ball(session, owner.id, 100, activity_type="walk")
    growing = ripe_ball(session, owner.id, 100, ripe_at=NOW + timedelta(hours=1))
    watered = ripe_ball(session, owner.id, 66, stealable=False, kind="water", activity_type="water")
    with pytest.raises(NotFriends):
        steal.steal(uow, stranger.id, owner.external_id, ball, NOW)
    with pytest.raises(BallNotRipe):
        steal.steal(uow, thief.id, owner.external_id, growing, NOW)
    with pytest.raises(BallNotStealable):
        steal.steal(uow, thief.id, owner.external_id, watered, NOW)
    with pytest.raises(CannotStealOwnBall):
        steal.steal(uow, owner.id, owner.external_id, ball, NOW)
    with pytest.raises(BallNotFound):
        steal.steal(uow, owner.id, thief.external_id, ball, NOW)


def test_collected_and_expired_balls_have_nothing_to_steal(session, uow, pair):
    owner, thief = pair
    ball = ripe_ball(session, owner.id, 100)
    collect_ball(uow, owner.id, ball, NOW)
    with pytest.raises(BallClosed):
        steal.steal(uow, thief.id, owner.external_id, ball, NOW)
    old = ripe_ball(session, owner.id, 100, activity_type="walk")
    with pytest.raises(BallClosed, match="expired"):
        steal.steal(uow, thief.id, owner.external_id, old, NOW + timedelta(hours=72))


def test_a_shield_stops_thieves_until_it_ends(session, uow, pair):
    owner, thief = pair
    ball = ripe_ball(session, owner.id, 100)
    granted = shields.grant_shield(uow, owner.external_id, 24, NOW)
    assert granted["shield_until"] == NOW + timedelta(hours=24)
    assert shield_until(session, owner.id) == NOW + timedelta(hours=24)
    with pytest.raises(Shielded):
        steal.steal(uow, thief.id, owner.external_id, ball, NOW + timedelta(hours=23))
    view = steal.friend_balls(uow, thief.id, owner.external_id, NOW)
    assert view["shield_until"] == NOW + timedelta(hours=24)
    assert [b["can_steal_g"] for b in view["balls"].items] == [0]
    steal.steal(uow, thief.id, owner.external_id, ball, NOW + timedelta(hours=24))


def test_a_second_shield_extends_the_first(session, uow, pair):
    owner, _ = pair
    shields.grant_shield(uow, owner.external_id, 24, NOW)
    later = shields.grant_shield(uow, owner.external_id, 24, NOW + timedelta(hours=1))
    assert later["shield_until"] == NOW + timedelta(hours=48)


def test_friend_balls_show_what_i_could_steal(session, uow, pair):
    owner, thief = pair
    ripe = ripe_ball(session, owner.id, 100)
    ripe_ball(session, owner.id, 100, ripe_at=NOW + timedelta(hours=1), activity_type="walk")
    steal.steal(uow, thief.id, owner.external_id, ripe, NOW)
    view = steal.friend_balls(uow, thief.id, owner.external_id, NOW)
    assert [(b["status"], b["energy_g"], b["stolen_by_me"], b["can_steal_g"])
            for b in view["balls"].items] == [("ripe", 80, True, 0), ("growing", 100, False, 0)]


def test_watering_moves_energy_into_a_ripe_unstealable_ball(session, uow, pair):
    owner, giver = pair
    give_energy(session, giver.id, 100)
    result = water.water(uow, giver.id, "Asia/Shanghai", owner.external_id, 66, NOW)
    assert (result["my_energy_g"], result["waterings_left_today"]) == (34, 2)
    ball = session.get(Ball, result["ball_id"])
    assert (ball.user_id, ball.energy_g, ball.stealable, ball.kind) == (owner.id, 66, False, "water")
    assert collect_ball(uow, owner.id, ball.id, NOW)[0] == 66
    assert ledger.available_balance(session, owner.id) == 66


def test_watering_is_limited_to_three_times_a_friend_a_day(session, uow, pair):
    owner, giver = pair
    give_energy(session, giver.id, 1000)
    for _ in range(3):
        water.water(uow, giver.id, "Asia/Shanghai", owner.external_id, 10, NOW)
    with pytest.raises(WateringLimitReached):
        water.water(uow, giver.id, "Asia/Shanghai", owner.external_id, 10, NOW)
    next_day = NOW + timedelta(days=1)
    assert water.water(uow, giver.id, "Asia/Shanghai", owner.external_id, 10,
                       next_day)["waterings_left_today"] == 2


def test_watering_needs_the_energy_and_a_friend(session, uow, pair):
    owner, giver = pair
    give_energy(session, giver.id, 17)
    with pytest.raises(InsufficientEnergy):
        water.water(uow, giver.id, "Asia/Shanghai", owner.external_id, 18, NOW)
    with pytest.raises(NotFriends):
        water.water(uow, UserFactory().id, "Asia/Shanghai", owner.external_id, 10, NOW)
    assert ledger.available_balance(session, giver.id) == 17
