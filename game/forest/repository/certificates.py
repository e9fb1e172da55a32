"""Certificates and their gap-free numbering."""

from __future__ import annotations

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from db.sql import insert_ignore, rowcount
from game.forest.models import Certificate, CertificateCounter


def next_numbers(session: Session, series: str, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of (series, year); returns the first. The counter
    row stays locked until commit, so numbers are unique and, once committed, without gaps."""
    insert_ignore(session, CertificateCounter.__table__,
                  {"series": series, "year": year, "last": 0}, ["series", "year"])
    last = session.execute(
        update(CertificateCounter)
        .where(CertificateCounter.series == series, CertificateCounter.year == year)
        .values(last=CertificateCounter.last + count)
        .returning(CertificateCounter.last).execution_options(synchronize_session=False)
    ).scalar_one()
    return last - count + 1


def add(session: Session, rows: list[dict]) -> None:
    session.execute(Certificate.__table__.insert(), rows)


def add_duty(session: Session, row: dict) -> int | None:
    """Insert a duty certificate unless the user already has one for that year."""
    inserted = insert_ignore(session, Certificate.__table__, row, ["user_id", "year"],
                             index_where=text("kind = 'duty'"),
                             returning=(Certificate.__table__.c.id,)).first()
    return inserted[0] if inserted else None


def of_user(session: Session, user_id: int, after_id: int, limit: int) -> list[Certificate]:
    return list(session.scalars(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.id > after_id)
        .order_by(Certificate.id).limit(limit)))


def of_order(session: Session, order_id: int) -> list[Certificate]:
    return list(session.scalars(
        select(Certificate).where(Certificate.order_id == order_id).order_by(Certificate.id)))


def numbers_by_id(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Certificate.id, Certificate.number)
                           .where(Certificate.id.in_(set(ids))))
    return {cid: number for cid, number in rows}


def exchanged_for(session: Session, duty_id: int) -> list[str]:
    """The numbers of the tree certificates exchanged for duty certificate `duty_id`."""
    return list(session.scalars(select(Certificate.number)
                                .where(Certificate.duty_certificate_id == duty_id)
                                .order_by(Certificate.number)))


def unused_tree_ids(session: Session, user_id: int, year: int, count: int) -> list[int]:
    return list(session.scalars(
        select(Certificate.id).where(Certificate.user_id == user_id, Certificate.kind == "tree",
                                     Certificate.year == year,
                                     Certificate.duty_certificate_id.is_(None))
        .order_by(Certificate.id).limit(count)))


def mark_used(session: Session, ids: list[int], duty_id: int) -> int:
    """Mark still-unused certificates as exchanged for `duty_id`; returns how many were."""
    result = session.execute(
        update(Certificate)
        .where(Certificate.id.in_(ids), Certificate.duty_certificate_id.is_(None))
        .values(duty_certificate_id=duty_id).execution_options(synchronize_session=False))
    return rowcount(result)


def tree_count(session: Session, user_id: int) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(Certificate.quantity), 0))
        .where(Certificate.user_id == user_id, Certificate.kind == "tree")) or 0)
