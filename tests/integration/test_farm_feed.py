"""Feed earned by activity after each nightly settlement: 180 g per offline payment, 4 a day."""

from datetime import date, timedelta

from sqlalchemy import select

from game.daily import AFTER_SETTLEMENT
from game.farm.models import FeedGrant
from game.farm.services.chicken import farm_state
from game.farm.services.feed import grant_activity_feed
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.carbon import ActivityEventFactory
from tests.factories.farm import FarmFactory

DAY = date(2026, 3, 10)  # NOW is noon of this day in Shanghai


def payments(user, n, when=NOW, type_="offline_payment"):
    for _ in range(n):
        ActivityEventFactory(user=user, occurred_at=when, activity_type=type_)


def test_the_feed_hook_runs_after_every_settlement():
    assert "game.farm.services.feed:grant_activity_feed" in AFTER_SETTLEMENT


def test_each_payment_earns_180_g_up_to_four_a_day_once(uow, session):
    busy, light = UserFactory(), UserFactory()
    payments(busy, 6)
    payments(light, 2)
    assert grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW) == 720 + 360
    assert grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW) == 0
    assert farm_state(uow, busy.id, NOW).feed_store_g == 720
    assert farm_state(uow, light.id, NOW).feed_store_g == 360


def test_only_that_zone_that_day_and_that_activity_count(uow, session):
    elsewhere = UserFactory(timezone="Europe/Paris")
    payments(elsewhere, 1)
    yesterday = UserFactory()
    payments(yesterday, 1, when=NOW - timedelta(days=1))
    walker = UserFactory()
    payments(walker, 1, type_="metro_ride")
    assert grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW) == 0


def test_an_event_with_a_quantity_of_three_counts_three_payments(uow, session):
    user = UserFactory()
    ActivityEventFactory(user=user, occurred_at=NOW, quantity=3)
    assert grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW) == 540


def test_a_full_store_loses_the_overflow_and_the_grant_records_it(uow, session):
    user = UserFactory()
    FarmFactory(user=user, feed_store_g=1_700)
    payments(user, 4)
    assert grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW) == 720
    grant = session.scalars(select(FeedGrant).where(FeedGrant.user_id == user.id)).one()
    assert (grant.units, grant.feed_g, grant.lost_g) == (4, 720, 620)
    assert farm_state(uow, user.id, NOW).feed_store_g == 1_800


def test_users_are_granted_in_batches(uow, session, monkeypatch):
    monkeypatch.setattr("game.farm.services.feed.BATCH_USERS", 2)
    users = [UserFactory() for _ in range(5)]
    for u in users:
        payments(u, 1)
    assert grant_activity_feed(uow, DAY, "Asia/Shanghai", NOW) == 5 * 180
    assert {farm_state(uow, u.id, NOW).feed_store_g for u in users} == {180}
