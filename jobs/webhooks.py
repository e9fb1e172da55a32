"""The webhook deliverer: every few seconds, one bounded round of due deliveries.

Quiet when there is nothing to send (it runs every CANOPY_WEBHOOK_EVERY_SECONDS); a round that
sent something logs one line with its outcomes, each send its own (carbon.services)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from carbon.services import webhook_deliveries
from carbon.services.webhook_sending import DeliverySettings, deliver_due
from config import Config
from db.applog import get_logger
from jobs.job_log import logged_job
from jobs.tasks import Clock, UowFactory

log = get_logger(__name__)


def delivery_settings(config: Config) -> DeliverySettings:
    return DeliverySettings(batch=config.WEBHOOK_BATCH, per_endpoint=config.WEBHOOK_PER_ENDPOINT,
                            lease=timedelta(seconds=config.WEBHOOK_LEASE_SECONDS),
                            connect_timeout_s=config.WEBHOOK_CONNECT_TIMEOUT_S,
                            read_timeout_s=config.WEBHOOK_READ_TIMEOUT_S,
                            senders=config.WEBHOOK_SENDERS)


def deliver_webhooks(uow_factory: UowFactory, now_fn: Clock,
                     settings: DeliverySettings) -> Counter:
    """One round; an error is logged and the next round tries again (nothing is lost: an
    unrecorded send keeps its claim until the lease ends, then is sent again)."""
    try:
        outcomes = deliver_due(uow_factory, now_fn, settings)
    except Exception:
        log.exception("webhook round failed; the next round retries", job="deliver_webhooks")
        return Counter()
    if outcomes:
        log.info("webhook round", job="deliver_webhooks", **outcomes)
    return outcomes


@logged_job("purge_webhook_deliveries", lambda n: {"deleted": n})
def purge_webhook_deliveries(uow_factory: UowFactory, now_fn: Clock, keep: timedelta,
                             limit: int = 10000) -> int:
    """Delete finished deliveries older than `keep` (the feed's retention), `limit` per
    transaction. Returns how many were deleted."""
    now, total = now_fn(), 0
    while (deleted := webhook_deliveries.purge(uow_factory(), now, keep, limit)) == limit:
        total += deleted
    return total + deleted
