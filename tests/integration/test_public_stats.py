"""The public figures come from counters the database keeps in the same statements that
change users, settled CO2e, confirmed tree plantings and donated eggs; they must equal the
figures scanned from the tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from carbon.services.settlement import settle_day
from carbon.services.users import ensure_users
from game.farm import repository as farm_repo
from game.forest.services import decisions
from game.stats.models import PublicCounterSlot
from game.stats.services import public_stats, recount, scanned_stats
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology
from tests.factories.farm import CharityProjectFactory
from tests.factories.forest import ProjectFactory
from tests.factories.transparency import EVIDENCE, pending_order

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # noon in Shanghai on DAY
AFTER_MIDNIGHT = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)
FACTORIES = ("the public counters are added by the services there (migration 0026 drops the "
             "triggers), and this test makes users, events and projects with factories, which "
             "no counter follows")


def decide(session, uow, quantity, kind="tree", confirm=True):
    order, project = pending_order(session, uow, quantity, project=ProjectFactory(kind=kind))
    if confirm:
        return decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    return decisions.reject(uow, project.partner_id, order.id, "flood", NOW)


def test_the_counters_equal_the_full_scans_after_a_realistic_mix(session, uow, not_on_citus):
    not_on_citus(FACTORIES)
    before = public_stats(uow)
    seed_methodology(uow)
    walkers = [UserFactory(timezone="Asia/Shanghai") for _ in range(3)]
    with uow:  # bulk creation as ingestion does it, one id already known
        ensure_users(uow.session, ["new-1", "new-2", walkers[0].external_id],
                     "Asia/Shanghai", NOW)
        uow.commit()
    for i, user in enumerate(walkers):
        for minute in range(i + 1):
            ActivityEventFactory(user=user, occurred_at=NOON + timedelta(minutes=minute))
    settle_day(uow, DAY, AFTER_MIDNIGHT)
    decide(session, uow, 3)
    decide(session, uow, 2, confirm=False)  # rejected: no trees
    decide(session, uow, 5, kind="reserve")  # square metres, not trees
    charity = CharityProjectFactory(eggs_donated=4)
    farm_repo.add_donated_eggs(session, charity.id, 6)

    after, scanned = public_stats(uow), scanned_stats(uow)
    assert after == scanned
    assert after["users"] - before["users"] == 3 + 2 + 3  # walkers, the two new ones, planters
    assert after["trees_planted"] - before["trees_planted"] == 3
    assert after["eggs_donated"] - before["eggs_donated"] == 10
    assert after["co2e_total_g"] > before["co2e_total_g"]


def test_confirming_an_order_again_does_not_count_its_trees_twice(session, uow, not_on_citus):
    not_on_citus(FACTORIES)
    order, project = pending_order(session, uow, 4)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    once = public_stats(uow)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    assert public_stats(uow) == once == scanned_stats(uow)


def test_a_settled_day_settled_again_adds_no_co2e(session, uow, not_on_citus):
    not_on_citus(FACTORIES)
    seed_methodology(uow)
    ActivityEventFactory(user=UserFactory(timezone="Asia/Shanghai"), occurred_at=NOON)
    settle_day(uow, DAY, AFTER_MIDNIGHT)
    once = public_stats(uow)
    settle_day(uow, DAY, AFTER_MIDNIGHT + timedelta(hours=1))
    assert public_stats(uow) == once == scanned_stats(uow)


def test_recount_rebuilds_counters_edited_by_hand(session, uow):
    UserFactory()
    session.execute(update(PublicCounterSlot).values(users=PublicCounterSlot.users + 1000))
    assert public_stats(uow) != scanned_stats(uow)
    assert recount(uow) == scanned_stats(uow) == public_stats(uow)
