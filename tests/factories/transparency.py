"""Arrangements for the public log: pending planting orders placed through the forest's own
service (so that every gram is in the ledger) and pending donation records."""

from __future__ import annotations

from datetime import timedelta

import factory

from game.farm.models import DonationRecord
from game.forest.services import groups, plantings
from tests.conftest import NOW
from tests.factories import UserFactory, register
from tests.factories.farm import CharityProjectFactory
from tests.factories.forest import FriendshipFactory, ProjectFactory, give_energy

EVIDENCE = {"planted_at": NOW - timedelta(days=1), "latitude": 39.512345, "longitude": 105.7,
            "plot": "A-17", "photo_urls": ["https://example.org/a.jpg"], "note": "spring"}


@register
class DonationRecordFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A pending donation record of a charity project (as a crossed egg target leaves it)."""

    class Meta:
        model = DonationRecord
        sqlalchemy_session_persistence = "flush"
        exclude = ("project",)

    project = factory.SubFactory(CharityProjectFactory)
    project_id = factory.SelfAttribute("project.id")
    sequence = factory.Sequence(lambda n: n + 1)
    eggs = 5
    amount_fen = 250
    sponsor_name = "Green Sponsor Ltd"
    status = "pending"
    reference = None
    created_at = NOW


def pending_order(session, uow, quantity: int = 1, project=None, user=None, now=NOW):
    """A user's pending order for `quantity` trees; returns (order view, project)."""
    project = project or ProjectFactory(energy_cost_g=100, budget=1000)
    user = user or UserFactory()
    give_energy(session, user.id, project.energy_cost_g * quantity)
    return plantings.plant(uow, user.id, project.id, quantity, now), project


def group_order(session, uow, members: int = 3):
    """A co-planting group of `members` friends whose pot filled one 100 g tree; returns
    (order id, project, group id)."""
    owner, *others = [UserFactory() for _ in range(members)]
    project = ProjectFactory(energy_cost_g=100, budget=5)
    group_id = groups.create_group(uow, owner.id, "family", project.id, NOW)["id"]
    for other in others:
        FriendshipFactory(a=owner, b=other)
        groups.add_member(uow, owner.id, group_id, other.external_id, NOW)
        groups.add_member(uow, other.id, group_id, other.external_id, NOW)
    view = None
    for i, user in enumerate([owner, *others]):
        share = 100 // members + (100 % members if i == 0 else 0)
        give_energy(session, user.id, share)
        view = groups.contribute(uow, user.id, group_id, share, NOW)
    return view["order"]["id"], project, group_id
