"""Co-planting (合种): members fill one shared pot, the ledger account f"group:{id}", for one
tree (or m²) of one project; the pot reaching the cost places the order at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from carbon.services import ledger, outbox
from carbon.services.users import get_user
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.forest.domain import MAX_GROUP_MEMBERS
from game.forest.errors import (
    GroupFull,
    GroupNotFound,
    GroupNotOpen,
    InvalidQuantity,
    NotGroupMember,
    PotOverflow,
)
from game.forest.models import PlantingGroup, Project
from game.forest.repository import groups as repo
from game.forest.repository import plantings as plantings_repo
from game.forest.services.friends import require_friends
from game.forest.services.group_views import group_view
from game.forest.services.plantings import ORDER_CAUSE, PLANTINGS, open_project, take_budget

CONTRIBUTION_CAUSE = "group_contribution"


def pot_account(session: Session, group_id: int) -> int:
    return ledger.account(session, f"group:{group_id}", None, tracks_balance=True)


def _group(session: Session, group_id: int) -> PlantingGroup:
    g = repo.group(session, group_id)
    if g is None:
        raise GroupNotFound(f"No co-planting group {group_id}.")
    return g


def _member_of(session: Session, group_id: int, user_id: int) -> PlantingGroup:
    g = _group(session, group_id)
    if repo.membership(session, group_id, user_id) != "member":
        raise NotGroupMember(f"You are not a member of group {group_id}.")
    return g


def create_group(uow: UnitOfWork, me_id: int, name: str, project_id: int,
                 now: datetime) -> dict:
    with uow:
        s = uow.session
        open_project(s, project_id, 1)
        g = repo.add_group(s, name=name, project_id=project_id, owner_user_id=me_id,
                           status="open", created_at=now)
        repo.invite(s, g.id, me_id, None, now, status="member")
        view = group_view(s, g)
        uow.commit()
    return view


def get_group(uow: UnitOfWork, me_id: int, group_id: int) -> dict:
    with uow:
        if repo.membership(uow.session, group_id, me_id) is None:
            raise GroupNotFound(f"No co-planting group {group_id} you belong to.")
        return group_view(uow.session, _group(uow.session, group_id))


def my_groups(uow: UnitOfWork, me_id: int, after: Key | None, limit: int) -> Page[dict]:
    with uow:
        rows, next_key = cut(repo.groups_of_user(uow.session, me_id, after_id(after), limit + 1),
                             limit, lambda g: (g.id,))
        return Page([group_view(uow.session, g) for g in rows], next_key)


def add_member(uow: UnitOfWork, me_id: int, group_id: int, user_external: str,
               now: datetime) -> dict:
    """A member invites a friend; the invited user accepts by adding themselves."""
    with uow:
        s = uow.session
        g = _group(s, group_id)
        target = get_user(s, user_external).id
        if target == me_id:
            _accept(s, group_id, me_id, now)
        else:
            _invite(s, g, me_id, target, now)
        view = group_view(s, g)
        uow.commit()
    return view


def _accept(s: Session, group_id: int, me_id: int, now: datetime) -> None:
    status = repo.membership(s, group_id, me_id)
    if status is None:
        raise NotGroupMember(f"You were not invited to group {group_id}.")
    if status == "invited":
        repo.accept(s, group_id, me_id, now)


def _invite(s: Session, g: PlantingGroup, me_id: int, target: int, now: datetime) -> None:
    _member_of(s, g.id, me_id)
    if g.status != "open":
        raise GroupNotOpen(f"Group {g.id} has already placed its order.")
    require_friends(s, me_id, target)
    if repo.member_count(s, g.id) >= MAX_GROUP_MEMBERS:
        raise GroupFull(f"Group {g.id} already has {MAX_GROUP_MEMBERS} members.")
    repo.invite(s, g.id, target, me_id, now)


def contribute(uow: UnitOfWork, me_id: int, group_id: int, energy_g: int,
               now: datetime) -> dict:
    """Move my energy into the pot; the gram that fills it places the group's order."""
    if energy_g <= 0:
        raise InvalidQuantity("energy_g must be positive.", {"energy_g": ["at least 1"]})
    with uow:
        s = uow.session
        g = _member_of(s, group_id, me_id)
        if g.status != "open":
            raise GroupNotOpen(f"Group {group_id} has already placed its order.")
        project = plantings_repo.project_of(s, g.project_id)
        pot = pot_account(s, group_id)
        cid = repo.add_contribution(s, group_id, me_id, energy_g, now)
        ledger.transfer(s, "group_contribution", CONTRIBUTION_CAUSE, cid,
                        ledger.available_account(s, me_id), pot, energy_g, now)
        # The transfer locked the pot's row: this balance cannot change under us.
        held = ledger.posted_balance(s, pot)
        if held > project.energy_cost_g:
            raise PotOverflow(f"The pot needs only {project.energy_cost_g - held + energy_g} g "
                              "more; nothing was taken.")
        if held == project.energy_cost_g:
            _place_order(s, g, project, pot, now)
        view = group_view(s, g)
        uow.commit()
    return view


def _place_order(s: Session, g: PlantingGroup, project: Project, pot: int, now: datetime) -> None:
    if not repo.set_status(s, g.id, "open", "ordered"):
        raise GroupNotOpen(f"Group {g.id} has already placed its order.")
    take_budget(s, project, 1)
    order = plantings_repo.add_order(s, project_id=project.id, user_id=None, group_id=g.id,
                                     quantity=1, energy_g=project.energy_cost_g,
                                     status="pending", created_at=now)
    ledger.transfer(s, "planting", ORDER_CAUSE, order.id, pot, ledger.account(s, PLANTINGS),
                    project.energy_cost_g, now)
    for uid in repo.member_ids(s, g.id):  # at most MAX_GROUP_MEMBERS rows
        outbox.record(s, "group_pot_filled", now, user_id=uid, partner_id=project.partner_id,
                      group_id=g.id, order_id=order.id, project_id=project.id,
                      energy_g=project.energy_cost_g)
    s.refresh(g)
