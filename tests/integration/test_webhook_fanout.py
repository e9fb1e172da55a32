"""Partner facts become webhook deliveries in the transaction that writes them: once per
event and endpoint, to the partner the data names, and never for a rolled-back change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from carbon.services import outbox, webhooks
from carbon.webhook_models import WebhookDelivery
from game.farm.services import charity, donation_records
from game.forest.services import decisions
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.farm import CharityProjectFactory, FarmFactory
from tests.factories.forest import PartnerFactory, ProjectFactory
from tests.factories.transparency import EVIDENCE, group_order, pending_order

ALL = ["planting.ordered", "planting.confirmed", "planting.rejected",
       "donation_record.created", "donation_record.confirmed"]


def hook(uow, partner, types=ALL, url="http://127.0.0.1:9/hook"):
    return webhooks.add_endpoint(uow, partner.name, url, types, NOW)


def deliveries(session, **where) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(WebhookDelivery, name) == value)
    return list(session.scalars(stmt))


def test_an_order_reaches_its_projects_partner_and_no_other(session, uow):
    mine, other = PartnerFactory(), PartnerFactory()
    endpoint, _ = hook(uow, mine), hook(uow, other)
    order, project = pending_order(session, uow, quantity=2,
                                   project=ProjectFactory(partner=mine, budget=10))
    [d] = deliveries(session)
    assert (d.endpoint_id, d.partner_id, d.event_type, d.status) == (
        endpoint.id, mine.id, "planting.ordered", "pending")
    assert d.data == {"order_id": order.id, "project_id": project.id, "group_id": None,
                      "quantity": 2, "energy_g": 200}
    assert d.next_attempt_at == NOW and d.attempts == 0


def test_a_group_order_is_one_event_though_each_member_is_told(session, uow):
    partner = PartnerFactory()
    hook(uow, partner)
    # group_order's project has its own partner: point a hook at that one too.
    order_id, project, group_id = group_order(session, uow, members=3)
    hook(uow, session.get(type(partner), project.partner_id))
    assert deliveries(session) == []  # registered after the order: only later events
    decisions.confirm(uow, project.partner_id, order_id, EVIDENCE, NOW)
    [d] = deliveries(session)
    assert (d.event_type, d.data) == ("planting.confirmed",
                                      {"order_id": order_id, "group_id": group_id})


def test_ordered_then_confirmed_or_rejected_are_separate_events(session, uow):
    partner = PartnerFactory()
    hook(uow, partner)
    project = ProjectFactory(partner=partner, budget=10)
    kept, _ = pending_order(session, uow, project=project)
    refused, _ = pending_order(session, uow, project=project)
    decisions.confirm(uow, partner.id, kept.id, EVIDENCE, NOW)
    decisions.confirm(uow, partner.id, kept.id, EVIDENCE, NOW)  # again: changes nothing
    decisions.reject(uow, partner.id, refused.id, "flooded plot", NOW)
    got = [(d.event_type, d.data["order_id"]) for d in deliveries(session)]
    assert got == [("planting.ordered", kept.id), ("planting.ordered", refused.id),
                   ("planting.confirmed", kept.id), ("planting.rejected", refused.id)]
    assert deliveries(session, event_type="planting.rejected")[0].data["reason"] == "flooded plot"


def test_only_the_event_types_an_endpoint_asked_for(session, uow):
    partner = PartnerFactory()
    hook(uow, partner, ["planting.confirmed"])
    order, _ = pending_order(session, uow, project=ProjectFactory(partner=partner, budget=5))
    assert deliveries(session) == []
    decisions.confirm(uow, partner.id, order.id, EVIDENCE, NOW)
    assert [d.event_type for d in deliveries(session)] == ["planting.confirmed"]


def test_donation_records_reach_the_charity_of_the_project(session, uow):
    project = CharityProjectFactory(egg_target=2)
    planting_partner = PartnerFactory()
    hook(uow, planting_partner)
    endpoint = hook(uow, session.get(type(planting_partner), project.partner_id))
    user = UserFactory()
    FarmFactory(user=user, eaten_g=900 * 5)
    charity.donate(uow, user.id, project.id, 1, NOW)  # crosses no target: no record
    assert deliveries(session) == []
    gift = charity.donate(uow, user.id, project.id, 4, NOW)  # 5 eggs: records 1 and 2
    [created] = deliveries(session)
    assert (created.endpoint_id, created.event_type) == (endpoint.id, "donation_record.created")
    assert created.data == {"donation_id": gift.id, "project_id": project.id,
                            "record_sequences": [1, 2]}
    record_id = donation_records.partner_records(uow, project.partner_id, None, None, 1).items[0].id
    donation_records.confirm_record(uow, project.partner_id, record_id, "RCPT-1", NOW)
    [_, confirmed] = deliveries(session)
    assert confirmed.data == {"record_id": record_id, "project_id": project.id,
                              "reference": "RCPT-1"}


def test_a_rolled_back_fact_leaves_no_delivery(session, uow):
    partner = PartnerFactory()
    hook(uow, partner)
    with uow:
        outbox.record(uow.session, "planting_ordered", NOW, partner_id=partner.id, order_id=7,
                      project_id=1, quantity=1, energy_g=100)
        assert len(deliveries(uow.session)) == 1  # written with the fact ...
    assert deliveries(session) == []  # ... and gone with it


def test_a_removed_endpoint_gets_nothing_more_and_its_pending_ones_are_cancelled(session, uow):
    partner = PartnerFactory()
    endpoint = hook(uow, partner)
    project = ProjectFactory(partner=partner, budget=5)
    pending_order(session, uow, project=project)
    assert webhooks.remove_endpoint(uow, endpoint.id) == 1
    pending_order(session, uow, project=project)
    assert [d.status for d in deliveries(session)] == ["cancelled"]
    with pytest.raises(Exception, match="No webhook endpoint"):
        webhooks.remove_endpoint(uow, endpoint.id)
