"""Friend requests to users Canopy has not seen yet: kept, bounded, delivered on arrival."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from carbon.errors import UserNotFound
from carbon.outbox_models import OutboxEvent
from carbon.services import outbox
from carbon.services.users import find_or_create_user
from game.forest.domain import MAX_AWAITED_REQUESTS
from game.forest.errors import TooManyAwaitedRequests
from game.forest.services import friends
from tests.conftest import NOW
from tests.factories import UserFactory


def feed(uow, user_id):
    return [(i["type"], i["user_id"], i["by_me"]) for i in outbox.feed(uow, user_id, None,
                                                                         50).items]


def test_a_request_to_an_unseen_user_is_delivered_when_they_first_arrive(session, uow):
    asker = UserFactory()
    kept = friends.request_friend(uow, asker.id, "newcomer", NOW)
    assert kept == {"user_id": "newcomer", "status": "requested", "since": None}
    friends.request_friend(uow, asker.id, "newcomer", NOW + timedelta(minutes=1))  # again
    newcomer = find_or_create_user(uow, "newcomer", "Asia/Shanghai", NOW + timedelta(days=1))
    asked = friends.incoming_requests(uow, newcomer.id, None, 10).items
    assert asked == [{"user_id": asker.external_id, "asked_at": NOW}]
    assert feed(uow, newcomer.id) == [("friend_request", asker.external_id, False)]
    assert friends.request_friend(uow, newcomer.id, asker.external_id, NOW)["status"] == \
        "friends"


def test_requests_kept_for_unseen_users_are_bounded_per_asker(session, uow):
    asker = UserFactory()
    for i in range(MAX_AWAITED_REQUESTS):
        friends.request_friend(uow, asker.id, f"later-{i}", NOW)
    friends.request_friend(uow, asker.id, "later-0", NOW)  # already kept: not refused
    with pytest.raises(TooManyAwaitedRequests):
        friends.request_friend(uow, asker.id, "one-too-many", NOW)
    with pytest.raises(UserNotFound):  # not an id anybody could have: never kept
        friends.request_friend(uow, UserFactory().id, "bad id/..", NOW)
    find_or_create_user(uow, "one-too-many", "Asia/Shanghai", NOW)
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
