"""Projects and planting orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from db.sql import rowcount
from game.forest.models import GroupMember, PlantingOrder, Project


def project(session: Session, project_id: int, lock: bool = False) -> Project | None:
    return session.get(Project, project_id, with_for_update=lock or None)


def project_of(session: Session, project_id: int) -> Project:
    """The project a row's foreign key names: it exists (NoResultFound otherwise)."""
    return session.get_one(Project, project_id)


def projects(session: Session, after_id: int, limit: int) -> list[Project]:
    return list(session.scalars(
        select(Project).where(Project.id > after_id).order_by(Project.id).limit(limit)))


def project_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Project.code)))


def take_budget(session: Session, project_id: int, quantity: int) -> bool:
    """Reserve `quantity` units of an open project's budget; False when it cannot."""
    result = session.execute(
        update(Project)
        .where(Project.id == project_id, Project.status == "open", Project.budget >= quantity)
        .values(budget=Project.budget - quantity).execution_options(synchronize_session=False))
    return rowcount(result) == 1


def restore_budget(session: Session, project_id: int, quantity: int) -> None:
    session.execute(update(Project).where(Project.id == project_id)
                    .values(budget=Project.budget + quantity)
                    .execution_options(synchronize_session=False))


def add_order(session: Session, **values: Any) -> PlantingOrder:
    order = PlantingOrder(**values)
    session.add(order)
    session.flush()
    return order


def order(session: Session, order_id: int) -> PlantingOrder:
    """An order known to exist, read again (NoResultFound otherwise)."""
    return session.get_one(PlantingOrder, order_id, populate_existing=True)


def orders_of_user(session: Session, user_id: int, after_id: int,
                   limit: int) -> list[PlantingOrder]:
    """The user's own orders and those of the groups they are a member of, by id."""
    groups = select(GroupMember.group_id).where(GroupMember.user_id == user_id,
                                                GroupMember.status == "member")
    return list(session.scalars(
        select(PlantingOrder).where(or_(PlantingOrder.user_id == user_id,
                                        PlantingOrder.group_id.in_(groups)),
                                    PlantingOrder.id > after_id)
        .order_by(PlantingOrder.id).limit(limit)))


def order_of_group(session: Session, group_id: int) -> PlantingOrder | None:
    return session.scalars(select(PlantingOrder).where(PlantingOrder.group_id == group_id)
                           .execution_options(populate_existing=True)).one_or_none()


def orders_of_partner(session: Session, partner_id: int, status: str | None, after_id: int,
                      limit: int) -> list[PlantingOrder]:
    stmt = (select(PlantingOrder).join(Project, Project.id == PlantingOrder.project_id)
            .where(Project.partner_id == partner_id, PlantingOrder.id > after_id))
    if status:
        stmt = stmt.where(PlantingOrder.status == status)
    return list(session.scalars(stmt.order_by(PlantingOrder.id).limit(limit)))


def order_of_partner(session: Session, order_id: int, partner_id: int) -> PlantingOrder | None:
    return session.scalars(
        select(PlantingOrder).join(Project, Project.id == PlantingOrder.project_id)
        .where(PlantingOrder.id == order_id, Project.partner_id == partner_id)
        .execution_options(populate_existing=True)).one_or_none()


def decide(session: Session, order_id: int, status: str, now: datetime, **values: Any) -> bool:
    """Move a pending order to planted or rejected; False when it was no longer pending."""
    result = session.execute(
        update(PlantingOrder)
        .where(PlantingOrder.id == order_id, PlantingOrder.status == "pending")
        .values(status=status, decided_at=now, **values)
        .execution_options(synchronize_session=False))
    return rowcount(result) == 1


def trees_planted_total(session: Session) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(PlantingOrder.quantity), 0))
        .join(Project, Project.id == PlantingOrder.project_id)
        .where(PlantingOrder.status == "planted", Project.kind == "tree")) or 0)
