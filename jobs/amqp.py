"""Publishing the outbox's messages to RabbitMQ (pika, a blocking connection in the jobs
process): a durable topic exchange, persistent messages, publisher confirms, `mandatory` so that
a message no queue takes comes back instead of being dropped.

A run sends its whole batch, then waits for the broker's confirms (one round trip and one disk
sync for many messages, not one per message: 3-4 times the rate on the development machine).
What the broker acknowledged and did not return is confirmed; a message it returned
(unroutable) or rejected (nack), or whose confirm did not come before the connection broke or
the timeout passed, is not, and stays unsent in the database for the next run, on a new
connection if the old one broke. pika's BlockingChannel waits for each confirm in turn, so the
confirms are taken from its underlying asynchronous channel (`_impl`, pika 1.x)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from carbon.domain.stream import CONTENT_TYPE, Message
from config import mask_url
from db.applog import get_logger

log = get_logger(__name__)

APP_ID = "canopy"
PERSISTENT = 2  # delivery_mode: written to disk by a durable queue


@dataclass
class Sent:
    confirmed: set[int] = field(default_factory=set)
    failure: str | None = None  # unroutable | nacked | timeout | connection


@dataclass
class _Batch:
    """The confirms a batch awaits: delivery tag -> outbox id."""

    waiting: dict[int, int] = field(default_factory=dict)
    acked: set[int] = field(default_factory=set)
    returned: set[int] = field(default_factory=set)
    nacked: set[int] = field(default_factory=set)


class AmqpPublisher:
    """One connection and channel, opened on first use and again after a failure."""

    def __init__(self, url: str, exchange: str, timeout_s: float = 10.0) -> None:
        self.url, self.exchange, self.timeout_s = url, exchange, timeout_s
        self._connection: Any = None  # pika.BlockingConnection, imported when first used
        self._channel: Any = None
        self._next_tag = 1  # the broker numbers a confirm channel's messages from 1
        self._batch = _Batch()

    def publish(self, messages: list[Message]) -> Sent:
        if not messages:
            return Sent()
        self._batch = batch = _Batch()
        failure = None
        try:
            channel = self._open()
            for m in messages:
                batch.waiting[self._next_tag] = m.id
                self._next_tag += 1
                channel.basic_publish(self.exchange, m.routing_key, m.body,
                                      properties=self._properties(m), mandatory=True)
            failure = self._await_confirms(batch)
        except Exception as exc:  # a broken connection raises more than AMQPError
            failure = "connection"
            log.warning("message broker connection failed", error=repr(exc),
                        url=mask_url(self.url))
        if failure in ("connection", "timeout"):
            self.close()
        confirmed = batch.acked - batch.returned
        if failure is None and (batch.returned or batch.nacked):
            failure = "unroutable" if batch.returned else "nacked"
        return Sent(confirmed, failure)

    def _await_confirms(self, batch: _Batch) -> str | None:
        deadline = time.monotonic() + self.timeout_s
        while batch.waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            self._connection.process_data_events(time_limit=min(left, 0.05))
        return None

    def _on_confirm(self, frame) -> None:
        import pika.spec

        method, batch = frame.method, self._batch
        tags = [t for t in batch.waiting if t <= method.delivery_tag] if method.multiple \
            else [method.delivery_tag]
        for tag in tags:
            outbox_id = batch.waiting.pop(tag, None)
            if outbox_id is None:
                continue  # a confirm of an earlier batch that timed out
            if isinstance(method, pika.spec.Basic.Ack):
                batch.acked.add(outbox_id)
            else:
                batch.nacked.add(outbox_id)

    def _on_return(self, _channel, _method, properties, _body) -> None:
        # Sent before the ack of the same message: an acked message that came back is unsent.
        self._batch.returned.add(int(properties.message_id))

    def _open(self):
        if self._channel is not None and self._channel.is_open:
            # Reads what the broker sent since the last run: a connection it closed (a restart,
            # missed heartbeats) shows here rather than in the middle of a batch.
            self._connection.process_data_events(0)
            if self._channel.is_open:
                return self._channel
        self.close()
        import pika

        params = pika.URLParameters(self.url)
        params.connection_attempts = 1
        params.socket_timeout = params.stack_timeout = self.timeout_s
        params.blocked_connection_timeout = self.timeout_s  # a broker out of memory or disk
        self._connection = pika.BlockingConnection(params)
        channel = self._connection.channel()
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        selected: list[Any] = []
        channel._impl.confirm_delivery(ack_nack_callback=self._on_confirm,
                                       callback=selected.append)
        channel._impl.add_on_return_callback(self._on_return)
        deadline = time.monotonic() + self.timeout_s
        while not selected and time.monotonic() < deadline:
            self._connection.process_data_events(time_limit=0.05)
        if not selected:
            raise TimeoutError("the broker did not confirm Confirm.Select in time")
        self._channel, self._next_tag = channel, 1
        log.info("connected to the message broker", url=mask_url(self.url),
                 exchange=self.exchange)
        return channel

    @staticmethod
    def _properties(m: Message):
        import pika

        return pika.BasicProperties(
            content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, message_id=str(m.id),
            type=m.type, timestamp=int(m.occurred_at.astimezone(UTC).timestamp()),
            app_id=APP_ID, headers=m.headers)

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # already broken: nothing left to close politely
                log.debug("closing a broken broker connection failed", exc_info=True)
