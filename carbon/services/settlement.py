"""Nightly settlement: a local date's accepted events become energy balls, zone by zone.

For each zone whose local day has ended there is one SettlementRun; its users are settled in
batches by id, each batch one transaction that first claims its SettlementBatch row (unique
(date, zone, first_user_id): a second scheduler racing on the same batch fails there and moves
on), then creates the balls with one INSERT ... SELECT, issues their energy in one ledger
transaction and adds the users' CO2e totals with one UPDATE. A crashed run resumes after the
last committed batch; a finished run is never settled twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbon import domain
from carbon import settlement_sql as sql
from carbon.errors import InvalidInput
from carbon.events_repository import hold_days
from carbon.models import SettlementBatch, SettlementRun, User
from carbon.services import ledger
from db import UnitOfWork
from db.sql import insert_ignore

SETTLED, ALREADY_SETTLED, NOT_OVER = "settled", "already_settled", "not_over"


@dataclass
class ZoneReport:
    timezone: str
    status: str  # settled (by this call) | already_settled | not_over (day not ended yet)
    batches: int = 0
    balls: int = 0
    energy_g: int = 0


@dataclass
class SettlementReport:
    local_date: date
    zones: list[ZoneReport] = field(default_factory=list)

    @property
    def settled(self) -> list[str]:
        return [z.timezone for z in self.zones if z.status != NOT_OVER]

    @property
    def skipped(self) -> list[str]:
        return [z.timezone for z in self.zones if z.status == NOT_OVER]

    @property
    def balls(self) -> int:
        return sum(z.balls for z in self.zones)

    @property
    def energy_g(self) -> int:
        return sum(z.energy_g for z in self.zones)


@dataclass(frozen=True)
class _Day:
    """What every batch of one (date, zone) shares; ripe_at/expires_at are SQL constants."""

    local_date: date
    timezone: str
    now: datetime

    def params(self) -> dict:
        d, tz = self.local_date, self.timezone
        start = domain.month_start(d)
        next_month = (start + timedelta(days=32)).replace(day=1)
        return {"d": d, "tz": tz, "month_start": start, "next_month": next_month,
                "ripe": domain.ripe_at(d, tz), "exp": domain.expires_at(d, tz), "now": self.now}


def settle_day(uow: UnitOfWork, local_date: date, now: datetime,
               timezones: list[str] | None = None, batch_users: int = 20000,
               grace: timedelta = timedelta(0)) -> SettlementReport:
    """Settle `local_date` in every zone (users' zones, or `timezones`) whose day has ended at
    `now` (+ `grace`); zones whose day is not over are reported, not settled."""
    if batch_users < 1:
        raise InvalidInput("batch_users must be at least 1.")
    zones = sorted(set(timezones)) if timezones is not None else _user_zones(uow)
    for tz in zones:
        if not domain.is_valid_zone(tz):
            raise InvalidInput(f"'{tz}' is not an IANA time zone.", {"timezone": ["unknown zone"]})
    report = SettlementReport(local_date)
    for tz in zones:
        if not domain.day_has_ended(local_date, tz, now, grace):
            report.zones.append(ZoneReport(tz, NOT_OVER))
            continue
        report.zones.append(_settle_zone(uow, _Day(local_date, tz, now), batch_users))
    return report


def _user_zones(uow: UnitOfWork) -> list[str]:
    with uow:
        return sorted(uow.session.scalars(select(User.timezone).distinct()))


def _settle_zone(uow: UnitOfWork, day: _Day, batch_users: int) -> ZoneReport:
    run_id = _open_run(uow, day)
    if run_id is None:
        return ZoneReport(day.timezone, ALREADY_SETTLED)
    zone = ZoneReport(day.timezone, SETTLED)
    while True:
        done = _settle_batch(uow, day, batch_users)
        if done is None:
            break
        if done is not _RACED:
            zone.batches += 1
            zone.balls += done[0]
            zone.energy_g += done[1]
    _complete_run(uow, run_id, day.now)
    return zone


def _open_run(uow: UnitOfWork, day: _Day) -> int | None:
    """The run's id, created if new; None when the run is already complete."""
    with uow:
        s = uow.session
        insert_ignore(s, SettlementRun.__table__, {
            "local_date": day.local_date, "timezone": day.timezone, "started_at": day.now,
            "completed_at": None}, ["local_date", "timezone"])
        run_id, completed = s.execute(select(SettlementRun.id, SettlementRun.completed_at).where(
            SettlementRun.local_date == day.local_date,
            SettlementRun.timezone == day.timezone)).one()
        uow.commit()
    return None if completed is not None else run_id


def _complete_run(uow: UnitOfWork, run_id: int, now: datetime) -> None:
    with uow:
        uow.session.execute(update(SettlementRun).where(
            SettlementRun.id == run_id, SettlementRun.completed_at.is_(None),
        ).values(completed_at=now))
        uow.commit()


_RACED = object()  # another scheduler committed (or is committing) this very batch


def _settle_batch(uow: UnitOfWork, day: _Day, batch_users: int):
    """Settle the next batch in one transaction: (balls, energy_g), _RACED, or None when the
    zone has no user left."""
    with uow:
        s = uow.session
        sql.tune_batch_transaction(s)
        # Ingestion holds this day's lock shared from its settled check to its commit: once we
        # hold it exclusively, every event of the day is either committed (we read it) or will
        # see this batch and be refused as late. Never stored unseen.
        hold_days(s, {(day.local_date, day.timezone)}, exclusive=True)
        first, last, count = s.execute(sql.NEXT_BATCH, {
            "tz": day.timezone, "after": _resume_after(s, day), "n": batch_users}).one()
        if not count:
            return None
        try:
            batch_id = s.execute(insert(SettlementBatch).values(
                local_date=day.local_date, timezone=day.timezone, first_user_id=first,
                last_user_id=last, balls=0, energy_g=0, finished_at=day.now,
            ).returning(SettlementBatch.id)).scalar_one()
        except IntegrityError:
            uow.rollback()
            return _RACED
        balls, energy_g = _issue_batch(s, day, batch_id, first, last)
        uow.commit()
    return balls, energy_g


def _resume_after(s: Session, day: _Day) -> int:
    return s.scalar(select(func.coalesce(func.max(SettlementBatch.last_user_id), 0)).where(
        SettlementBatch.local_date == day.local_date, SettlementBatch.timezone == day.timezone))


def _issue_batch(s: Session, day: _Day, batch_id: int, first: int, last: int) -> tuple[int, int]:
    params = {**day.params(), "first": first, "last": last, "bid": batch_id}
    with sql.ball_insert_plan(s):
        s.execute(sql.INSERT_BALLS, params)
    balls, energy_g = (int(v) for v in s.execute(sql.BATCH_TOTALS, params).one())
    if energy_g:
        # One issue transaction for the whole batch, not one per ball.
        ledger.post(s, "issue", "settlement_batch", batch_id, [
            (ledger.account(s, ledger.ISSUED), -energy_g),
            (ledger.account(s, ledger.BALLS), energy_g)], day.now)
        s.execute(sql.ADD_CO2E_TOTALS, params)
    s.execute(update(SettlementBatch).where(SettlementBatch.id == batch_id).values(
        balls=balls, energy_g=energy_g, finished_at=day.now))
    return balls, energy_g
