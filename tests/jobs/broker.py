"""The real RabbitMQ of the development machines and CI (127.0.0.1:5672, guest/guest, or
CANOPY_TEST_AMQP_URL): each test gets an exchange of its own, so parallel runs never share
messages, and a consumer queue bound to it; both are deleted afterwards."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field

import pika
import pytest

AMQP_URL = os.environ.get("CANOPY_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@dataclass
class Received:
    routing_key: str
    body: dict
    properties: pika.BasicProperties


@dataclass
class Broker:
    """An admin connection to the broker, a test exchange, and the queues bound to it."""

    url: str
    exchange: str
    channel: pika.adapters.blocking_connection.BlockingChannel
    queues: list[str] = field(default_factory=list)

    def bind_queue(self, binding: str = "#", **arguments) -> str:
        name = f"{self.exchange}.q{len(self.queues)}"
        self.channel.queue_declare(name, auto_delete=False, arguments=arguments or None)
        self.channel.queue_bind(name, self.exchange, binding)
        self.queues.append(name)
        return name

    def delete_queue(self, name: str) -> None:
        self.channel.queue_delete(name)
        self.queues.remove(name)

    def drain(self, queue: str) -> list[Received]:
        """Every message waiting in `queue`, acknowledged."""
        got = []
        while True:
            method, props, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return got
            got.append(Received(method.routing_key, json.loads(body), props))


def declare_exchange(channel, name: str) -> None:
    channel.exchange_declare(name, exchange_type="topic", durable=True)


@pytest.fixture
def broker():
    try:
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    except pika.exceptions.AMQPError as exc:
        pytest.skip(f"no RabbitMQ at {AMQP_URL} ({exc!r}): start one, or set "
                    "CANOPY_TEST_AMQP_URL, to run the message stream's tests")
    channel = connection.channel()
    exchange = f"canopy.test.{uuid.uuid4().hex[:12]}"
    declare_exchange(channel, exchange)
    found = Broker(AMQP_URL, exchange, channel)
    try:
        yield found
    finally:
        for name in list(found.queues):
            channel.queue_delete(name)
        channel.exchange_delete(exchange)
        connection.close()
