"""How fast the outbox reaches RabbitMQ: the publisher job against the plain broker, on
PostgreSQL and the local RabbitMQ (127.0.0.1:5672, guest/guest, or BENCH_AMQP).

    .venv/bin/python bench/stream_publish.py [--rows 5000] [--batch 500]

Creates (or recreates) the database canopy_stream_bench with `--rows` outbox rows, an exchange
and a queue of its own (deleted at the end), then times, alternating three rounds each so that
a shared machine's load hits all alike: (a) the job (jobs.stream.publish_outbox) run until it
has caught up, `--batch` rows a run; (b) the same messages sent by pika alone with publisher
confirms (one confirm waited for per message, as the job does); (c) pika without confirms.
Prints rows/s for each and the ratios, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import pika
from common import fresh_database

from carbon.services import outbox, stream
from db import UnitOfWork, make_engine, make_session_factory
from jobs.amqp import AmqpPublisher
from jobs.stream import StreamSettings, publish_outbox

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
AMQP = os.environ.get("BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672/%2F")


def fill(sessions, rows: int) -> None:
    uow = UnitOfWork(sessions)
    with uow:
        outbox.record_many(uow.session, "feed_granted", NOW,
                           [(None, {"feed_g": 180, "n": i}) for i in range(rows)])
        uow.commit()


def job_round(sessions, exchange: str, batch: int) -> float:
    publisher = AmqpPublisher(AMQP, exchange)
    start, runs = time.perf_counter(), 0
    while True:
        runs += 1
        progress = publish_outbox(lambda: UnitOfWork(sessions), lambda: NOW, publisher,
                                  StreamSettings(batch, timedelta(minutes=15)))
        if progress.published == 0:
            break
    publisher.close()
    return time.perf_counter() - start


def pika_round(messages, exchange: str, confirms: bool) -> float:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = connection.channel()
    if confirms:
        channel.confirm_delivery()
    props = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    start = time.perf_counter()
    for m in messages:
        channel.basic_publish(exchange, m.routing_key, m.body, props, mandatory=confirms)
    connection.close()  # waits for what was sent
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    engine = make_engine(fresh_database("canopy_stream_bench"))
    sessions = make_session_factory(engine)
    fill(sessions, args.rows)
    messages = stream.pending(UnitOfWork(sessions), "bench", args.rows).messages
    admin = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = admin.channel()
    tag = uuid.uuid4().hex[:8]
    queue = f"canopy.bench.{tag}"
    channel.queue_declare(queue)
    times: dict[str, list[float]] = {"job": [], "pika+confirms": [], "pika": []}
    try:
        for r in range(3):
            exchange = f"canopy.bench.{tag}.{r}"
            channel.exchange_declare(exchange, exchange_type="topic", durable=True)
            channel.queue_bind(queue, exchange, "#")
            times["job"].append(job_round(sessions, exchange, args.batch))
            times["pika+confirms"].append(pika_round(messages, exchange, True))
            times["pika"].append(pika_round(messages, exchange, False))
            channel.queue_purge(queue)
            channel.exchange_delete(exchange)
    finally:
        channel.queue_delete(queue)
        admin.close()
        engine.dispose()
    rate = {k: args.rows / statistics.median(v) for k, v in times.items()}
    for k, v in rate.items():
        print(f"{k:>14}: {v:8.0f} rows/s (median of 3 rounds of {args.rows})")
    print(f"job / pika+confirms: {rate['job'] / rate['pika+confirms']:.2f}; "
          f"pika+confirms / pika: {rate['pika+confirms'] / rate['pika']:.2f}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
