"""The job that fans the outbox out to RabbitMQ (when CANOPY_AMQP_URL is set): read a bounded
batch (carbon.services.stream), publish it with confirms (jobs.amqp), record what was confirmed.
No transaction is open while the broker is talked to, so neither a slow broker nor a dead one
holds anything the API needs; what was not confirmed waits for the next run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from carbon.services import stream
from db import metrics
from db.applog import get_logger
from jobs.amqp import AmqpPublisher
from jobs.tasks import Clock, UowFactory

log = get_logger(__name__)


@dataclass(frozen=True)
class StreamSettings:
    batch: int = 500
    gap_window: timedelta = timedelta(minutes=15)


def publish_outbox(uow_factory: UowFactory, now_fn: Clock, publisher: AmqpPublisher,
                   settings: StreamSettings = StreamSettings()) -> stream.Progress:
    """Publish up to `settings.batch` outbox rows (and rows found late in the gaps) to
    `publisher.exchange`, in id order, and record the confirmed ones. It runs every few
    seconds, so it logs a line only when it published or failed (not a start and an end line
    per run as jobs.job_log does); the scheduler's listener counts its runs."""
    due = stream.pending(uow_factory(), publisher.exchange, settings.batch)
    sent = publisher.publish(due.messages)
    try:
        progress = stream.record_published(uow_factory(), due, sent.confirmed, now_fn(),
                                           settings.gap_window)
    except Exception:
        # Published but not recorded: the next run sends these again, and consumers drop the
        # copies by message_id.
        metrics.STREAM_FAILURES.labels("database").inc()
        raise
    _count(progress, sent.failure)
    if progress.published:
        log.info("published outbox rows", stream=publisher.exchange,
                 published=progress.published, mark=progress.mark, gap_ids=progress.gap_ids,
                 lag_s=round(progress.lag_s, 1))
    if sent.failure is not None:
        log.warning("the message broker did not confirm every message; they wait for the "
                    "next run", stream=publisher.exchange,
                    reason=sent.failure, published=progress.published,
                    unsent=len(due.messages) - len(sent.confirmed))
    if progress.raced:
        log.warning("another publisher moved the stream's mark first; nothing recorded",
                    stream=publisher.exchange)
    if progress.given_up_ids:
        log.warning("gave up waiting for outbox ids past the gap window",
                    ids=progress.given_up_ids, window_s=settings.gap_window.total_seconds())
    return progress


def _count(progress: stream.Progress, failure: str | None) -> None:
    metrics.STREAM_PUBLISHED.inc(progress.published)
    if failure is not None:
        metrics.STREAM_FAILURES.labels(failure).inc()
    metrics.STREAM_LAG.set(progress.lag_s)
    metrics.STREAM_GAP_IDS.set(progress.gap_ids)
    metrics.STREAM_GIVEN_UP.inc(progress.given_up_ids)
