"""Real concurrency on PostgreSQL: confirmations committed at the same instant keep the public
log one straight chain (the advisory lock serializes appends)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from game.farm.services.donation_records import confirm_record
from game.forest.services import decisions, plantings
from game.transparency.domain import GENESIS_HASH
from game.transparency.models import PublicLogEntry
from game.transparency.services import verify_chain
from tests.conftest import NOW
from tests.factories import UserFactory, bind_factories
from tests.factories.farm import CharityProjectFactory
from tests.factories.forest import PartnerFactory, ProjectFactory, give_energy
from tests.factories.transparency import EVIDENCE, DonationRecordFactory
from tests.integration.test_forest_races import all_at_once

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (real concurrent transactions)")


def arrange(engine, committed_uow, orders: int):
    """`orders` pending orders of 2 trees for one partner, and one pending donation record."""
    s = sessionmaker(bind=engine, expire_on_commit=False)()
    bind_factories(s)
    project = ProjectFactory(partner=PartnerFactory(), energy_cost_g=100, budget=1000)
    charity = CharityProjectFactory()
    record = DonationRecordFactory(project=charity)
    users = [UserFactory() for _ in range(orders)]
    for u in users:
        give_energy(s, u.id, 200)
    s.commit()
    s.close()
    ids = [plantings.plant(committed_uow, u.id, project.id, 2, NOW).id for u in users]
    return project.partner_id, ids, charity.partner_id, record.id


def test_concurrent_confirmations_rejections_and_donations_keep_one_linear_chain(
        engine, committed_uow):
    planter, orders, charity, record = arrange(engine, committed_uow, 8)
    confirms = [lambda uow, o=o: decisions.confirm(uow, planter, o, EVIDENCE, NOW)
                for o in orders[:6]]
    rejects = [lambda uow, o=o: decisions.reject(uow, planter, o, "flood", NOW)
               for o in orders[6:]]
    twice = [lambda uow: decisions.confirm(uow, planter, orders[0], EVIDENCE, NOW),
             lambda uow: confirm_record(uow, charity, record, "BANK-1", NOW),
             lambda uow: confirm_record(uow, charity, record, "BANK-1", NOW)]
    results = all_at_once(engine, confirms + rejects + twice)
    assert not [r for r in results if isinstance(r, Exception)], results
    with committed_uow:
        entries = committed_uow.session.execute(
            select(PublicLogEntry.seq, PublicLogEntry.kind, PublicLogEntry.prev_hash,
                   PublicLogEntry.hash).order_by(PublicLogEntry.seq)).all()
    assert [e.seq for e in entries] == list(range(1, 6 * 2 + 2 + 1 + 1))
    assert [e.prev_hash for e in entries] == [GENESIS_HASH] + [e.hash for e in entries[:-1]]
    kinds = [e.kind for e in entries]
    assert (kinds.count("certificate_issued"), kinds.count("planting_rejected"),
            kinds.count("donation_confirmed")) == (12, 2, 1)
    assert verify_chain(committed_uow) == []
