"""Certificates: issued when a partner confirms a planting; three unused tree certificates of
one year are exchanged once for the national voluntary tree-planting duty certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.forest.domain import (
    DUTY_CERTIFICATES_NEEDED,
    DUTY_SERIES,
    PLANTING_SERIES,
    certificate_number,
    certificates_for_order,
)
from game.forest.errors import DutyAlreadyExchanged, NotEnoughCertificates
from game.forest.models import Certificate, PlantingOrder, Project
from game.forest.repository import certificates as repo
from game.forest.repository import groups as group_repo
from game.transparency.entries import log_duty_certificate


@dataclass(frozen=True)
class CertificateView:
    number: str
    kind: str
    project_id: int | None
    order_id: int | None
    group_id: int | None
    quantity: int
    year: int
    issued_at: datetime
    used_for: str | None  # the duty certificate it was exchanged for


def issue_for_order(session: Session, order: PlantingOrder, project: Project, year: int,
                    now: datetime) -> list[str]:
    """One certificate per tree (per member for a group's tree), one per reserve order."""
    if order.group_id is not None:
        holders = [(uid, 1) for uid in group_repo.member_ids(session, order.group_id)]
    else:
        if order.user_id is None:
            raise ValueError(f"order {order.id} has neither a group nor a user")
        holders = [(order.user_id, q) for q in certificates_for_order(project.kind, order.quantity)]
    first = repo.next_numbers(session, PLANTING_SERIES, year, len(holders))
    rows: list[dict[str, Any]] = [{"number": certificate_number(PLANTING_SERIES, year, first + i), "kind": project.kind,
             "user_id": uid, "order_id": order.id, "project_id": project.id,
             "group_id": order.group_id, "quantity": q, "year": year, "issued_at": now,
             "duty_certificate_id": None} for i, (uid, q) in enumerate(holders)]
    repo.add(session, rows)
    return [r["number"] for r in rows]


def _views(session: Session, rows: list[Certificate]) -> list[CertificateView]:
    duty = repo.numbers_by_id(session, [c.duty_certificate_id for c in rows
                                        if c.duty_certificate_id])
    return [CertificateView(c.number, c.kind, c.project_id, c.order_id, c.group_id, c.quantity,
                            c.year, c.issued_at,
                            duty.get(c.duty_certificate_id) if c.duty_certificate_id else None)
            for c in rows]


def list_certificates(uow: UnitOfWork, user_id: int, after: Key | None,
                      limit: int) -> Page[CertificateView]:
    with uow:
        rows, next_key = cut(repo.of_user(uow.session, user_id, after_id(after), limit + 1),
                             limit, lambda c: (c.id,))
        return Page(_views(uow.session, rows), next_key)


def exchange_for_duty(uow: UnitOfWork, user_id: int, year: int, now: datetime) -> dict:
    """Exchange three unused tree certificates of `year` (reserve certificates do not count)
    for that year's duty certificate, once per year."""
    with uow:
        s = uow.session
        number = certificate_number(DUTY_SERIES, year, repo.next_numbers(s, DUTY_SERIES, year, 1))
        duty_id = repo.add_duty(s, {
            "number": number, "kind": "duty", "user_id": user_id, "order_id": None,
            "project_id": None, "group_id": None, "quantity": DUTY_CERTIFICATES_NEEDED,
            "year": year, "issued_at": now, "duty_certificate_id": None})
        if duty_id is None:
            raise DutyAlreadyExchanged(f"You already hold the duty certificate for {year}.")
        ids = repo.unused_tree_ids(s, user_id, year, DUTY_CERTIFICATES_NEEDED)
        if len(ids) < DUTY_CERTIFICATES_NEEDED or \
                repo.mark_used(s, ids, duty_id) < DUTY_CERTIFICATES_NEEDED:
            raise NotEnoughCertificates(
                f"The duty certificate for {year} needs {DUTY_CERTIFICATES_NEEDED} unused tree "
                f"certificates of {year}; you have {len(ids)}.")
        used = sorted(repo.numbers_by_id(s, ids).values())
        log_duty_certificate(s, duty_id, now)
        uow.commit()
    return {"number": number, "year": year, "issued_at": now, "exchanged": used}


def trees_planted(session: Session, user_id: int) -> int:
    """Trees on the user's certificates (their own orders, plus one per group tree)."""
    return repo.tree_count(session, user_id)


def trees_planted_by(uow: UnitOfWork, user_id: int) -> int:
    with uow:
        return trees_planted(uow.session, user_id)
