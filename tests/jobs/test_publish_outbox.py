"""The outbox's fan-out to a real RabbitMQ: a fact reaches a consumer bound to the exchange,
once per outbox id, and a broker that refuses or drops it leaves it to the next run."""

from __future__ import annotations

import socket

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from carbon.outbox_models import OutboxEvent
from carbon.services import outbox
from carbon.stream_models import StreamPosition
from game.forest.services import steal
from jobs.amqp import AmqpPublisher
from jobs.stream import publish_outbox
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.forest import FriendshipFactory, ripe_ball
from tests.jobs.broker import broker  # noqa: F401 (a fixture)
from tests.jobs.conftest import clock


@pytest.fixture
def publisher(broker):  # noqa: F811
    p = AmqpPublisher(broker.url, broker.exchange, timeout_s=5)
    yield p
    p.close()


def a_steal(session, uow):
    owner, thief = UserFactory(external_id="owner-7"), UserFactory(external_id="thief-3")
    FriendshipFactory(a=owner, b=thief)
    ball = ripe_ball(session, owner.id, 51)
    steal.steal(uow, thief.id, owner.external_id, ball, NOW)
    row = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "energy_stolen")).one()
    return row, ball


def mark(session, exchange: str) -> int | None:
    return session.scalar(select(StreamPosition.last_id).where(StreamPosition.stream == exchange))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_steal_reaches_a_consumer_once_across_two_runs(session, uow, broker, publisher):  # noqa: F811
    queue = broker.bind_queue("energy_stolen")
    row, ball = a_steal(session, uow)
    before = sample("canopy_stream_published_total")
    first = publish_outbox(lambda: uow, clock(NOW), publisher)
    second = publish_outbox(lambda: uow, clock(NOW), publisher)
    (got,) = broker.drain(queue)
    assert got.routing_key == "energy_stolen"
    assert got.body == {"schema_version": 1, "id": row.id, "type": "energy_stolen",
                        "occurred_at": "2026-03-10T04:00:00.000000Z", "user_id": "owner-7",
                        "other_user_id": "thief-3", "partner_id": None,
                        "payload": {"ball_id": ball, "energy_g": 11}}
    props = got.properties
    assert (props.message_id, props.type, props.delivery_mode) == (str(row.id), "energy_stolen", 2)
    assert props.content_type == "application/json" and props.headers["schema_version"] == 1
    assert (first.published, second.published, first.mark) == (1, 0, row.id)
    assert mark(session, broker.exchange) == row.id
    assert sample("canopy_stream_published_total") - before == 1
    assert sample("canopy_stream_lag_seconds") == 0


def test_a_message_no_queue_takes_stays_unsent_until_one_is_bound(session, uow, broker,  # noqa: F811
                                                                  publisher, json_logs):
    row, _ = a_steal(session, uow)
    failures = sample("canopy_stream_failures_total", reason="unroutable")
    refused = publish_outbox(lambda: uow, clock(NOW), publisher)
    assert (refused.published, refused.mark) == (0, 0)
    assert sample("canopy_stream_failures_total", reason="unroutable") - failures == 1
    assert sample("canopy_stream_lag_seconds") == 0  # occurred NOW, measured at NOW
    queue = broker.bind_queue()
    assert publish_outbox(lambda: uow, clock(NOW), publisher).published == 1
    assert [m.body["id"] for m in broker.drain(queue)] == [row.id]
    lines = [(x["level"], x.get("reason"), x.get("unsent"), x.get("published"))
             for x in json_logs() if x.get("stream") == broker.exchange]
    assert lines == [("warning", "unroutable", 1, 0), ("info", None, None, 1)]


def test_a_message_the_broker_nacks_is_sent_again_on_the_next_run(session, uow, broker,  # noqa: F811
                                                                 publisher):
    full = broker.bind_queue(**{"x-max-length": 0, "x-overflow": "reject-publish"})
    row, _ = a_steal(session, uow)
    assert publish_outbox(lambda: uow, clock(NOW), publisher).published == 0
    assert mark(session, broker.exchange) == 0
    broker.delete_queue(full)
    queue = broker.bind_queue()
    assert publish_outbox(lambda: uow, clock(NOW), publisher).published == 1
    assert [m.body["id"] for m in broker.drain(queue)] == [row.id]


def test_a_broker_that_is_down_leaves_the_rows_for_when_it_is_back(session, uow, broker):  # noqa: F811
    queue = broker.bind_queue()
    row, _ = a_steal(session, uow)
    down = AmqpPublisher("amqp://guest:guest@127.0.0.1:1/%2F", broker.exchange, timeout_s=2)
    failures = sample("canopy_stream_failures_total", reason="connection")
    assert publish_outbox(lambda: uow, clock(NOW), down).published == 0
    assert sample("canopy_stream_failures_total", reason="connection") - failures == 1
    back = AmqpPublisher(broker.url, broker.exchange, timeout_s=5)
    try:
        assert publish_outbox(lambda: uow, clock(NOW), back).published == 1
    finally:
        back.close()
    assert [m.body["id"] for m in broker.drain(queue)] == [row.id]


def test_a_dropped_connection_is_reopened_and_nothing_is_lost_or_doubled(session, uow, broker,  # noqa: F811
                                                                        publisher):
    queue = broker.bind_queue()
    user = UserFactory()
    outbox.record(session, "watered", NOW, user_id=user.id)
    assert publish_outbox(lambda: uow, clock(NOW), publisher).published == 1
    # What a broker restart looks like from here: the socket closed under the open channel.
    publisher._connection._impl._transport._sock.shutdown(socket.SHUT_RDWR)
    outbox.record(session, "watered", NOW, user_id=user.id, n=2)
    runs = [publish_outbox(lambda: uow, clock(NOW), publisher).published for _ in range(2)]
    assert sum(runs) == 1
    assert [m.body["payload"] for m in broker.drain(queue)] == [{}, {"n": 2}]


def test_a_batch_publishes_in_id_order_and_the_rest_on_later_runs(session, uow, broker,  # noqa: F811
                                                                  publisher):
    from jobs.stream import StreamSettings

    queue = broker.bind_queue()
    user = UserFactory()
    for n in range(5):
        outbox.record(session, "feed_granted", NOW, user_id=user.id, n=n)
    small = StreamSettings(batch=2)
    runs = [publish_outbox(lambda: uow, clock(NOW), publisher, small) for _ in range(4)]
    assert [r.published for r in runs] == [2, 2, 1, 0]
    assert [m.body["payload"]["n"] for m in broker.drain(queue)] == [0, 1, 2, 3, 4]


def test_a_type_no_queue_takes_waits_without_holding_up_the_others(session, uow, broker,  # noqa: F811
                                                                    publisher):
    watered = broker.bind_queue("watered")
    user = UserFactory()
    for event_type in ("watered", "shield_granted", "watered"):
        outbox.record(session, event_type, NOW, user_id=user.id)
    first = publish_outbox(lambda: uow, clock(NOW), publisher)
    assert [m.routing_key for m in broker.drain(watered)] == ["watered", "watered"]
    assert (first.published, first.gap_ids >= 1) == (2, True)
    everything = broker.bind_queue("#")
    second = publish_outbox(lambda: uow, clock(NOW), publisher)
    assert [m.routing_key for m in broker.drain(everything)] == ["shield_granted"]
    assert (second.published, broker.drain(watered)) == (1, [])


def test_a_confirmed_planting_reaches_a_consumer_with_its_certificates(session, uow, broker,  # noqa: F811
                                                                       publisher):
    from game.forest.services import decisions
    from tests.factories.transparency import EVIDENCE, pending_order

    queue = broker.bind_queue("planting_confirmed")
    planter = UserFactory(external_id="planter-1")
    order, project = pending_order(session, uow, quantity=2, user=planter)
    view = decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    publish_outbox(lambda: uow, clock(NOW), publisher)
    (got,) = broker.drain(queue)
    assert (got.body["user_id"], got.body["partner_id"]) == ("planter-1", project.partner_id)
    assert got.body["payload"]["order_id"] == order.id
    assert sorted(got.body["payload"]["certificate_numbers"]) == sorted(view.certificates)
