from datetime import timedelta

import pytest

from carbon.errors import InsufficientEnergy
from carbon.services import ledger
from db.paging import Page
from game.forest.errors import (
    BudgetExhausted,
    DutyAlreadyExchanged,
    InvalidEvidence,
    NotEnoughCertificates,
    OrderAlreadyDecided,
    OrderNotFound,
    ProjectClosed,
)
from game.forest.models import Project
from game.forest.services import certificates, decisions, plantings, projects
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.forest import PartnerFactory, ProjectFactory, give_energy

EVIDENCE = {"planted_at": NOW - timedelta(days=1), "latitude": 39.5, "longitude": 105.7,
            "plot": "A-17", "photo_urls": ["https://example.org/a.jpg"], "note": "spring"}


def plantings_net(session) -> int:
    from sqlalchemy import func, select

    from carbon.models import LedgerEntry

    acct = ledger.account(session, "plantings")
    return session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_g), 0))
                          .where(LedgerEntry.account_id == acct))


def test_planting_takes_the_energy_and_the_budget(session, uow):
    user, project = UserFactory(), ProjectFactory(energy_cost_g=100, budget=5)
    give_energy(session, user.id, 350)
    order = plantings.plant(uow, user.id, project.id, 3, NOW)
    assert (order.status, order.quantity, order.energy_g) == ("pending", 3, 300)
    assert ledger.available_balance(session, user.id) == 50
    session.refresh(project)
    assert project.budget == 2
    assert plantings_net(session) == 300


def test_not_enough_energy_refuses_and_takes_nothing(session, uow):
    user, project = UserFactory(), ProjectFactory(energy_cost_g=100, budget=5)
    give_energy(session, user.id, 99)
    with pytest.raises(InsufficientEnergy):
        plantings.plant(uow, user.id, project.id, 1, NOW)
    session.refresh(project)
    assert (ledger.available_balance(session, user.id), project.budget) == (99, 5)
    assert plantings.my_orders(uow, user.id, None, 10) == Page([], None)


def test_no_budget_refuses_and_takes_nothing(session, uow):
    user, project = UserFactory(), ProjectFactory(energy_cost_g=100, budget=1)
    give_energy(session, user.id, 1000)
    with pytest.raises(BudgetExhausted, match="1 trees left"):
        plantings.plant(uow, user.id, project.id, 2, NOW)
    assert ledger.available_balance(session, user.id) == 1000


def test_a_closed_project_refuses_plantings(session, uow):
    user, project = UserFactory(), ProjectFactory(status="closed")
    give_energy(session, user.id, 1000)
    with pytest.raises(ProjectClosed):
        plantings.plant(uow, user.id, project.id, 1, NOW)


def test_confirming_issues_one_numbered_certificate_per_tree(session, uow):
    user, project = UserFactory(), ProjectFactory(energy_cost_g=100)
    give_energy(session, user.id, 200)
    order = plantings.plant(uow, user.id, project.id, 2, NOW)
    done = decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    assert done.status == "planted"
    assert done.certificates == ["CNP-2026-000001", "CNP-2026-000002"]
    assert done.evidence["latitude"] == 39.5 and done.evidence["plot"] == "A-17"
    again = decisions.confirm(uow, project.partner_id, order.id,
                              {**EVIDENCE, "plot": "other"}, NOW + timedelta(hours=1))
    assert again == done
    mine = certificates.list_certificates(uow, user.id, None, 10).items
    assert [c.number for c in mine] == done.certificates
    assert certificates.trees_planted(session, user.id) == 2


def test_a_reserve_order_issues_one_certificate_for_its_square_metres(session, uow):
    user, project = UserFactory(), ProjectFactory(kind="reserve", energy_cost_g=10)
    give_energy(session, user.id, 50)
    order = plantings.plant(uow, user.id, project.id, 5, NOW)
    done = decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    mine = certificates.list_certificates(uow, user.id, None, 10).items
    assert [(c.kind, c.quantity) for c in mine] == [("reserve", 5)]
    assert len(done.certificates) == 1


def test_rejecting_refunds_the_energy_and_restores_the_budget(session, uow):
    user, project = UserFactory(), ProjectFactory(energy_cost_g=100, budget=3)
    give_energy(session, user.id, 100)
    order = plantings.plant(uow, user.id, project.id, 1, NOW)
    done = decisions.reject(uow, project.partner_id, order.id, "drought", NOW)
    assert (done.status, done.reject_reason) == ("rejected", "drought")
    session.refresh(project)
    assert (ledger.available_balance(session, user.id), project.budget) == (100, 3)
    assert plantings_net(session) == 0
    assert decisions.reject(uow, project.partner_id, order.id, "again", NOW) == done
    with pytest.raises(OrderAlreadyDecided):
        decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)


def test_a_planted_order_cannot_be_rejected(session, uow):
    user, project = UserFactory(), ProjectFactory(energy_cost_g=100)
    give_energy(session, user.id, 100)
    order = plantings.plant(uow, user.id, project.id, 1, NOW)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    with pytest.raises(OrderAlreadyDecided):
        decisions.reject(uow, project.partner_id, order.id, "oops", NOW)
    assert ledger.available_balance(session, user.id) == 0


def test_a_partner_cannot_see_or_touch_another_partners_orders(session, uow):
    user, project, stranger = UserFactory(), ProjectFactory(), PartnerFactory()
    give_energy(session, user.id, 100)
    order = plantings.plant(uow, user.id, project.id, 1, NOW)
    assert decisions.partner_orders(uow, stranger.id, None, None, 10) == Page([], None)
    with pytest.raises(OrderNotFound):
        decisions.confirm(uow, stranger.id, order.id, EVIDENCE, NOW)
    with pytest.raises(OrderNotFound):
        decisions.reject(uow, stranger.id, order.id, "no", NOW)
    pending = decisions.partner_orders(uow, project.partner_id, "pending", None, 10).items
    assert [o.id for o in pending] == [order.id]


def test_evidence_in_the_future_or_off_the_globe_is_refused(session, uow):
    user, project = UserFactory(), ProjectFactory()
    give_energy(session, user.id, 100)
    order = plantings.plant(uow, user.id, project.id, 1, NOW)
    with pytest.raises(InvalidEvidence) as refused:
        decisions.confirm(uow, project.partner_id, order.id,
                          {**EVIDENCE, "planted_at": NOW + timedelta(minutes=1),
                           "latitude": 91.0}, NOW)
    assert set(refused.value.errors) == {"planted_at", "latitude"}


def _planted_trees(session, uow, user, count, planted_at=EVIDENCE["planted_at"], kind="tree"):
    project = ProjectFactory(energy_cost_g=10, kind=kind)
    give_energy(session, user.id, 10 * count)
    order = plantings.plant(uow, user.id, project.id, count, NOW)
    decisions.confirm(uow, project.partner_id, order.id, {**EVIDENCE, "planted_at": planted_at},
                      NOW)


def test_three_tree_certificates_of_a_year_make_one_duty_certificate(session, uow):
    user = UserFactory()
    _planted_trees(session, uow, user, 4)
    duty = certificates.exchange_for_duty(uow, user.id, 2026, NOW)
    assert duty["number"] == "DUTY-2026-000001" and len(duty["exchanged"]) == 3
    with pytest.raises(DutyAlreadyExchanged):
        certificates.exchange_for_duty(uow, user.id, 2026, NOW)
    mine = certificates.list_certificates(uow, user.id, None, 10).items
    assert sum(1 for c in mine if c.used_for == duty["number"]) == 3


def test_reserve_certificates_and_other_years_do_not_count_for_duty(session, uow):
    user = UserFactory()
    _planted_trees(session, uow, user, 2)
    _planted_trees(session, uow, user, 3, kind="reserve")
    _planted_trees(session, uow, user, 1, planted_at=NOW.replace(year=2025))
    with pytest.raises(NotEnoughCertificates, match="you have 2"):
        certificates.exchange_for_duty(uow, user.id, 2026, NOW)


def test_default_projects_are_seeded_once_with_a_default_partner(session, uow):
    assert projects.seed_default_projects(uow, NOW) == 6
    assert projects.seed_default_projects(uow, NOW) == 0
    saxaul = session.query(Project).filter_by(code="saxaul").one()
    assert (saxaul.energy_cost_g, saxaul.kind) == (17_900, "tree")
    reserve = session.query(Project).filter_by(code="demo-reserve").one()
    assert (reserve.energy_cost_g, reserve.kind) == (1_000, "reserve")
