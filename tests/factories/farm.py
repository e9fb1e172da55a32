"""Factories of the farm: farms with feed or eggs already earned, charity projects, questions."""

from __future__ import annotations

import factory

from game.farm.models import CharityProject, Farm, QuizQuestion
from tests.conftest import NOW
from tests.factories import UserFactory, register
from tests.factories.forest import PartnerFactory


@register
class FarmFactory(factory.alchemy.SQLAlchemyModelFactory):
    """A farm with `feed_store_g` earned (and nothing lost) and `eaten_g` already folded in, so
    that it holds eaten_g // 900 eggs: FarmFactory(user=u, feed_store_g=360, eaten_g=1800)."""

    class Meta:
        model = Farm
        sqlalchemy_session_persistence = "flush"
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    feed_store_g = 0
    feed_earned_g = factory.SelfAttribute("feed_store_g")
    feed_lost_g = 0
    fed_g = 0
    trough_g = 0
    trough_at = NOW
    eaten_g = 0
    eggs_donated = 0
    meal_id = None
    created_at = NOW


@register
class CharityPartnerFactory(PartnerFactory):
    name = factory.Sequence(lambda n: f"charity-{n}")
    key_id = factory.Sequence(lambda n: f"pk_charity{n}")
    scopes = "donations"


@register
class CharityProjectFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = CharityProject
        sqlalchemy_session_persistence = "flush"
        exclude = ("partner",)

    partner = factory.SubFactory(CharityPartnerFactory)
    partner_id = factory.SelfAttribute("partner.id")
    name = "School lunches"
    sponsor_name = "Green Sponsor Ltd"
    fen_per_egg = 50
    egg_target = 5
    eggs_donated = 0
    status = "open"
    created_at = NOW


@register
class QuizQuestionFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = QuizQuestion
        sqlalchemy_session_persistence = "flush"

    question = factory.Sequence(lambda n: f"Question {n}: which is greener?")
    choices = factory.LazyFunction(lambda: ["The bus", "A private jet"])
    answer = "The bus"
    active = True
    created_at = NOW


def feed_accounts(uow, views: dict) -> tuple[int, int]:
    """(feed earned, store + troughs + eaten + lost to overflow) over a closed set of farms,
    given their FarmView by user id at one instant (closed: their chickens only visit one
    another). The two must always be equal."""
    from sqlalchemy import select

    with uow:
        rows = uow.session.execute(select(Farm.feed_earned_g, Farm.feed_lost_g)
                                   .where(Farm.user_id.in_(list(views)))).all()
    earned, lost = sum(r[0] for r in rows), sum(r[1] for r in rows)
    held = sum(v.feed_store_g + v.trough_g + v.eggs_laid * 900 + v.egg_progress
               for v in views.values())
    return earned, held + lost
