"""The job that carries out operator settlements asked through the API (POST
/v1/admin/settlements answers 202 at once): the scheduler polls for open requests every
CANOPY_SETTLE_REQUEST_POLL_SECONDS and settles them here, in the jobs process, never in a web
worker. A request left running by a jobs process that died is taken up again by the next poll:
settlement resumes its pending batches and finds its finished zones already settled."""

from __future__ import annotations

import logging

from carbon.services.settlement import settle_day
from carbon.services.settlement_requests import (
    OpenRequest,
    finish_request,
    open_requests,
    start_request,
)
from game.daily import after_settlement
from jobs.tasks import Clock, UowFactory

log = logging.getLogger(__name__)


def settle_requested(uow_factory: UowFactory, now_fn: Clock, batch_users: int = 20000,
                     workers: int = 1) -> list[int]:
    """Settle every open request, oldest first; the ids handled (completed or failed)."""
    handled = []
    for request in open_requests(uow_factory()):
        _settle_request(uow_factory, now_fn, request, batch_users, workers)
        handled.append(request.id)
    return handled


def _settle_request(uow_factory: UowFactory, now_fn: Clock, request: OpenRequest,
                    batch_users: int, workers: int) -> None:
    now = now_fn()
    start_request(uow_factory(), request.id, now)
    log.info("settlement request %d: %s in %d zones", request.id, request.local_date,
             len(request.zones))
    try:
        for tz in request.zones:
            report = settle_day(uow_factory(), request.local_date, now, [tz], batch_users,
                                workers=workers)
            if tz not in report.settled:  # only if the clock went back since the request
                raise RuntimeError(f"the day {request.local_date} is not over in {tz}")
            after_settlement(uow_factory, request.local_date, tz, now)
    except Exception as exc:
        log.exception("settlement request %d failed", request.id)
        finish_request(uow_factory(), request.id, now_fn(), f"{type(exc).__name__}: {exc}")
        return
    finish_request(uow_factory(), request.id, now_fn())
    log.info("settlement request %d completed", request.id)
