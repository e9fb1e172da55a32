"""One round of webhook delivery: claim a bounded batch, send each endpoint's share in its
own thread, stop at an endpoint's first failure (it goes into backoff; its other rows are
given back untried), and count and log each outcome."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from carbon import webhook_http
from carbon.domain.webhooks import body, sign
from carbon.services.webhook_delivery import Claimed, claim, record_outcome, release
from carbon.webhook_http import SendResult
from db import UnitOfWork, metrics
from db.applog import get_logger

log = get_logger(__name__)

Sender = Callable[[str, bytes, dict[str, str], float, float], SendResult]


@dataclass(frozen=True)
class DeliverySettings:
    batch: int = 50
    per_endpoint: int = 10
    # Longer than per_endpoint sends at their longest (connect + read timeouts), so that a
    # claim never runs out while its deliverer is still working through it.
    lease: timedelta = timedelta(minutes=5)
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    senders: int = 4  # endpoints served at once; 1 sends everything in this thread


def signed_headers(c: Claimed, payload: bytes, sent_at: datetime) -> dict[str, str]:
    stamp = str(int(sent_at.timestamp()))
    return {"Canopy-Event-Id": str(c.event_id), "Canopy-Event-Type": c.event_type,
            "Canopy-Delivery-Id": str(c.id), "Canopy-Timestamp": stamp,
            "Canopy-Signature": sign(c.secret, stamp, payload)}


def _send_one(uow_factory: Callable[[], UnitOfWork], now_fn: Callable[[], datetime],
              settings: DeliverySettings, send: Sender, draw: Callable[[], float],
              c: Claimed) -> tuple[str, bool]:
    payload = body(c.event_id, c.event_type, c.occurred_at, c.data)
    started = time.perf_counter()
    result = send(c.url, payload, signed_headers(c, payload, now_fn()),
                  settings.connect_timeout_s, settings.read_timeout_s)
    outcome = record_outcome(uow_factory(), c, result, now_fn(), draw)
    metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()
    (log.info if result.ok else log.warning)(
        "webhook sent" if result.ok else "webhook failed", delivery_id=c.id,
        event_id=c.event_id, event_type=c.event_type, endpoint_id=c.endpoint_id,
        attempt=c.attempts + 1, status_code=result.status_code, error=result.error,
        outcome=outcome, duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return outcome, result.ok


def _serve_endpoint(uow_factory: Callable[[], UnitOfWork], now_fn: Callable[[], datetime],
                    settings: DeliverySettings, send: Sender, draw: Callable[[], float],
                    group: list[Claimed]) -> Counter:
    outcomes: Counter = Counter()
    for i, c in enumerate(group):
        outcome, ok = _send_one(uow_factory, now_fn, settings, send, draw, c)
        outcomes[outcome] += 1
        if not ok:
            rest = group[i + 1:]
            dead = release(uow_factory(), rest, now_fn())
            outcomes["released"] += len(rest) - dead
            outcomes["dead"] += dead
            metrics.WEBHOOK_DELIVERIES.labels("released").inc(len(rest) - dead)
            metrics.WEBHOOK_DELIVERIES.labels("dead").inc(dead)
            break
    return outcomes


def deliver_due(uow_factory: Callable[[], UnitOfWork], now_fn: Callable[[], datetime],
                settings: DeliverySettings, send: Sender = webhook_http.post,
                draw: Callable[[], float] = random.random) -> Counter:
    """Send what is due now; returns the outcomes counted (delivered, retry, dead, released,
    stale). A slow endpoint holds only its own thread, for at most per_endpoint sends."""
    claimed = claim(uow_factory(), now_fn(), settings.batch, settings.per_endpoint,
                    settings.lease)
    groups: dict[int, list[Claimed]] = {}
    for c in claimed:
        groups.setdefault(c.endpoint_id, []).append(c)
    total: Counter = Counter()
    if settings.senders > 1 and len(groups) > 1:
        with ThreadPoolExecutor(min(settings.senders, len(groups))) as pool:
            for outcomes in pool.map(lambda g: _serve_endpoint(uow_factory, now_fn, settings,
                                                               send, draw, g), groups.values()):
                total += outcomes
    else:
        for group in groups.values():
            total += _serve_endpoint(uow_factory, now_fn, settings, send, draw, group)
    return total
