"""Planting projects: the public list, operators' management, and the default catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbon.services import lookups
from carbon.services.partners import create_partner, find_partner_by_name
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.forest.errors import InvalidProject, ProjectNotFound
from game.forest.models import Project
from game.forest.repository import plantings as repo

DEFAULT_PARTNER = "canopy-default-planting-partner"


@dataclass(frozen=True)
class ProjectView:
    id: int
    code: str
    name: str
    kind: str
    unit: str  # tree | m2: what energy_cost_g and budget count
    region: str
    energy_cost_g: int
    budget: int
    status: str
    partner_id: int
    partner_name: str


@dataclass(frozen=True)
class DefaultProject:
    code: str
    name: str
    kind: str
    region: str
    energy_cost_g: int
    budget: int


# Published Ant Forest costs; the budgets are a demo season.
DEFAULT_PROJECTS = [
    DefaultProject("saxaul", "Saxaul 梭梭", "tree", "Alxa League, Inner Mongolia", 17_900, 100_000),
    DefaultProject("red-willow", "Red willow 红柳", "tree", "Alxa League, Inner Mongolia",
                   22_400, 100_000),
    DefaultProject("desert-willow", "Desert willow 沙柳", "tree", "Ordos, Inner Mongolia",
                   19_680, 100_000),
    DefaultProject("mongolian-pine", "Mongolian pine 樟子松", "tree", "Zhangjiakou, Hebei",
                   146_210, 20_000),
    DefaultProject("fir", "Fir 冷杉", "tree", "Shangri-La, Yunnan", 330_759, 10_000),
    DefaultProject("demo-reserve", "Demo reserve (per m²)", "reserve", "Pingwu, Sichuan",
                   1_000, 1_000_000),
]


def view(p: Project, partner_name: str) -> ProjectView:
    return ProjectView(p.id, p.code, p.name, p.kind, "tree" if p.kind == "tree" else "m2",
                       p.region, p.energy_cost_g, p.budget, p.status, p.partner_id, partner_name)


def _views(session: Session, rows: list[Project]) -> list[ProjectView]:
    names = lookups.partner_names(session, [p.partner_id for p in rows])
    return [view(p, names.get(p.partner_id, "")) for p in rows]


def list_projects(uow: UnitOfWork, after: Key | None, limit: int) -> Page[ProjectView]:
    """Projects by id, starting after the key `after`."""
    with uow:
        rows, next_key = cut(repo.projects(uow.session, after_id(after), limit + 1), limit,
                             lambda p: (p.id,))
        return Page(_views(uow.session, rows), next_key)


def get_project(uow: UnitOfWork, project_id: int) -> ProjectView:
    with uow:
        p = repo.project(uow.session, project_id)
        if p is None:
            raise ProjectNotFound(f"No planting project {project_id}.")
        return _views(uow.session, [p])[0]


def _partner_id(uow: UnitOfWork, name: str) -> int:
    partner = find_partner_by_name(uow, name)
    if partner is None:
        raise InvalidProject(f"No partner named '{name}'.", {"partner_name": ["unknown partner"]})
    return partner.id


def create_project(uow: UnitOfWork, fields: dict, now: datetime) -> ProjectView:
    values = dict(fields)
    values["partner_id"] = _partner_id(uow, values.pop("partner_name"))
    with uow:
        p = Project(**values, created_at=now)
        uow.session.add(p)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise InvalidProject(f"A project with code '{values['code']}' already exists.",
                                 {"code": ["already used"]}) from exc
        result = _views(uow.session, [p])[0]
        uow.commit()
    return result


def update_project(uow: UnitOfWork, project_id: int, fields: dict) -> ProjectView:
    """Change what is given; `budget` is set (a new season), not added."""
    values = dict(fields)
    if "partner_name" in values:
        values["partner_id"] = _partner_id(uow, values.pop("partner_name"))
    with uow:
        p = repo.project(uow.session, project_id)
        if p is None:
            raise ProjectNotFound(f"No planting project {project_id}.")
        for key, value in values.items():
            setattr(p, key, value)
        uow.session.flush()
        result = _views(uow.session, [p])[0]
        uow.commit()
    return result


def seed_default_projects(uow: UnitOfWork, now: datetime) -> int:
    """The PRODUCT.md default projects, owned by a default planting partner (created without
    showing its secret: operators give the projects to their partner's key via the admin API)."""
    partner = find_partner_by_name(uow, DEFAULT_PARTNER)
    if partner is None:
        partner = create_partner(uow, DEFAULT_PARTNER, ["plantings"], now)
    added = 0
    with uow:
        existing = repo.project_codes(uow.session)
        for d in DEFAULT_PROJECTS:
            if d.code in existing:
                continue
            uow.session.add(Project(code=d.code, name=d.name, kind=d.kind, region=d.region,
                                    energy_cost_g=d.energy_cost_g, budget=d.budget,
                                    partner_id=partner.id, status="open", created_at=now))
            added += 1
        uow.commit()
    return added
