"""Co-planting groups, their members and contributions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.sql import insert_ignore, rowcount
from game.forest.models import GroupContribution, GroupMember, PlantingGroup


def group(session: Session, group_id: int) -> PlantingGroup | None:
    return session.get(PlantingGroup, group_id, populate_existing=True)


def add_group(session: Session, **values: Any) -> PlantingGroup:
    g = PlantingGroup(**values)
    session.add(g)
    session.flush()
    return g


def membership(session: Session, group_id: int, user_id: int) -> str | None:
    """'member', 'invited' or None."""
    return session.scalar(select(GroupMember.status).where(
        GroupMember.group_id == group_id, GroupMember.user_id == user_id))


def invite(session: Session, group_id: int, user_id: int, by: int | None, now: datetime,
           status: str = "invited") -> bool:
    result = insert_ignore(session, GroupMember.__table__, {
        "group_id": group_id, "user_id": user_id, "status": status, "invited_by_user_id": by,
        "invited_at": now, "joined_at": now if status == "member" else None,
    }, ["group_id", "user_id"], returning=(GroupMember.__table__.c.user_id,))
    return result.first() is not None


def accept(session: Session, group_id: int, user_id: int, now: datetime) -> bool:
    result = session.execute(
        update(GroupMember)
        .where(GroupMember.group_id == group_id, GroupMember.user_id == user_id,
               GroupMember.status == "invited")
        .values(status="member", joined_at=now).execution_options(synchronize_session=False))
    return rowcount(result) == 1


def member_count(session: Session, group_id: int) -> int:
    return session.execute(select(func.count()).select_from(GroupMember)
                           .where(GroupMember.group_id == group_id)).scalar_one()


def members(session: Session, group_id: int) -> list[GroupMember]:
    return list(session.scalars(select(GroupMember).where(GroupMember.group_id == group_id)
                                .order_by(GroupMember.invited_at, GroupMember.user_id)))


def member_ids(session: Session, group_id: int) -> list[int]:
    return list(session.scalars(
        select(GroupMember.user_id).where(GroupMember.group_id == group_id,
                                          GroupMember.status == "member")
        .order_by(GroupMember.user_id)))


def groups_of_user(session: Session, user_id: int, after_id: int = 0,
                   limit: int | None = None) -> list[PlantingGroup]:
    return list(session.scalars(
        select(PlantingGroup).join(GroupMember, GroupMember.group_id == PlantingGroup.id)
        .where(GroupMember.user_id == user_id, PlantingGroup.id > after_id)
        .order_by(PlantingGroup.id).limit(limit)))


def add_contribution(session: Session, group_id: int, user_id: int, energy_g: int,
                     now: datetime) -> int:
    c = GroupContribution(group_id=group_id, user_id=user_id, energy_g=energy_g, created_at=now)
    session.add(c)
    session.flush()
    return c.id


def given_by_member(session: Session, group_id: int) -> dict[int, int]:
    rows = session.execute(
        select(GroupContribution.user_id, func.sum(GroupContribution.energy_g))
        .where(GroupContribution.group_id == group_id).group_by(GroupContribution.user_id))
    return {uid: int(total) for uid, total in rows}


def set_status(session: Session, group_id: int, from_status: str, to_status: str) -> bool:
    result = session.execute(
        update(PlantingGroup)
        .where(PlantingGroup.id == group_id, PlantingGroup.status == from_status)
        .values(status=to_status).execution_options(synchronize_session=False))
    return rowcount(result) == 1
