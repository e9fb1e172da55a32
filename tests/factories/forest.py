"""Factories of the forest: partners, projects, friendships, and helpers to arrange ledgered
energy (balls issued through the carbon services, so that every gram is in the ledger)."""

from __future__ import annotations

from datetime import timedelta

import factory

from carbon.domain.account import BALL_LIFETIME
from carbon.models import Partner
from game.forest.domain import friend_pair
from game.forest.models import Friendship, Project
from tests.conftest import NOW
from tests.factories import UserFactory, register


@register
class PartnerFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Partner
        sqlalchemy_session_persistence = "flush"

    name = factory.Sequence(lambda n: f"planting-partner-{n}")
    key_id = factory.Sequence(lambda n: f"pk_test{n}")
    secret = "s" * 64
    scopes = "plantings"
    active = True
    created_at = NOW


@register
class ProjectFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Project
        sqlalchemy_session_persistence = "flush"
        exclude = ("partner",)

    partner = factory.SubFactory(PartnerFactory)
    partner_id = factory.SelfAttribute("partner.id")
    code = factory.Sequence(lambda n: f"project-{n}")
    name = "Saxaul"
    kind = "tree"
    region = "Alxa, Inner Mongolia"
    energy_cost_g = 100
    budget = 1000
    status = "open"
    created_at = NOW


@register
class FriendshipFactory(factory.alchemy.SQLAlchemyModelFactory):
    """Two users who are friends: FriendshipFactory(a=user1, b=user2)."""

    class Meta:
        model = Friendship
        sqlalchemy_session_persistence = "flush"
        exclude = ("a", "b")

    a = factory.SubFactory(UserFactory)
    b = factory.SubFactory(UserFactory)
    low_user_id = factory.LazyAttribute(lambda o: friend_pair(o.a.id, o.b.id)[0])
    high_user_id = factory.LazyAttribute(lambda o: friend_pair(o.a.id, o.b.id)[1])
    low_asked_at = NOW
    high_asked_at = NOW
    since = NOW


def give_energy(session, user_id: int, grams: int, now=NOW) -> None:
    """Credit a user's available energy from the system `issued` account (test arrangement)."""
    from carbon.services import ledger

    ledger.transfer(session, "test_grant", "test", user_id, ledger.account(session, ledger.ISSUED),
                    ledger.available_account(session, user_id), grams, now)
    session.flush()


def ripe_ball(session, user_id: int, energy_g: int = 100, ripe_at=NOW, stealable=True,
              kind="settlement", activity_type="offline_payment") -> int:
    """An open ball whose energy came from the `issued` account through the ledger."""
    from carbon.services import ledger
    from carbon.services.balls import issue_ball

    ball_id = issue_ball(session, user_id, kind, activity_type, ripe_at.date(), energy_g, ripe_at,
                         ripe_at + BALL_LIFETIME, stealable, ledger.account(session, ledger.ISSUED),
                         "test", f"ball-{user_id}", ripe_at - timedelta(hours=8))
    session.flush()
    return ball_id
