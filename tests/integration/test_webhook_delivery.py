"""Webhooks sent to a real HTTP receiver on 127.0.0.1: signed and verifiable with the README's
snippet, retried with backoff when it fails or hangs, dead-lettered after 3 days, and a slow
or dead endpoint never holds up another's deliveries."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from carbon.services import outbox, webhook_deliveries, webhooks
from carbon.services.webhook_sending import DeliverySettings, deliver_due
from carbon.webhook_models import WebhookDelivery
from tests.conftest import NOW
from tests.factories.forest import PartnerFactory
from tests.webhook_receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
FAST = DeliverySettings(batch=50, per_endpoint=10, lease=timedelta(minutes=5),
                        connect_timeout_s=1, read_timeout_s=0.5, senders=1)


def readme_verifier():
    """The verification snippet as documented (README, or the note the README is made from)."""
    for doc in ("README.md", "docs-notes/webhooks.md"):
        path = ROOT / doc
        found = path.exists() and re.search(r"```python\n(# Verify a Canopy webhook.*?)```",
                                            path.read_text(encoding="utf-8"), re.S)
        if found:
            namespace: dict = {}
            exec(compile(found.group(1), str(path), "exec"), namespace)  # the documented code
            return namespace["verify_canopy_webhook"]
    pytest.fail("no webhook verification snippet in README.md or docs-notes/webhooks.md")


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def now() -> datetime:
    return datetime.now(UTC)


def tell(session, partner, orders, at=None) -> None:
    for order_id in orders:
        outbox.record(session, "planting_ordered", at or now(), partner_id=partner.id,
                      order_id=order_id, project_id=1, quantity=1, energy_g=100)


def endpoint_for(uow, partner, receiver, path="/hook"):
    return webhooks.add_endpoint(uow, partner.name, receiver.url(path), ["planting.ordered"],
                                 NOW)


def deliver(uow, settings=FAST):
    return deliver_due(lambda: uow, now, settings, draw=lambda: 0.5)


def rows(session) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_delivery_is_signed_and_verifies_with_the_readme_snippet(session, uow, receiver,
                                                                    clock):
    partner = PartnerFactory()
    endpoint_for(uow, partner, receiver)
    tell(session, partner, [41])
    assert deliver(uow) == {"delivered": 1}
    [(path, headers, body)] = receiver.received
    event = json.loads(body)
    assert path == "/hook" and headers["Content-Type"] == "application/json"
    assert event == {"id": int(headers["Canopy-Event-Id"]), "type": "planting.ordered",
                     "occurred_at": "2026-03-10T04:00:00Z",
                     "data": {"order_id": 41, "project_id": 1, "group_id": None,
                              "quantity": 1, "energy_g": 100}}
    assert headers["Canopy-Timestamp"] == str(int(NOW.timestamp()))
    verify = readme_verifier()
    assert verify(partner.secret, headers, body)
    assert not verify(partner.secret, headers, body.replace(b"41", b"42"))
    assert not verify("another secret", headers, body)
    clock.shift(timedelta(minutes=6))
    assert not verify(partner.secret, headers, body)  # a replay, later, is refused
    [d] = rows(session)
    assert (d.status, d.attempts, d.last_status_code, d.delivered_at) == (
        "delivered", 1, 204, NOW)


def test_a_failing_receiver_is_tried_again_after_a_backoff(session, uow, receiver, clock):
    partner = PartnerFactory()
    endpoint_for(uow, partner, receiver)
    tell(session, partner, [1])
    receiver.mode = "fail"
    assert deliver(uow) == {"retry": 1}
    [d] = rows(session)
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == (
        "pending", 1, 500, "HTTP 500")
    assert d.next_attempt_at == NOW + timedelta(seconds=22)  # 30 s, jitter drawn at 0.5
    clock.shift(timedelta(seconds=10))
    assert deliver(uow) == {}  # not due yet
    receiver.mode = "ok"
    clock.shift(timedelta(seconds=30))
    assert deliver(uow) == {"delivered": 1}
    assert receiver.hits == 2 and len(receiver.received) == 1
    assert rows(session)[0].attempts == 2


def test_a_receiver_that_hangs_past_the_read_timeout_is_tried_again(session, uow, clock):
    receiver = Receiver(slow_s=1.5)
    try:
        partner = PartnerFactory()
        endpoint_for(uow, partner, receiver)
        tell(session, partner, [1])
        receiver.mode = "slow"
        assert deliver(uow) == {"retry": 1}
        [d] = rows(session)
        assert (d.status, d.last_status_code, d.last_error) == ("pending", None, "timed out")
    finally:
        receiver.stop()


def test_a_receiver_down_for_an_hour_receives_everything_once_when_back(session, uow, receiver,
                                                                       clock):
    partner = PartnerFactory()
    endpoint_for(uow, partner, receiver)
    receiver.stop()
    for minute in range(60):  # events keep happening while it is down
        if minute % 10 == 0:
            tell(session, partner, [1000 + minute, 2000 + minute])
        deliver(uow)
        clock.shift(timedelta(minutes=1))
    assert receiver.received == [] and {d.status for d in rows(session)} == {"pending"}
    receiver.start()
    back = now()
    while len(receiver.received) < 12 and now() < back + timedelta(hours=1):
        deliver(uow)
        clock.shift(timedelta(minutes=1))
    expected = sorted(str(d.event_id) for d in rows(session))
    assert sorted(receiver.event_ids()) == expected and len(set(expected)) == 12
    assert {d.status for d in rows(session)} == {"delivered"}
    for _ in range(30):  # nothing is sent twice afterwards
        deliver(uow)
        clock.shift(timedelta(minutes=10))
    assert len(receiver.received) == 12


def test_a_receiver_back_after_a_day_gets_its_backlog_within_minutes(session, uow, receiver,
                                                                      clock):
    partner = PartnerFactory()
    endpoint_for(uow, partner, receiver)
    tell(session, partner, [1, 2, 3])
    receiver.stop()
    for _ in range(24 * 12):  # a day, a round every 5 minutes: tries pile up per delivery
        deliver(uow)
        clock.shift(timedelta(minutes=5))
    assert max(d.attempts for d in rows(session)) >= 8  # each now waits hours between tries
    receiver.start()
    for _ in range(4):  # 20 minutes: the endpoint's backoff (15 min at most) ends, it recovers
        deliver(uow)
        clock.shift(timedelta(minutes=5))
    assert sorted(receiver.event_ids()) == sorted(str(d.event_id) for d in rows(session))
    assert {d.status for d in rows(session)} == {"delivered"}


def test_after_three_days_of_failures_a_delivery_is_dead_lettered_and_can_be_redelivered(
        session, uow, receiver, clock):
    partner = PartnerFactory()
    endpoint_for(uow, partner, receiver)
    tell(session, partner, [7])
    receiver.mode = "fail"
    for _ in range(80):
        deliver(uow)
        clock.shift(timedelta(hours=1))
    [d] = rows(session)
    assert d.status == "dead" and d.last_attempt_at >= NOW + timedelta(days=3)
    assert 10 < d.attempts < 30  # backed off: about 20 tries in 3 days, not 80
    dead = webhook_deliveries.list_deliveries(uow, partner.id, "dead", None, 10).items
    assert [x.id for x in dead] == [d.id]
    receiver.mode = "ok"
    again = webhook_deliveries.redeliver(uow, partner.id, d.id, now())
    assert again.status == "pending" and again.expires_at == now() + timedelta(days=3)
    assert deliver(uow) == {"delivered": 1}
    assert receiver.event_ids() == [str(d.event_id)]


def test_a_delivered_event_redelivered_comes_again_with_the_same_event_id(session, uow,
                                                                         receiver, clock):
    partner, stranger = PartnerFactory(), PartnerFactory()
    endpoint_for(uow, partner, receiver)
    tell(session, partner, [5])
    deliver(uow)
    [d] = rows(session)
    with pytest.raises(Exception, match="No webhook delivery"):
        webhook_deliveries.redeliver(uow, stranger.id, d.id, now())
    webhook_deliveries.redeliver(uow, partner.id, d.id, now())
    webhook_deliveries.redeliver(uow, partner.id, d.id, now())  # asking twice: still one send
    assert deliver(uow) == {"delivered": 1}
    assert receiver.event_ids() == [str(d.event_id)] * 2


def test_a_hanging_endpoint_costs_one_timeout_and_never_holds_up_another(session, uow, clock):
    slow, fine = Receiver(slow_s=1.5), Receiver()
    try:
        stuck, healthy = PartnerFactory(), PartnerFactory()
        endpoint_for(uow, stuck, slow)
        endpoint_for(uow, healthy, fine)
        slow.mode = "slow"
        tell(session, stuck, range(1, 9))
        tell(session, healthy, range(11, 19))
        assert deliver(uow) == {"retry": 1, "released": 7, "delivered": 8}
        assert slow.hits == 1 and len(fine.received) == 8
        clock.shift(timedelta(seconds=5))
        assert deliver(uow) == {}  # the stuck endpoint is in backoff, not probed every tick
        assert slow.hits == 1
    finally:
        slow.stop()
        fine.stop()


def test_one_endpoint_with_a_backlog_cannot_fill_the_batch(session, uow, clock):
    busy, quiet = Receiver(), Receiver()
    try:
        a, b = PartnerFactory(), PartnerFactory()
        endpoint_for(uow, a, busy)
        endpoint_for(uow, b, quiet)
        tell(session, a, range(1, 31))
        tell(session, b, [99])
        settings = DeliverySettings(batch=12, per_endpoint=5, connect_timeout_s=1,
                                    read_timeout_s=1, senders=1)
        assert deliver(uow, settings) == {"delivered": 6}
        assert (len(busy.received), len(quiet.received)) == (5, 1)
    finally:
        busy.stop()
        quiet.stop()
