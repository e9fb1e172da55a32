"""Queries of the farm. Take a Session, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from db.sql import insert_ignore, is_citus
from game.farm.models import (
    CharityProject,
    DonationRecord,
    EggDonation,
    Farm,
    FeedGrant,
    Meal,
    QuizAnswer,
    QuizQuestion,
)

LOCK_UPDATE, LOCK_SHARE = "update", "share"


def ensure_farms(session: Session, user_ids: Iterable[int], now: datetime) -> None:
    """Create the farm rows that do not exist yet (an empty store, an empty trough)."""
    rows = [{"user_id": uid, "trough_at": now, "created_at": now} for uid in sorted(set(user_ids))]
    if rows:
        insert_ignore(session, Farm.__table__, rows, ["user_id"])


def lock_farms(session: Session, user_ids: Iterable[int], mode: str | None) -> dict[int, Farm]:
    """The farm rows of `user_ids`, locked in user id order (so that two transactions locking
    overlapping sets never wait on each other in a cycle). SQLite locks the whole database."""
    ids = sorted(set(user_ids))
    # Citus locks rows of one shard per statement: one statement per farm, in the same order.
    groups = [[uid] for uid in ids] if mode is not None and is_citus(session) else [ids]
    farms: dict[int, Farm] = {}
    for group in groups:
        stmt = (select(Farm).where(Farm.user_id.in_(group)).order_by(Farm.user_id)
                .execution_options(populate_existing=True))
        if mode is not None:
            stmt = stmt.with_for_update(read=mode == LOCK_SHARE)
        farms.update((f.user_id, f) for f in session.scalars(stmt))
    return farms


def trough_of_current_meal(session: Session, user_id: int) -> int | None:
    """Whose trough the user's chicken is eating at (per the last checkpoint), if any."""
    return session.scalar(
        select(Meal.trough_user_id).join(Farm, Farm.meal_id == Meal.id)
        .where(Farm.user_id == user_id, Meal.ended_at.is_(None)))


def meals_eating_at(session: Session, trough_ids: Iterable[int]) -> list[Meal]:
    return list(session.scalars(
        select(Meal).where(Meal.trough_user_id.in_(sorted(set(trough_ids))),
                           Meal.ended_at.is_(None))
        .execution_options(populate_existing=True)))


def meals_by_id(session: Session, meal_ids: Iterable[int | None]) -> list[Meal]:
    ids = sorted({m for m in meal_ids if m is not None})
    if not ids:
        return []
    return list(session.scalars(select(Meal).where(Meal.id.in_(ids))
                                .execution_options(populate_existing=True)))


def granted_sources(session: Session, user_ids: list[int], day: date,
                    source: str) -> set[int]:
    return set(session.scalars(select(FeedGrant.user_id).where(
        FeedGrant.user_id.in_(user_ids), FeedGrant.local_date == day, FeedGrant.source == source)))


def quiz_answer(session: Session, user_id: int, day: date) -> QuizAnswer | None:
    return session.scalars(select(QuizAnswer).where(
        QuizAnswer.user_id == user_id, QuizAnswer.local_date == day)).one_or_none()


def active_questions(session: Session) -> list[QuizQuestion]:
    return list(session.scalars(
        select(QuizQuestion).where(QuizQuestion.active.is_(True)).order_by(QuizQuestion.id)))


def questions_page(session: Session, after_id: int, limit: int) -> list[QuizQuestion]:
    return list(session.scalars(select(QuizQuestion).where(QuizQuestion.id > after_id)
                                .order_by(QuizQuestion.id).limit(limit)))


def projects_page(session: Session, after_id: int, limit: int,
                  status: str | None = None) -> list[CharityProject]:
    stmt = select(CharityProject).where(CharityProject.id > after_id)
    if status is not None:
        stmt = stmt.where(CharityProject.status == status)
    return list(session.scalars(stmt.order_by(CharityProject.id).limit(limit)))


def lock_project(session: Session, project_id: int) -> CharityProject | None:
    return session.scalars(
        select(CharityProject).where(CharityProject.id == project_id).with_for_update()
        .execution_options(populate_existing=True)).one_or_none()


def add_donated_eggs(session: Session, project_id: int, eggs: int) -> tuple[int, CharityProject] | None:
    """Atomically add `eggs` to an open project; (donated count after, project) or None when the
    project is not open. The UPDATE's row lock orders concurrent donors, so each sees its own
    (before, after] interval and each multiple of the target is crossed by exactly one of them."""
    after = session.execute(
        update(CharityProject)
        .where(CharityProject.id == project_id, CharityProject.status == "open")
        .values(eggs_donated=CharityProject.eggs_donated + eggs)
        .returning(CharityProject.eggs_donated)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    if after is None:
        return None
    project = session.get(CharityProject, project_id, populate_existing=True)
    assert project is not None
    return after, project


def records_page(session: Session, partner_id: int, status: str | None, after_id: int,
                 limit: int) -> list[tuple[DonationRecord, CharityProject]]:
    stmt = (select(DonationRecord, CharityProject)
            .join(CharityProject, CharityProject.id == DonationRecord.project_id)
            .where(CharityProject.partner_id == partner_id, DonationRecord.id > after_id))
    if status is not None:
        stmt = stmt.where(DonationRecord.status == status)
    return [(r, p) for r, p in session.execute(stmt.order_by(DonationRecord.id).limit(limit))]


def record_of_partner(session: Session, record_id: int,
                      partner_id: int) -> tuple[DonationRecord, CharityProject] | None:
    row = session.execute(
        select(DonationRecord, CharityProject)
        .join(CharityProject, CharityProject.id == DonationRecord.project_id)
        .where(DonationRecord.id == record_id, CharityProject.partner_id == partner_id)
        .with_for_update(of=DonationRecord)).one_or_none()
    return (row[0], row[1]) if row else None


def eggs_donated_total(session: Session) -> int:
    return int(session.execute(
        select(func.coalesce(func.sum(CharityProject.eggs_donated), 0))).scalar_one())


def feed_grants_page(session: Session, user_id: int, before: tuple[date, int] | None,
                     limit: int) -> list[FeedGrant]:
    """The user's feed grants, newest local date first (then newest id), strictly after the
    (local_date, id) key `before` in that order."""
    stmt = select(FeedGrant).where(FeedGrant.user_id == user_id)
    if before is not None:
        day, grant_id = before
        stmt = stmt.where(or_(FeedGrant.local_date < day,
                              and_(FeedGrant.local_date == day, FeedGrant.id < grant_id)))
    return list(session.scalars(stmt.order_by(FeedGrant.local_date.desc(), FeedGrant.id.desc())
                                .limit(limit)))


def donations_of(session: Session, user_id: int, before_id: int | None,
                 limit: int) -> list[tuple]:
    """(id, project id, project name, eggs, created at) of the user's egg donations, newest
    (highest id) first, starting before `before_id`."""
    stmt = (select(EggDonation.id, EggDonation.project_id, CharityProject.name, EggDonation.eggs,
                   EggDonation.created_at)
            .join(CharityProject, CharityProject.id == EggDonation.project_id)
            .where(EggDonation.user_id == user_id)
            .order_by(EggDonation.id.desc()).limit(limit))
    if before_id is not None:
        stmt = stmt.where(EggDonation.id < before_id)
    return [tuple(r) for r in session.execute(stmt)]
