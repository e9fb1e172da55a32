"""factory-boy factories; `bind_factories(session)` points them at the test's session."""

from __future__ import annotations

import factory

from carbon import ball_ids
from carbon.models import Ball, User
from tests.conftest import NOW

ALL_FACTORIES: list[type[factory.alchemy.SQLAlchemyModelFactory]] = []


def bind_factories(session) -> None:
    for f in ALL_FACTORIES:
        f._meta.sqlalchemy_session = session


def register(cls):
    ALL_FACTORIES.append(cls)
    return cls


@register
class UserFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_persistence = "flush"

    external_id = factory.Sequence(lambda n: f"user-{n}")
    timezone = "Asia/Shanghai"
    co2e_total_g = 0
    created_at = NOW


@register
class BallFactory(factory.alchemy.SQLAlchemyModelFactory):
    """An open settlement ball, ripe at NOW by default. Its energy is NOT in the ledger:
    tests of the ledger issue balls through settlement or `issue_ball` instead."""

    class Meta:
        model = Ball
        sqlalchemy_session_persistence = "flush"
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    # An id of the "other balls" range of its date, in a half no sequence reaches in a test.
    id = factory.LazyAttributeSequence(
        lambda o, n: ball_ids.loose_range(o.local_date)[0] + ball_ids.LOOSE_SPAN // 2 + n)
    kind = "settlement"
    activity_type = "offline_payment"
    local_date = factory.LazyFunction(lambda: NOW.date())
    co2e_g = 50
    energy_g = 50
    remaining_g = factory.SelfAttribute("energy_g")
    stolen_g = 0
    collected_g = 0
    stealable = True
    status = "open"
    ripe_at = NOW
    expires_at = factory.LazyFunction(lambda: NOW.replace(year=NOW.year + 1))
    created_at = NOW


from tests.factories.carbon import ActivityEventFactory  # noqa: E402,F401  (registers itself)
