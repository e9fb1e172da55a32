"""Nightly settlement: a local date's accepted events become energy balls, zone by zone.

For each zone whose local day has ended there is one SettlementRun. Its users are split into
batches by id, planned up front as pending SettlementBatch rows in one transaction that holds
the day's lock exclusively: ingestion holds it shared from its settled check to its commit, so
every event of a planned user is either committed before the plan (and settled) or refused as
late, never stored unseen. Then `workers` threads settle the pending batches, each batch one
transaction that locks its row (FOR UPDATE SKIP LOCKED on PostgreSQL: two workers or two
schedulers never take the same batch), creates the balls with one INSERT ... SELECT, issues
their energy in one ledger transaction and marks the row finished. The balls are all a night
writes of its CO2e: the statement and the users' all-time CO2e read them until the monthly
roll-up copies them into carbon_days (services/co2e_totals.py). A crash leaves the rest
pending and the next call resumes them. Users who appeared meanwhile get batches of their own;
the run is completed in the planning transaction that finds nothing left, so no event can slip
in between.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from carbon import ball_ids
from carbon import settlement_sql as sql
from carbon.backoff import Backoff
from carbon.domain import account as domain
from carbon.errors import InvalidInput
from carbon.models import SettlementBatch, SettlementRun, User
from carbon.repository import statement_months
from carbon.repository.events import hold_days
from carbon.services import co2e_totals, ledger
from db import UnitOfWork
from db.sql import insert_ignore, is_citus, is_postgres

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

    def batches(self) -> tuple:
        """WHERE conditions for this (date, zone)'s settlement batches."""
        return (SettlementBatch.local_date == self.local_date,
                SettlementBatch.timezone == self.timezone)

    def params(self) -> dict:
        d, tz = self.local_date, self.timezone
        start = domain.month_start(d)
        next_month = (start + timedelta(days=32)).replace(day=1)
        return {"d": d, "tz": tz, "month_start": start, "next_month": next_month,
                "ripe": domain.ripe_at(d, tz), "exp": domain.expires_at(d, tz), "now": self.now}


def settle_day(uow: UnitOfWork, local_date: date, now: datetime,
               timezones: list[str] | None = None, batch_users: int = 20000,
               grace: timedelta = timedelta(0), workers: int = 1,
               backoff: Backoff | None = None) -> SettlementReport:
    """Settle `local_date` in every zone (users' zones, or `timezones`) whose day has ended at
    `now` (+ `grace`); zones whose day is not over are reported, not settled. `workers`
    batches are settled at once (PostgreSQL; SQLite has one writer and uses one). While every
    pending batch is held by another settler, `backoff` paces the waits (default: Backoff())."""
    if batch_users < 1:
        raise InvalidInput("batch_users must be at least 1.")
    if workers < 1:
        raise InvalidInput("workers must be at least 1.")
    zones = sorted(set(timezones)) if timezones is not None else _user_zones(uow)
    for tz in zones:
        if not domain.opens_as_zone(tz):
            raise InvalidInput(f"'{tz}' is not an IANA time zone.", {"timezone": ["unknown zone"]})
    report = SettlementReport(local_date)
    for tz in zones:
        if not domain.day_has_ended(local_date, tz, now, grace):
            report.zones.append(ZoneReport(tz, NOT_OVER))
            continue
        report.zones.append(_settle_zone(uow, _Day(local_date, tz, now), batch_users, workers,
                                         backoff or Backoff()))
    return report


def _user_zones(uow: UnitOfWork) -> list[str]:
    with uow:
        return sorted(uow.session.scalars(select(User.timezone).distinct()))


def _settle_zone(uow: UnitOfWork, day: _Day, batch_users: int, workers: int,
                 backoff: Backoff) -> ZoneReport:
    run_id = _open_run(uow, day)
    if run_id is None:
        return ZoneReport(day.timezone, ALREADY_SETTLED)
    zone = ZoneReport(day.timezone, SETTLED)
    while _plan_batches(uow, day, batch_users, run_id):
        settled = _settle_pending(uow, day, workers)
        for balls, energy_g in settled:
            zone.batches += 1
            zone.balls += balls
            zone.energy_g += energy_g
        # Batches pending and none taken: another settler holds them all. Planning again at
        # once would spin (about 2,000 commits in 45 s); wait, longer each time.
        if settled:
            backoff.reset()
        else:
            backoff.wait()
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


def _plan_batches(uow: UnitOfWork, day: _Day, batch_users: int, run_id: int) -> int:
    """Plan batches for the zone's users not planned yet; the number of batches pending. When
    none is, complete the run in this same transaction (under the day's exclusive lock)."""
    with uow:
        s = uow.session
        hold_days(s, {(day.local_date, day.timezone)}, exclusive=True)
        after = s.scalar(select(func.coalesce(func.max(SettlementBatch.last_user_id), 0))
                         .where(*day.batches()))
        s.execute(sql.PLAN_BATCHES, {"d": day.local_date, "tz": day.timezone, "after": after,
                                     "n": batch_users})
        pending = s.execute(select(func.count()).select_from(SettlementBatch).where(
            *day.batches(), SettlementBatch.finished_at.is_(None))).scalar_one()
        if not pending:
            s.execute(update(SettlementRun).where(
                SettlementRun.id == run_id, SettlementRun.completed_at.is_(None),
            ).values(completed_at=day.now))
        uow.commit()
    return pending


def _settle_pending(uow: UnitOfWork, day: _Day, workers: int) -> list[tuple[int, int]]:
    """Settle the pending batches of the day with `workers` threads (one session each);
    [(balls, energy_g)] of the batches settled here. A worker's failure is raised once the
    others have stopped (what they committed stays committed)."""
    if workers == 1 or uow.dialect != "postgresql":
        return _settle_until_none(uow, day)
    with ThreadPoolExecutor(workers, thread_name_prefix="settle") as pool:
        futures = [pool.submit(_settle_until_none, uow.sibling(), day) for _ in range(workers)]
    return [done for f in futures for done in f.result()]


def _settle_until_none(uow: UnitOfWork, day: _Day) -> list[tuple[int, int]]:
    settled = []
    while (done := _settle_batch(uow, day)) is not None:
        settled.append(done)
    return settled


def _settle_batch(uow: UnitOfWork, day: _Day) -> tuple[int, int] | None:
    """Settle one pending batch in one transaction: (balls, energy_g), or None when no batch of
    the day is pending (or every pending one is being settled by another worker)."""
    with uow:
        s = uow.session
        batch = s.execute(
            select(SettlementBatch.id, SettlementBatch.first_user_id,
                   SettlementBatch.last_user_id)
            .where(*day.batches(), SettlementBatch.finished_at.is_(None))
            .order_by(SettlementBatch.first_user_id).limit(1)
            .with_for_update(skip_locked=True)).first()
        if batch is None:
            return None
        sql.tune_batch_transaction(s)
        done = _issue_batch(s, day, *batch)
        uow.commit()
    return done


def _at_or_before(d: date, mark: date | None) -> bool:
    return mark is not None and d <= mark


def _insert_step_by_step(s: Session, params: dict, add_days: bool,
                         add_totals: bool) -> tuple[int, int]:
    """SQLite and Citus: what PostgreSQL's one statement does, one statement per step (the
    public CO2e counter included: no trigger counts settled CO2e any more)."""
    s.execute(sql.INSERT_BALLS, params)
    s.execute(sql.ADD_CAPPED, params)
    balls, energy_g, co2e_g = s.execute(sql.BATCH_TOTALS, params).one()
    if add_totals:
        s.execute(sql.ADD_CO2E_TOTALS, params)
    if add_days:
        s.execute(sql.ADD_CARBON_DAYS, params)
    if co2e_g:
        s.execute(sql.COUNT_PUBLIC_CO2E, {"g": co2e_g})
    return balls, energy_g


def _issue_batch(s: Session, day: _Day, batch_id: int, first: int, last: int) -> tuple[int, int]:
    if last > ball_ids.MAX_USER_ID:
        raise InvalidInput(f"User ids above {ball_ids.MAX_USER_ID} do not fit a ball id.")
    lo, hi = ball_ids.user_range(day.local_date, first, last)
    params = {**day.params(), "first": first, "last": last, "bid": batch_id,
              "base": ball_ids.day_base(day.local_date), "lo": lo, "hi": hi}
    # Under the shared lock: a roll-up waits for this batch, or this batch for the roll-up
    # (and for a version that starts a type's monthly cap: methodology.add_version).
    marks = co2e_totals.watermarks_for_settlement(s)
    # A night already copied into carbon_days, or rolled up into users' totals (settled late,
    # by hand), writes there too: the roll-up will not come back for it.
    add_days = _at_or_before(day.local_date, marks.days_through)
    add_totals = _at_or_before(day.local_date, marks.through)
    if is_postgres(s) and not is_citus(s):
        with sql.ball_insert_plan(s):
            statement = sql.one_statement(add_days, add_totals)
            balls, energy_g, _ = s.execute(statement, params).one()
        if _at_or_before(day.local_date, marks.months_through):
            # A night of a month whose statements are rendered: render them again.
            statement_months.render(s, statement_months.month_of(day.local_date), (first, last))
    else:
        # SQLite, and Citus: there each step is one task per shard, run on the shards (the
        # single statement's data-modifying CTE would pull every row to the coordinator).
        balls, energy_g = _insert_step_by_step(s, params, add_days, add_totals)
    balls, energy_g = int(balls), int(energy_g)
    if energy_g:
        # One issue transaction for the whole batch, not one per ball.
        ledger.post(s, "issue", "settlement_batch", batch_id, [
            (ledger.account(s, ledger.ISSUED), -energy_g),
            (ledger.account(s, ledger.BALLS), energy_g)], day.now)
    s.execute(update(SettlementBatch).where(SettlementBatch.id == batch_id).values(
        balls=balls, energy_g=energy_g, finished_at=day.now))
    return balls, energy_g
