"""Activity event ingestion: partner batches and the app's step counts.

A batch is a handful of set-based statements whatever its size: one read of the catalog, one
bulk users lookup (and insert of the new ones), the day locks and one settled-state read, one
INSERT ... ON CONFLICT DO NOTHING, and one read of the stored hashes of what was not inserted. The unique key (source, source_event_id) decides between
concurrent retries; comparing payload hashes tells a duplicate from a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from carbon.domain.account import MAX_DAILY_STEPS, local_date_of
from carbon.domain.events import (
    CheckedEvent,
    Rejection,
    check_batch,
    conflict,
    day_settled,
    payload_hash,
)
from carbon.errors import Conflict, DayAlreadySettled, InvalidInput
from carbon.repository import events as repo
from carbon.services.users import UserRef, ensure_users
from db import UnitOfWork

APP_SOURCE = "app"
WALK = "walk"
STEPS_MAX_AGE_DAYS = 7


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def ingest_events(uow: UnitOfWork, source: str, raw_events: list, default_tz: str,
                  now: datetime) -> IngestResult:
    """Store the valid, new events of one partner batch; report every other one."""
    with uow:
        s = uow.session
        batch = check_batch(raw_events, repo.type_rules(s), now)
        result = IngestResult(duplicates=batch.duplicates, rejected=batch.rejected)
        users = ensure_users(s, [e.user_id for e in batch.events], default_tz, now)
        rows = {e.id: _row(source, e, users[e.user_id], now) for e in batch.events}
        late = _late_ids(s, rows, users)
        inserted = repo.insert_events(s, [r for i, r in rows.items() if i not in late])
        result.accepted = len(inserted)
        _classify_the_rest(s, source, batch.events, inserted, late, rows, result)
        uow.commit()
    result.rejected.sort(key=lambda r: r.index)
    return result


def _row(source: str, e: CheckedEvent, user: UserRef, now: datetime) -> dict:
    return {"source": source, "source_event_id": e.id, "user_id": user.id,
            "activity_type": e.type, "quantity": e.quantity, "occurred_at": e.occurred_at,
            "local_date": local_date_of(e.occurred_at, user.timezone),
            "attributes": e.attributes, "payload_hash": e.payload_hash,
            "dedupe_key": e.dedupe_key, "received_at": now}


def _late_ids(s: Session, rows: dict[str, dict], users: dict[str, UserRef]) -> set[str]:
    """Ids of events whose user's local day is already settled (late data policy)."""
    zone_of = {u.id: u.timezone for u in users.values()}
    days = {(r["local_date"], zone_of[r["user_id"]]) for r in rows.values()}
    repo.hold_days(s, days)
    settled = repo.settled_days(s, days)
    if not settled.whole and not settled.ranges:
        return set()
    return {i for i, r in rows.items()
            if settled.covers(r["user_id"], r["local_date"], zone_of[r["user_id"]])}


def _classify_the_rest(s: Session, source: str, events: list[CheckedEvent], inserted: set[str],
                       late: set[str], rows: dict[str, dict], result: IngestResult) -> None:
    """A retry of a stored event is a duplicate (even once its day is settled), another payload
    under a stored id is a conflict, and a new event of a settled day is refused as late."""
    rest = [e for e in events if e.id not in inserted]
    stored = repo.stored_hashes(s, source, [e.id for e in rest])
    for e in rest:
        known = stored.get(e.id)
        if known == e.payload_hash:
            result.duplicates += 1
        elif known is not None:
            result.rejected.append(conflict(e.index, e.id))
        elif e.id in late:
            result.rejected.append(day_settled(e.index, e.id, rows[e.id]["local_date"]))
        else:  # inserted and rolled back by a concurrent writer between our two statements
            result.rejected.append(Rejection(e.index, e.id, "retry",
                                             "The event could not be stored; send it again."))


@dataclass(frozen=True)
class StepsResult:
    date: date
    steps: int  # the highest count reported for that date so far


def record_steps(uow: UnitOfWork, user: UserRef, day: date, steps: int,
                 now: datetime) -> StepsResult:
    """The phone's step count for one of the user's local dates; the day's highest count counts."""
    _check_steps(user, day, steps, now)
    with uow:
        s = uow.session
        walk = repo.type_rules(s).get(WALK)
        if walk is None or not walk.active:
            raise Conflict("Step counts are not accepted at the moment (walk is inactive).")
        repo.hold_days(s, {(day, user.timezone)})
        if repo.any_settled(s, user.id, day, user.timezone):
            raise DayAlreadySettled(
                f"{day.isoformat()} is already settled; its step count can no longer change.")
        # One id per (user, date, count): re-sending the same count stores nothing new.
        row = {"source": APP_SOURCE, "source_event_id": f"steps:{user.id}:{day}:{steps}",
               "user_id": user.id, "activity_type": WALK, "quantity": steps,
               "occurred_at": now, "local_date": day, "attributes": {},
               "payload_hash": payload_hash(user.external_id, WALK, steps, now, "{}"),
               "dedupe_key": None, "received_at": now}
        repo.insert_events(s, [row])
        highest = repo.highest_quantity(s, user.id, WALK, day) or 0
        uow.commit()
    return StepsResult(day, highest)


def _check_steps(user: UserRef, day: date, steps: int, now: datetime) -> None:
    if not 0 <= steps <= MAX_DAILY_STEPS:
        raise InvalidInput(f"steps must be between 0 and {MAX_DAILY_STEPS:,} a day.",
                           {"steps": [f"0 to {MAX_DAILY_STEPS}"]})
    today = local_date_of(now, user.timezone)
    if day > today:
        raise InvalidInput(f"{day.isoformat()} is in the future in your time zone "
                           f"({user.timezone}, today is {today.isoformat()}).",
                           {"date": ["in the future"]})
    if day < today - timedelta(days=STEPS_MAX_AGE_DAYS):
        raise InvalidInput(f"{day.isoformat()} is more than {STEPS_MAX_AGE_DAYS} days ago; "
                           "step counts are accepted for the last 7 days only.",
                           {"date": ["older than 7 days"]})
