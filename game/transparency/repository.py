"""Queries of the public log and its roots (a Session in, never a commit)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import and_, column, func, insert, or_, select, table, text
from sqlalchemy.orm import Session

from db.sql import is_postgres
from game.forest.models import Certificate
from game.transparency.domain import DUTY_CERTIFICATE_ISSUED
from game.transparency.models import MerkleNode, PublicLogEntry, PublishedRoot

# pg_advisory_xact_lock key of the chain (any fixed bigint; this one spells "canopylg").
CHAIN_LOCK_KEY = 0x63616E6F70796C67

# Carbon's partners table, read by name like a foreign key (game never imports carbon.models).
_partners = table("partners", column("id"), column("name"))


def lock_chain(session: Session) -> None:
    """Serialize appends and publications until the transaction ends, so the chain stays one
    line. SQLite needs nothing: its writers already queue on BEGIN IMMEDIATE."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def head(session: Session) -> PublicLogEntry | None:
    return session.scalars(select(PublicLogEntry).order_by(PublicLogEntry.seq.desc())
                           .limit(1)).first()


def entry(session: Session, kind: str, ref: str) -> PublicLogEntry | None:
    return session.scalars(select(PublicLogEntry).where(
        PublicLogEntry.kind == kind, PublicLogEntry.ref == ref)).one_or_none()


def unlogged_duty_ids(session: Session) -> list[int]:
    """Duty certificates not in the log (exchanged before duty certificates were logged)."""
    logged = select(PublicLogEntry.seq).where(PublicLogEntry.kind == DUTY_CERTIFICATE_ISSUED,
                                              PublicLogEntry.ref == Certificate.number)
    return list(session.scalars(select(Certificate.id).where(
        Certificate.kind == "duty", ~logged.exists()).order_by(Certificate.id)))


def add(session: Session, **values: Any) -> PublicLogEntry:
    row = PublicLogEntry(**values)
    session.add(row)
    session.flush()
    return row


def day_hashes(session: Session, day: date) -> list[tuple[int, str]]:
    rows = session.execute(select(PublicLogEntry.seq, PublicLogEntry.hash)
                           .where(PublicLogEntry.log_date == day).order_by(PublicLogEntry.seq))
    return [(seq, h) for seq, h in rows]


def seq_hashes(session: Session, first: int, last: int) -> list[str]:
    """Hashes of entries first..last, in seq order (one range of the primary key)."""
    return list(session.scalars(select(PublicLogEntry.hash).where(
        PublicLogEntry.seq.between(first, last)).order_by(PublicLogEntry.seq)))


def add_nodes(session: Session, day: date, nodes: dict[tuple[int, int], str]) -> None:
    if nodes:
        session.execute(insert(MerkleNode), [
            {"log_date": day, "level": k, "position": j, "hash": h}
            for (k, j), h in nodes.items()])


def nodes_at(session: Session, day: date, positions: list[tuple[int, int]]) -> dict:
    """(level, position) -> hash of the stored nodes of `day` at `positions` (one query)."""
    if not positions:
        return {}
    n = MerkleNode
    rows = session.execute(select(n.level, n.position, n.hash).where(
        n.log_date == day, or_(*(and_(n.level == k, n.position == j) for k, j in positions))))
    return {(k, j): h for k, j, h in rows}


def day_nodes(session: Session, day: date) -> dict[tuple[int, int], str]:
    n = MerkleNode
    rows = session.execute(select(n.level, n.position, n.hash).where(n.log_date == day))
    return {(k, j): h for k, j, h in rows}


def unpublished_days(session: Session, before: date) -> list[date]:
    """Days before `before` that have entries and no published root, oldest first."""
    published = select(PublishedRoot.log_date)
    return list(session.scalars(
        select(PublicLogEntry.log_date).distinct()
        .where(PublicLogEntry.log_date < before, PublicLogEntry.log_date.not_in(published))
        .order_by(PublicLogEntry.log_date)))


def last_published_day(session: Session) -> date | None:
    return session.scalar(select(func.max(PublishedRoot.log_date)))


def add_root(session: Session, **values: Any) -> PublishedRoot:
    row = PublishedRoot(**values)
    session.add(row)
    session.flush()
    return row


def root_of(session: Session, day: date) -> PublishedRoot | None:
    return session.scalars(select(PublishedRoot).where(PublishedRoot.log_date == day)).first()


def roots_page(session: Session, after_id: int, limit: int) -> list[PublishedRoot]:
    return list(session.scalars(select(PublishedRoot).where(PublishedRoot.id > after_id)
                                .order_by(PublishedRoot.id).limit(limit)))


def all_roots(session: Session) -> list[PublishedRoot]:
    return list(session.scalars(select(PublishedRoot).order_by(PublishedRoot.log_date)))


def all_entries(session: Session, batch: int = 2000) -> Iterator[tuple]:
    """Every entry as a plain row (seq, kind, ref, log_date, created_at, payload, prev_hash,
    hash), in seq order, streamed."""
    e = PublicLogEntry
    yield from session.execute(
        select(e.seq, e.kind, e.ref, e.log_date, e.created_at, e.payload, e.prev_hash, e.hash)
        .order_by(e.seq).execution_options(yield_per=batch))


def partner_names(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(_partners.c.id, _partners.c.name)
                           .where(_partners.c.id.in_(set(ids))))
    return {pid: name for pid, name in rows}
