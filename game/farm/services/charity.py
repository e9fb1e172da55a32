"""Charity projects: operators manage them, anyone sees their progress, users donate eggs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from carbon.errors import InvalidInput
from carbon.services import lookups, outbox, public_counts
from carbon.services.partners import find_partner_by_name
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.farm import domain
from game.farm import repository as repo
from game.farm.errors import (
    CharityProjectClosed,
    CharityProjectNotFound,
    NotEnoughEggs,
    TargetLocked,
)
from game.farm.models import CharityProject, DonationRecord, EggDonation
from game.farm.services.scene import chicken, instant, write_scene

STATUSES = ("open", "closed")


@dataclass(frozen=True)
class ProjectView:
    id: int
    name: str
    partner_id: int
    partner_name: str
    sponsor_name: str
    fen_per_egg: int
    egg_target: int
    eggs_donated: int
    records: int  # donation records so far: one per egg_target eggs
    status: str
    created_at: datetime


def _views(session: Session, rows: list[CharityProject]) -> list[ProjectView]:
    names = lookups.partner_names(session, [p.partner_id for p in rows])
    return [ProjectView(p.id, p.name, p.partner_id, names.get(p.partner_id, ""), p.sponsor_name,
                        p.fen_per_egg, p.egg_target, p.eggs_donated,
                        p.eggs_donated // p.egg_target, p.status, p.created_at) for p in rows]


def _charity_id(uow: UnitOfWork, name: str) -> int:
    partner = find_partner_by_name(uow, name)
    if partner is None:
        raise InvalidInput(f"No partner named '{name}'.", {"partner_name": ["unknown partner"]})
    if "donations" not in partner.scopes:
        raise InvalidInput(f"Partner '{name}' lacks the 'donations' scope, so it could not see "
                           "or confirm its donation records.",
                           {"partner_name": ["no donations scope"]})
    return partner.id


def list_projects(uow: UnitOfWork, after: Key | None, limit: int,
                  status: str | None = None) -> Page[ProjectView]:
    with uow:
        rows, next_key = cut(repo.projects_page(uow.session, after_id(after), limit + 1, status),
                             limit, lambda p: (p.id,))
        return Page(_views(uow.session, rows), next_key)


def _project(session: Session, project_id: int) -> CharityProject:
    p = session.get(CharityProject, project_id)
    if p is None:
        raise CharityProjectNotFound(f"No charity project {project_id}.")
    return p


def get_project(uow: UnitOfWork, project_id: int) -> ProjectView:
    with uow:
        return _views(uow.session, [_project(uow.session, project_id)])[0]


def create_project(uow: UnitOfWork, fields: dict, now: datetime) -> ProjectView:
    values = dict(fields)
    values["partner_id"] = _charity_id(uow, values.pop("partner_name"))
    with uow:
        p = CharityProject(**values, eggs_donated=0, created_at=now)
        uow.session.add(p)
        uow.session.flush()
        view = _views(uow.session, [p])[0]
        uow.commit()
    return view


def update_project(uow: UnitOfWork, project_id: int, fields: dict) -> ProjectView:
    """Change what is given. The egg target is fixed once eggs were donated, because records
    are numbered by the multiples of the target already crossed."""
    values = dict(fields)
    if "partner_name" in values:
        values["partner_id"] = _charity_id(uow, values.pop("partner_name"))
    with uow:
        p = repo.lock_project(uow.session, project_id)
        if p is None:
            raise CharityProjectNotFound(f"No charity project {project_id}.")
        if values.get("egg_target", p.egg_target) != p.egg_target and p.eggs_donated > 0:
            raise TargetLocked(f"Project {project_id} already has {p.eggs_donated} eggs donated; "
                               "its egg target can no longer change.")
        for key, value in values.items():
            setattr(p, key, value)
        uow.session.flush()
        view = _views(uow.session, [p])[0]
        uow.commit()
    return view


@dataclass(frozen=True)
class Donation:
    id: int
    project_id: int
    eggs: int
    eggs_left: int  # the donor's eggs after the donation
    project_eggs_donated: int
    records_created: list[int]  # sequence numbers of the donation records this gift completed
    created_at: datetime


def _record_crossings(session: Session, project: CharityProject, before: int, after: int,
                      at: datetime) -> list[int]:
    """One pending record per multiple of the target crossed; (project, sequence) is unique."""
    sequences = list(domain.crossed_multiples(before, after, project.egg_target))
    session.add_all(DonationRecord(
        project_id=project.id, sequence=k, eggs=project.egg_target,
        amount_fen=project.egg_target * project.fen_per_egg, sponsor_name=project.sponsor_name,
        status="pending", created_at=at) for k in sequences)
    return sequences


def donate(uow: UnitOfWork, user_id: int, project_id: int, eggs: int, now: datetime) -> Donation:
    """Give whole eggs to an open project; every multiple of its target crossed becomes one
    donation record (sponsor pays the charity target x fen_per_egg)."""
    if eggs < 1:
        raise InvalidInput("Donate at least one egg.", {"eggs": ["at least 1"]})
    with uow:
        s = uow.session
        scene = write_scene(s, user_id, now)
        have = chicken(scene, user_id).eggs
        if have < eggs:
            raise NotEnoughEggs(f"You have {have} egg{'s' if have != 1 else ''}; you asked to "
                                f"donate {eggs}.")
        added = repo.add_donated_eggs(s, project_id, eggs)
        if added is None:
            _project(s, project_id)
            raise CharityProjectClosed(f"Charity project {project_id} is closed to donations.")
        after, project = added
        public_counts.add(s, eggs=eggs)
        scene.farms[user_id].eggs_donated += eggs
        gift = EggDonation(user_id=user_id, project_id=project_id, eggs=eggs,
                           created_at=instant(scene.now_s))
        s.add(gift)
        sequences = _record_crossings(s, project, after - eggs, after, gift.created_at)
        s.flush()
        outbox.record(s, "donation_made", gift.created_at, user_id=user_id,
                      partner_id=project.partner_id, donation_id=gift.id, project_id=project_id,
                      eggs=eggs, record_sequences=sequences)
        result = Donation(gift.id, project_id, eggs, have - eggs, after, sequences,
                          gift.created_at)
        uow.commit()
    return result
