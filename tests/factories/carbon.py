"""Factories of the carbon account's rows that tests insert directly (not through ingestion)."""

from __future__ import annotations

import factory

from carbon.domain.account import local_date_of
from carbon.models import ActivityEvent
from tests.conftest import NOW
from tests.factories import UserFactory, register


@register
class ActivityEventFactory(factory.alchemy.SQLAlchemyModelFactory):
    """An accepted event, stored as ingestion would store it: pass `user=` (its zone gives the
    local date of `occurred_at`) and, for utility bills, `dedupe_key=` the account_no."""

    class Meta:
        model = ActivityEvent
        sqlalchemy_session_persistence = "flush"
        exclude = ("user",)

    user = factory.SubFactory(UserFactory)
    user_id = factory.SelfAttribute("user.id")
    source = "test-source"
    source_event_id = factory.Sequence(lambda n: f"evt-{n}")
    activity_type = "offline_payment"
    quantity = 1
    occurred_at = NOW
    local_date = factory.LazyAttribute(lambda o: local_date_of(o.occurred_at, o.user.timezone))
    attributes = factory.LazyAttribute(
        lambda o: {"account_no": o.dedupe_key} if o.dedupe_key else {})
    payload_hash = factory.LazyAttribute(lambda o: f"hash-{o.source_event_id}")
    dedupe_key = None
    received_at = NOW


def seed_methodology(uow) -> None:
    """The default activity types and methodology versions (in force since 2000)."""
    from carbon.services.catalog import seed_default_methodology

    seed_default_methodology(uow, NOW)
