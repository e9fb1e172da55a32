from datetime import timedelta

import pytest

from carbon.services import ledger
from game.forest.errors import (
    BudgetExhausted,
    GroupNotFound,
    GroupNotOpen,
    NotFriends,
    NotGroupMember,
    PotOverflow,
)
from game.forest.services import certificates, decisions, groups
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.forest import FriendshipFactory, ProjectFactory, give_energy

EVIDENCE = {"planted_at": NOW - timedelta(days=1), "latitude": 39.5, "longitude": 105.7,
            "plot": "G-1", "photo_urls": [], "note": ""}


@pytest.fixture
def family(session, uow):
    """A group of three friends (mum, dad, kid) for a 100 g tree, everyone with 100 g."""
    mum, dad, kid = UserFactory(), UserFactory(), UserFactory()
    for other in (dad, kid):
        FriendshipFactory(a=mum, b=other)
    project = ProjectFactory(energy_cost_g=100, budget=5)
    group = groups.create_group(uow, mum.id, "family", project.id, NOW)
    for other in (dad, kid):
        groups.add_member(uow, mum.id, group["id"], other.external_id, NOW)
        groups.add_member(uow, other.id, group["id"], other.external_id, NOW)
    for u in (mum, dad, kid):
        give_energy(session, u.id, 100)
    return group["id"], project, (mum, dad, kid)


def test_filling_the_pot_places_one_order_and_members_get_certificates(session, uow, family):
    group_id, project, (mum, dad, kid) = family
    groups.contribute(uow, mum.id, group_id, 50, NOW)
    view = groups.contribute(uow, dad.id, group_id, 30, NOW)
    assert (view["pot_g"], view["status"], view["order"]) == (80, "open", None)
    view = groups.contribute(uow, kid.id, group_id, 20, NOW)
    assert (view["pot_g"], view["status"], view["order"]["status"]) == (0, "ordered", "pending")
    done = decisions.confirm(uow, project.partner_id, view["order"]["id"], EVIDENCE, NOW)
    assert len(done.certificates) == 3
    for u in (mum, dad, kid):
        mine = certificates.list_certificates(uow, u.id, None, 10).items
        assert [(c.kind, c.group_id) for c in mine] == [("tree", group_id)]
    assert groups.get_group(uow, kid.id, group_id)["status"] == "planted"


def test_a_rejected_group_order_refunds_each_member_what_they_gave(session, uow, family):
    group_id, project, (mum, dad, kid) = family
    groups.contribute(uow, mum.id, group_id, 70, NOW)
    order = groups.contribute(uow, dad.id, group_id, 30, NOW)["order"]
    decisions.reject(uow, project.partner_id, order["id"], "no water", NOW)
    balances = [ledger.available_balance(session, u.id) for u in (mum, dad, kid)]
    assert balances == [100, 100, 100]
    assert groups.get_group(uow, mum.id, group_id)["status"] == "rejected"
    session.refresh(project)
    assert project.budget == 5


def test_the_pot_never_takes_more_than_the_cost(session, uow, family):
    group_id, _, (mum, dad, _) = family
    groups.contribute(uow, mum.id, group_id, 90, NOW)
    with pytest.raises(PotOverflow, match="needs only 10 g"):
        groups.contribute(uow, dad.id, group_id, 11, NOW)
    assert ledger.available_balance(session, dad.id) == 100


def test_a_full_pot_without_budget_is_refused_and_takes_nothing(session, uow, family):
    group_id, project, (mum, dad, _) = family
    project.budget = 0
    session.flush()
    groups.contribute(uow, mum.id, group_id, 60, NOW)
    with pytest.raises(BudgetExhausted):
        groups.contribute(uow, dad.id, group_id, 40, NOW)
    assert groups.get_group(uow, mum.id, group_id)["pot_g"] == 60


def test_only_members_contribute_and_only_after_accepting(session, uow, family):
    group_id, _, (mum, _, _) = family
    outsider, invited = UserFactory(), UserFactory()
    FriendshipFactory(a=mum, b=invited)
    give_energy(session, invited.id, 100)
    with pytest.raises(NotGroupMember):
        groups.contribute(uow, outsider.id, group_id, 10, NOW)
    groups.add_member(uow, mum.id, group_id, invited.external_id, NOW)
    with pytest.raises(NotGroupMember):
        groups.contribute(uow, invited.id, group_id, 10, NOW)
    with pytest.raises(NotGroupMember):
        groups.add_member(uow, outsider.id, group_id, outsider.external_id, NOW)
    with pytest.raises(NotFriends):
        groups.add_member(uow, mum.id, group_id, outsider.external_id, NOW)
    with pytest.raises(GroupNotFound):
        groups.get_group(uow, outsider.id, group_id)


def test_an_ordered_group_takes_no_more_energy_or_members(session, uow, family):
    group_id, _, (mum, dad, kid) = family
    groups.contribute(uow, mum.id, group_id, 100, NOW)
    with pytest.raises(GroupNotOpen):
        groups.contribute(uow, dad.id, group_id, 1, NOW)
    newcomer = UserFactory()
    FriendshipFactory(a=mum, b=newcomer)
    with pytest.raises(GroupNotOpen):
        groups.add_member(uow, mum.id, group_id, newcomer.external_id, NOW)
