"""The outbox: each fact is written in the transaction of the change that makes it true, and
read back as each concerned user's feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from carbon.errors import BallNotRipe
from carbon.models import Ball
from carbon.outbox_models import OutboxEvent
from carbon.services import outbox
from game.farm.services.feed import credit_feed
from game.forest.models import GroupMember, Steal
from game.forest.services import decisions, friends, plantings, shields, steal, water
from game.forest.services import steal as steal_module
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.farm import FarmFactory
from tests.factories.forest import FriendshipFactory, give_energy, ripe_ball
from tests.factories.transparency import group_order, pending_order
from tests.integration.test_forest_plantings import EVIDENCE


def feed(uow, user, limit=50):
    return [(i["type"], i["user_id"], i["by_me"]) for i in outbox.feed(uow, user.id, None,
                                                                         limit).items]


def outbox_rows(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEvent))


@pytest.fixture
def pair(session):
    owner, thief = UserFactory(), UserFactory()
    FriendshipFactory(a=owner, b=thief)
    return owner, thief


def test_a_steal_shows_in_the_owners_feed_and_the_thiefs(session, uow, pair):
    owner, thief = pair
    ball = ripe_ball(session, owner.id, 51)
    steal.steal(uow, thief.id, owner.external_id, ball, NOW)
    item = outbox.feed(uow, owner.id, None, 10).items[0]
    assert (item["type"], item["user_id"], item["by_me"]) == ("energy_stolen",
                                                             thief.external_id, False)
    assert (item["ball_id"], item["energy_g"], item["at"]) == (ball, 11, NOW)
    assert feed(uow, thief) == [("energy_stolen", owner.external_id, True)]
    assert feed(uow, UserFactory()) == []


def test_an_exception_after_the_steal_rolls_back_the_steal_and_its_fact(session, uow, pair,
                                                                         monkeypatch):
    owner, thief = pair
    ball = ripe_ball(session, owner.id, 50)
    real = outbox.record

    def record_then_crash(*args, **kw):
        real(*args, **kw)
        raise RuntimeError("the process dies before the commit")

    monkeypatch.setattr(steal_module.outbox, "record", record_then_crash)
    with pytest.raises(RuntimeError):
        steal.steal(uow, thief.id, owner.external_id, ball, NOW)
    assert outbox_rows(session) == 0
    assert session.scalar(select(func.count()).select_from(Steal)) == 0
    assert session.get(Ball, ball, populate_existing=True).stolen_g == 0


def test_a_refused_steal_tells_nobody(session, uow, pair):
    owner, thief = pair
    ball = ripe_ball(session, owner.id, 50, ripe_at=NOW + timedelta(hours=1))
    with pytest.raises(BallNotRipe):
        steal.steal(uow, thief.id, owner.external_id, ball, NOW)
    assert outbox_rows(session) == 0


def test_watering_shows_in_the_watered_friends_feed(session, uow, pair):
    owner, friend = pair
    give_energy(session, friend.id, 100)
    done = water.water(uow, friend.id, "Asia/Shanghai", owner.external_id, 18, NOW)
    item = outbox.feed(uow, owner.id, None, 10).items[0]
    assert (item["type"], item["user_id"], item["ball_id"], item["energy_g"]) == (
        "watered", friend.external_id, done["ball_id"], 18)


def test_a_friend_request_and_its_acceptance_are_told_once(session, uow):
    a, b = UserFactory(), UserFactory()
    friends.request_friend(uow, a.id, b.external_id, NOW)
    friends.request_friend(uow, a.id, b.external_id, NOW + timedelta(minutes=1))  # again
    assert feed(uow, b) == [("friend_request", a.external_id, False)]
    friends.request_friend(uow, b.id, a.external_id, NOW + timedelta(minutes=2))
    friends.request_friend(uow, b.id, a.external_id, NOW + timedelta(minutes=3))  # again
    assert feed(uow, a) == [("friend_accepted", b.external_id, False),
                            ("friend_request", b.external_id, True)]


def test_a_confirmed_planting_brings_its_certificate_numbers(session, uow):
    user = UserFactory()
    order, project = pending_order(session, uow, quantity=2, user=user)
    done = decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)  # again: no new fact
    items = outbox.feed(uow, user.id, None, 10).items
    assert [i["type"] for i in items] == ["planting_confirmed", "planting_ordered"]
    assert items[0]["certificate_numbers"] == done.certificates
    assert items[0]["order_id"] == order.id and items[1]["energy_g"] == 200
    row = session.scalar(select(OutboxEvent).where(OutboxEvent.type == "planting_confirmed"))
    assert row.partner_id == project.partner_id  # a partner's deliverer can find it


def test_a_rejected_planting_tells_the_reason_and_the_refund(session, uow):
    user = UserFactory()
    order, project = pending_order(session, uow, quantity=1, user=user)
    decisions.reject(uow, project.partner_id, order.id, "drought", NOW)
    item = outbox.feed(uow, user.id, None, 10).items[0]
    assert (item["type"], item["reason"], item["refund_g"]) == ("planting_rejected",
                                                                "drought", 100)


def test_each_member_of_a_group_hears_the_pot_fill_and_gets_a_certificate(session, uow):
    order_id, project, group_id = group_order(session, uow, members=3)
    done = decisions.confirm(uow, project.partner_id, order_id, EVIDENCE, NOW)
    rows = session.execute(select(OutboxEvent.type, OutboxEvent.user_id, OutboxEvent.payload)
                           .order_by(OutboxEvent.id)).all()
    filled = [uid for t, uid, _ in rows if t == "group_pot_filled"]
    confirmed = {uid: p["certificate_numbers"] for t, uid, p in rows
                 if t == "planting_confirmed"}
    assert len(filled) == 3 and set(filled) == set(confirmed)
    assert sorted(n for ns in confirmed.values() for n in ns) == sorted(done.certificates)


def test_a_shield_granted_is_told_with_its_end(session, uow):
    user = UserFactory()
    shields.grant_shield(uow, user.external_id, 5, NOW)
    item = outbox.feed(uow, user.id, None, 10).items[0]
    assert (item["type"], item["hours"]) == ("shield_granted", 5)
    assert item["shield_until"] == (NOW + timedelta(hours=5)).isoformat()


def test_the_feed_pages_newest_first_past_the_first_page(session, uow):
    me = UserFactory()
    for minutes in range(5):
        outbox.record(session, "watered", NOW + timedelta(minutes=minutes), user_id=me.id)
    first = outbox.feed(uow, me.id, None, 2)
    second = outbox.feed(uow, me.id, first.next_key, 2)
    third = outbox.feed(uow, me.id, second.next_key, 2)
    ats = [i["at"] for p in (first, second, third) for i in p.items]
    assert ats == [NOW + timedelta(minutes=m) for m in (4, 3, 2, 1, 0)]
    assert third.next_key is None


def test_feed_granted_and_feed_lost_to_a_full_store_are_told(session, uow):
    roomy, full = UserFactory(), UserFactory()
    FarmFactory(user=full, feed_store_g=1_700)
    credited = credit_feed(session, NOW.date(), "offline_payment",
                           {roomy.id: (1, 180), full.id: (1, 180)}, NOW)
    credit_feed(session, NOW.date(), "offline_payment", {roomy.id: (1, 180)}, NOW)  # again
    assert credited[full.id].lost_g == 80
    granted = outbox.feed(uow, roomy.id, None, 10).items
    assert [(i["type"], i["feed_g"], i["lost_g"]) for i in granted] == [
        ("feed_granted", 180, 0)]
    lost = outbox.feed(uow, full.id, None, 10).items
    assert [(i["type"], i["feed_g"], i["lost_g"]) for i in lost] == [("feed_lost", 180, 80)]


def test_a_groups_order_appears_in_each_members_plantings(session, uow):
    order_id, _, group_id = group_order(session, uow, members=3)
    members = session.scalars(select(GroupMember.user_id).where(
        GroupMember.group_id == group_id)).all()
    assert len(members) == 3
    for uid in members:
        mine = plantings.my_orders(uow, uid, None, 10).items
        assert [(o.id, o.group_id) for o in mine] == [(order_id, group_id)]
    assert plantings.my_orders(uow, UserFactory().id, None, 10).items == []
