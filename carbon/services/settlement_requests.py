"""Operator settlements in the background: the API records a request, the jobs process
settles it (jobs/settlement_requests.py) and anyone with the id reads its progress.

A request is idempotent while open: asking the same date and zones again returns the open
request. Once it has finished, asking again records a new request, which the jobs complete at
once for zones already settled (and which reruns any after-settlement follow-up still missing).
Progress is read from the settlement's own run and batch rows, so it shows the day's totals
whoever settled them (this request, the nightly job, or both).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from carbon.domain import account as domain
from carbon.errors import InvalidInput, NotFound
from carbon.models import SettlementBatch, SettlementRun, User
from carbon.request_models import (
    COMPLETED,
    FAILED,
    OPEN_STATUSES,
    REQUESTED,
    RUNNING,
    SettlementRequest,
)
from db import UnitOfWork
from db.sql import insert_ignore

MAX_ID = 2**63 - 1  # a path id beyond BIGINT is simply not a request
ERROR_MAX_CHARS = 500


class SettlementRequestNotFound(NotFound):
    title = "Settlement not found"
    code = "settlement_not_found"


@dataclass
class ZoneProgress:
    timezone: str
    status: str  # not_over | waiting | running | completed
    batches_planned: int = 0
    batches_done: int = 0
    balls: int = 0
    energy_g: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass
class RequestProgress:
    id: int
    local_date: date
    status: str
    error: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    zones: list[ZoneProgress] = field(default_factory=list)

    @property
    def batches_planned(self) -> int:
        return sum(z.batches_planned for z in self.zones)

    @property
    def batches_done(self) -> int:
        return sum(z.batches_done for z in self.zones)

    @property
    def balls(self) -> int:
        return sum(z.balls for z in self.zones)

    @property
    def energy_g(self) -> int:
        return sum(z.energy_g for z in self.zones)


@dataclass(frozen=True)
class OpenRequest:
    id: int
    local_date: date
    zones: list[str]


def request_settlement(uow: UnitOfWork, local_date: date, timezones: list[str] | None,
                       now: datetime) -> int:
    """Record that `local_date` is to be settled in `timezones` (default: every zone that has
    users); the id of the open request that asks the same, else of a new one."""
    key = _active_key(local_date, timezones)
    with uow:
        s = uow.session
        zones = sorted(set(timezones)) if timezones is not None else sorted(
            s.scalars(select(User.timezone).distinct()))
        for tz in zones:
            if not domain.opens_as_zone(tz):
                raise InvalidInput(f"'{tz}' is not an IANA time zone.",
                                   {"timezones": [f"'{tz}' is not a known zone"]})
        over = [tz for tz in zones if domain.day_has_ended(local_date, tz, now)]
        request_id = None
        while request_id is None:  # again if the open request finished in between
            insert_ignore(s, SettlementRequest.__table__, {
                "local_date": local_date, "zones": over,
                "skipped": [tz for tz in zones if tz not in over], "status": REQUESTED,
                "requested_at": now, "active_key": key}, ["active_key"])
            request_id = s.scalar(select(SettlementRequest.id).where(
                SettlementRequest.active_key == key))
        uow.commit()
    return request_id


def _active_key(local_date: date, timezones: list[str] | None) -> str:
    asked = None if timezones is None else sorted(set(timezones))
    return hashlib.sha256(json.dumps([local_date.isoformat(), asked]).encode()).hexdigest()


def open_requests(uow: UnitOfWork) -> list[OpenRequest]:
    """The requests not finished, oldest first: new ones, and running ones whose jobs process
    stopped (settlement resumes their pending batches; rerunning a finished zone is a no-op)."""
    with uow:
        rows = uow.session.execute(
            select(SettlementRequest.id, SettlementRequest.local_date, SettlementRequest.zones)
            .where(SettlementRequest.status.in_(OPEN_STATUSES)).order_by(SettlementRequest.id))
        return [OpenRequest(i, d, list(z)) for i, d, z in rows]


def start_request(uow: UnitOfWork, request_id: int, now: datetime) -> None:
    with uow:
        uow.session.execute(update(SettlementRequest).where(
            SettlementRequest.id == request_id, SettlementRequest.status.in_(OPEN_STATUSES),
        ).values(status=RUNNING, started_at=func.coalesce(SettlementRequest.started_at, now)))
        uow.commit()


def finish_request(uow: UnitOfWork, request_id: int, now: datetime,
                   error: str | None = None) -> None:
    """Completed (or failed with `error`); the request no longer answers a new POST."""
    with uow:
        uow.session.execute(update(SettlementRequest).where(
            SettlementRequest.id == request_id, SettlementRequest.status.in_(OPEN_STATUSES),
        ).values(status=FAILED if error else COMPLETED, finished_at=now, active_key=None,
                 error=error[:ERROR_MAX_CHARS] if error else None))
        uow.commit()


def settlement_progress(uow: UnitOfWork, request_id: int) -> RequestProgress:
    """A request with each zone's run and batch figures."""
    with uow:
        s = uow.session
        req = s.get(SettlementRequest, request_id) if 0 < request_id <= MAX_ID else None
        if req is None:
            raise SettlementRequestNotFound(f"No settlement {request_id}.")
        progress = RequestProgress(req.id, req.local_date, req.status, req.error,
                                   req.requested_at, req.started_at, req.finished_at)
        zones = list(req.zones)
        progress.zones = _zone_progress(s, req.local_date, zones) + [
            ZoneProgress(tz, "not_over") for tz in req.skipped]
    return progress


def _zone_progress(s: Session, local_date: date, zones: list[str]) -> list[ZoneProgress]:
    runs = {tz: (started, completed) for tz, started, completed in s.execute(
        select(SettlementRun.timezone, SettlementRun.started_at, SettlementRun.completed_at)
        .where(SettlementRun.local_date == local_date, SettlementRun.timezone.in_(zones)))}
    batches = {row[0]: row[1:] for row in s.execute(
        select(SettlementBatch.timezone, func.count(), func.count(SettlementBatch.finished_at),
               func.coalesce(func.sum(SettlementBatch.balls), 0),
               func.coalesce(func.sum(SettlementBatch.energy_g), 0))
        .where(SettlementBatch.local_date == local_date, SettlementBatch.timezone.in_(zones))
        .group_by(SettlementBatch.timezone))}
    found = []
    for tz in zones:
        started, completed = runs.get(tz, (None, None))
        status = "waiting" if started is None else "completed" if completed else "running"
        planned, done, balls, energy_g = (int(v) for v in batches.get(tz, (0, 0, 0, 0)))
        found.append(ZoneProgress(tz, status, planned, done, balls, energy_g, started, completed))
    return found
