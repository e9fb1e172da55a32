"""Queries of activity events and the settled state of local days. Take a Session, never commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, cast, func, null, select, text, tuple_, union_all
from sqlalchemy.orm import Session

from carbon.domain.events import SettledDays, TypeRule, day_lock_key
from carbon.models import (
    ActivityEvent,
    ActivityType,
    MethodologyVersion,
    SettlementBatch,
    SettlementRun,
)
from db.sql import in_values, insert_ignore, is_postgres

EVENTS = ActivityEvent.__table__


def type_rules(session: Session) -> dict[str, TypeRule]:
    """Every activity type with the start of its methodology, in one query."""
    first = (select(MethodologyVersion.activity_type,
                    func.min(MethodologyVersion.effective_from).label("valued_from"))
             .group_by(MethodologyVersion.activity_type).subquery())
    rows = session.execute(
        select(ActivityType.key, ActivityType.aggregate, ActivityType.max_quantity,
               ActivityType.dedupe_attribute, ActivityType.active, first.c.valued_from)
        .outerjoin(first, first.c.activity_type == ActivityType.key))
    return {r.key: TypeRule(r.key, r.aggregate, r.max_quantity, r.dedupe_attribute, r.active,
                            r.valued_from) for r in rows}


def hold_days(session: Session, days: set[tuple[date, str]], exclusive: bool = False) -> None:
    """Take the (local date, zone) advisory locks until the transaction ends (PostgreSQL).

    Ingestion holds them shared from its settled-state check to its commit; settlement of a day
    holds its lock exclusively, so an event is either seen by settlement or refused as late,
    never stored unseen. SQLite runs one writer at a time and needs no lock."""
    if not days or not is_postgres(session):
        return
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    keys = sorted({day_lock_key(d, tz) for d, tz in days})
    session.execute(text(f"SELECT {fn}(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
                    {"keys": keys})


def settled_days(session: Session, days: set[tuple[date, str]]) -> SettledDays:
    """Which of `days` are settled: completed runs, and finished batches of user ranges."""
    if not days:
        return SettledDays(frozenset(), {})
    pairs = list(days)
    runs = (select(SettlementRun.local_date, SettlementRun.timezone,
                   cast(null(), BigInteger).label("first"),
                   cast(null(), BigInteger).label("last"))
            .where(tuple_(SettlementRun.local_date, SettlementRun.timezone).in_(pairs),
                   SettlementRun.completed_at.is_not(None)))
    batches = (select(SettlementBatch.local_date, SettlementBatch.timezone,
                      SettlementBatch.first_user_id, SettlementBatch.last_user_id)
               .where(tuple_(SettlementBatch.local_date, SettlementBatch.timezone).in_(pairs)))
    whole: set[tuple[date, str]] = set()
    ranges: dict[tuple[date, str], list[tuple[int, int]]] = {}
    for day, tz, lo, hi in session.execute(union_all(runs, batches)):
        if lo is None:
            whole.add((day, tz))
        else:
            ranges.setdefault((day, tz), []).append((lo, hi))
    return SettledDays(frozenset(whole), ranges)


def insert_events(session: Session, rows: list[dict]) -> set[str]:
    """Insert what is new; the source_event_ids actually inserted (ON CONFLICT DO NOTHING)."""
    if not rows:
        return set()
    # One order for every writer, so that concurrent overlapping batches never deadlock.
    rows = sorted(rows, key=lambda r: r["source_event_id"])
    result = insert_ignore(session, EVENTS, rows, ["source", "source_event_id"],
                           returning=(EVENTS.c.source_event_id,))
    return set(result.scalars())


def stored_hashes(session: Session, source: str, event_ids: list[str]) -> dict[str, str]:
    if not event_ids:
        return {}
    rows = session.execute(
        select(ActivityEvent.source_event_id, ActivityEvent.payload_hash)
        .where(ActivityEvent.source == source,
               in_values(session, ActivityEvent.source_event_id, event_ids)))
    return {event_id: digest for event_id, digest in rows}


def highest_quantity(session: Session, user_id: int, type_key: str, day: date) -> int | None:
    return session.scalar(
        select(func.max(ActivityEvent.quantity))
        .where(ActivityEvent.user_id == user_id, ActivityEvent.activity_type == type_key,
               ActivityEvent.local_date == day))


def any_settled(session: Session, user_id: int, day: date, tz: str) -> bool:
    return settled_days(session, {(day, tz)}).covers(user_id, day, tz)

