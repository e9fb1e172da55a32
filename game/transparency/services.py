"""Use cases of the public log: append (inside the caller's transaction), publish the daily
roots with the nodes proofs read (game.transparency.proofs), verify the whole log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.transparency import repository as repo
from game.transparency.checks import (
    StoredEntry,
    StoredRoot,
    entry_problems,
    node_problems,
    root_problems,
)
from game.transparency.domain import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    log_day,
    log_record,
)
from game.transparency.models import PublicLogEntry, PublishedRoot
from game.transparency.tree import merkle_levels, stored_nodes


@dataclass(frozen=True)
class EntryView:
    seq: int
    kind: str
    ref: str
    log_date: date
    record: dict  # exactly what was hashed
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class RootView:
    log_date: date
    root: str
    count: int
    first_seq: int
    last_seq: int
    published_at: datetime


def entry_view(e: PublicLogEntry) -> EntryView:
    record = log_record(e.seq, e.kind, e.ref, e.log_date, e.created_at, e.payload)
    return EntryView(e.seq, e.kind, e.ref, e.log_date, record, e.prev_hash, e.hash)


def root_view(r: PublishedRoot) -> RootView:
    return RootView(r.log_date, r.root, r.count, r.first_seq, r.last_seq, r.published_at)


def append(session: Session, kind: str, ref: str, payload: dict, now: datetime) -> EntryView:
    """Append one record in the caller's transaction (never commits), so that what is confirmed
    is logged or neither happens. A (kind, ref) already logged is returned, not appended again."""
    repo.lock_chain(session)
    existing = repo.entry(session, kind, ref)
    if existing is not None:
        return entry_view(existing)
    # What is stored must be what was hashed: tuples become lists, floats are refused.
    payload = json.loads(canonical_json(payload))
    head = repo.head(session)
    day = log_day(now, head.log_date if head else None, repo.last_published_day(session))
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS_HASH)
    digest = chain_hash(prev, log_record(seq, kind, ref, day, now, payload))
    row = repo.add(session, seq=seq, kind=kind, ref=ref, payload=payload, prev_hash=prev,
                   hash=digest, log_date=day, created_at=now)
    return entry_view(row)


def publish_roots(uow: UnitOfWork, now: datetime) -> list[RootView]:
    """Publish the root of every UTC day before today's that has entries and no root yet, oldest
    first, with the upper nodes of its tree (what proofs read). Running it again publishes
    nothing new; appends wait while it runs (same lock)."""
    today = now.astimezone(UTC).date()
    with uow:
        s = uow.session
        repo.lock_chain(s)
        published = []
        for day in repo.unpublished_days(s, before=today):
            entries = repo.day_hashes(s, day)
            levels = merkle_levels([h for _, h in entries])
            repo.add_nodes(s, day, stored_nodes(levels))
            published.append(root_view(repo.add_root(
                s, log_date=day, root=levels[-1][0].hex(), count=len(entries),
                first_seq=entries[0][0], last_seq=entries[-1][0], published_at=now)))
        uow.commit()
    return published


def roots(uow: UnitOfWork, after: Key | None, limit: int) -> Page[RootView]:
    with uow:
        rows, next_key = cut(repo.roots_page(uow.session, after_id(after), limit + 1), limit,
                             lambda r: (r.id,))
        return Page([root_view(r) for r in rows], next_key)


def verify_chain(uow: UnitOfWork) -> list[str]:
    """Recompute every hash, every link and every published root; returns the problems found
    (none: the log is intact). Deleting the newest entries of a day not yet published cannot
    be seen: nothing after them commits to them yet."""
    with uow:
        s = uow.session
        # Roots first: a day published while we stream the entries is simply not checked.
        pending = {r.log_date: StoredRoot(r.log_date, r.root, r.count, r.first_seq, r.last_seq)
                   for r in repo.all_roots(s)}
        last_published = max(pending, default=None)
        problems, previous, day = [], None, []
        for row in repo.all_entries(s):
            entry = StoredEntry(*row)
            problems += entry_problems(entry, previous)
            if previous is not None and entry.log_date != previous.log_date:
                problems += _check_day(s, pending, last_published, previous.log_date, day)
                day = []
            day.append((entry.seq, entry.hash))
            previous = entry
        if previous is not None:
            problems += _check_day(s, pending, last_published, previous.log_date, day)
        for root in pending.values():
            problems += root_problems(root, [])
    return problems


def _check_day(s: Session, pending: dict[date, StoredRoot], last_published: date | None,
               day: date, hashes: list) -> list[str]:
    root = pending.pop(day, None)
    if root is not None:
        return root_problems(root, hashes) + node_problems(root, hashes, repo.day_nodes(s, day))
    if last_published is not None and day < last_published:
        return [f"{len(hashes)} entries of {day} are in no published root, although "
                f"{last_published} is published"]
    return []
