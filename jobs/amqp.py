"""Publishing the outbox's messages to RabbitMQ (pika, a blocking connection in the jobs
process): a durable topic exchange, persistent messages, publisher confirms, `mandatory` so that
a message no queue takes comes back instead of being dropped. A run sends its messages in order
and stops at the first one the broker did not confirm: what was confirmed is returned, the rest
stays unsent in the database and is tried again on the next run, on a new connection if the old
one broke."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

from carbon.stream_rules import CONTENT_TYPE, Message
from config import mask_url
from db.applog import get_logger

log = get_logger(__name__)

APP_ID = "canopy"
PERSISTENT = 2  # delivery_mode: written to disk by a durable queue


@dataclass
class Sent:
    confirmed: set[int] = field(default_factory=set)
    failure: str | None = None  # unroutable | nacked | connection


class AmqpPublisher:
    """One connection and channel, opened on first use and again after a failure."""

    def __init__(self, url: str, exchange: str, timeout_s: float = 10.0) -> None:
        self.url, self.exchange, self.timeout_s = url, exchange, timeout_s
        self._connection = None
        self._channel = None

    def publish(self, messages: list[Message]) -> Sent:
        import pika.exceptions as errors

        sent = Sent()
        if not messages:
            return sent
        try:
            channel = self._open()
            for m in messages:
                channel.basic_publish(self.exchange, m.routing_key, m.body,
                                      properties=self._properties(m), mandatory=True)
                sent.confirmed.add(m.id)
        except errors.UnroutableError:
            sent.failure = "unroutable"
        except errors.NackError:
            sent.failure = "nacked"
        except Exception as exc:  # a broken connection raises more than AMQPError
            sent.failure = "connection"
            log.warning("message broker connection failed", error=repr(exc),
                        url=mask_url(self.url))
            self.close()
        return sent

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
        channel.confirm_delivery()
        self._channel = channel
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
