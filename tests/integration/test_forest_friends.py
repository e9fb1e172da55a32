from datetime import timedelta

import pytest

from db.paging import Page
from game.forest.errors import CannotBefriendSelf, FriendshipNotFound
from game.forest.services import friends
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.forest import FriendshipFactory, ripe_ball


def test_a_request_from_one_side_only_is_pending(session, uow):
    a, b = UserFactory(), UserFactory()
    result = friends.request_friend(uow, a.id, b.external_id, NOW)
    assert result["status"] == "requested"
    assert friends.list_friends(uow, a.id, None, 10) == Page([], None)
    incoming = friends.incoming_requests(uow, b.id, None, 10).items
    assert [r["user_id"] for r in incoming] == [a.external_id]


def test_requests_from_both_sides_make_friends(session, uow):
    a, b = UserFactory(), UserFactory()
    friends.request_friend(uow, a.id, b.external_id, NOW)
    result = friends.request_friend(uow, b.id, a.external_id, NOW + timedelta(minutes=1))
    assert result["status"] == "friends"
    assert result["since"] == NOW + timedelta(minutes=1)
    page = friends.list_friends(uow, a.id, None, 10).items
    assert [f.user_id for f in page] == [b.external_id]
    assert friends.incoming_requests(uow, a.id, None, 10).items == []


def test_asking_twice_changes_nothing(session, uow):
    a, b = UserFactory(), UserFactory()
    friends.request_friend(uow, a.id, b.external_id, NOW)
    assert friends.request_friend(uow, a.id, b.external_id, NOW)["status"] == "requested"
    assert len(friends.incoming_requests(uow, b.id, None, 10).items) == 1


def test_nobody_can_befriend_themselves(session, uow):
    a = UserFactory()
    with pytest.raises(CannotBefriendSelf):
        friends.request_friend(uow, a.id, a.external_id, NOW)


def test_unfriending_ends_the_friendship_for_both(session, uow):
    a, b = UserFactory(), UserFactory()
    FriendshipFactory(a=a, b=b)
    friends.unfriend(uow, a.id, b.external_id)
    assert friends.list_friends(uow, b.id, None, 10).items == []
    with pytest.raises(FriendshipNotFound):
        friends.unfriend(uow, b.id, a.external_id)


def test_friends_are_listed_by_pages(session, uow):
    me = UserFactory()
    others = [UserFactory() for _ in range(5)]
    for o in others:
        FriendshipFactory(a=me, b=o)
    first = friends.list_friends(uow, me.id, None, 3)
    second = friends.list_friends(uow, me.id, first.next_key, 3)
    assert [f.user_id for f in first.items + second.items] == [o.external_id for o in others]
    assert second.next_key is None


def test_leaderboard_ranks_me_and_friends_by_energy_collected_and_stolen(session, uow):
    from carbon.services.balls import collect_ball

    me, rich, idle = UserFactory(), UserFactory(), UserFactory()
    FriendshipFactory(a=me, b=rich)
    FriendshipFactory(a=me, b=idle)
    mine = ripe_ball(session, me.id, 40)
    theirs = ripe_ball(session, rich.id, 90)
    collect_ball(uow, me.id, mine, NOW)
    collect_ball(uow, rich.id, theirs, NOW)
    board = friends.leaderboard(uow, me.id, "Asia/Shanghai", "day", NOW)
    assert [(i["rank"], i["energy_g"], i["me"]) for i in board["items"]] == [
        (1, 90, False), (2, 40, True), (3, 0, False)]
    tomorrow = friends.leaderboard(uow, me.id, "Asia/Shanghai", "day", NOW + timedelta(days=1))
    assert [i["energy_g"] for i in tomorrow["items"]] == [0, 0, 0]
    week = friends.leaderboard(uow, me.id, "Asia/Shanghai", "week", NOW + timedelta(days=1))
    assert [i["energy_g"] for i in week["items"]] == [90, 40, 0]
