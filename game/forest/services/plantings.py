"""Planting: energy and budget taken in one transaction, an order for the project's partner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from carbon.services import ledger, outbox
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from db.sql import is_citus
from game.forest.domain import MAX_ORDER_QUANTITY, from_micro_degrees
from game.forest.errors import BudgetExhausted, InvalidQuantity, ProjectClosed, ProjectNotFound
from game.forest.models import PlantingOrder, Project
from game.forest.repository import certificates as cert_repo
from game.forest.repository import plantings as repo

PLANTINGS = "plantings"  # system account: energy spent on pending and planted orders
ORDER_CAUSE = "planting_order"


@dataclass(frozen=True)
class OrderView:
    id: int
    project_id: int
    project_name: str
    kind: str
    quantity: int
    energy_g: int
    status: str
    created_at: datetime
    decided_at: datetime | None
    reject_reason: str | None
    group_id: int | None
    evidence: dict | None
    certificates: list[str] = field(default_factory=list)


def _degrees(micro: int | None) -> float | None:
    return None if micro is None else from_micro_degrees(micro)


def order_view(session: Session, o: PlantingOrder) -> OrderView:
    p = repo.project_of(session, o.project_id)
    evidence = None
    if o.status == "planted":
        evidence = {"planted_at": o.planted_at, "latitude": _degrees(o.latitude_e6),
                    "longitude": _degrees(o.longitude_e6), "plot": o.plot,
                    "photo_urls": list(o.photo_urls or []), "note": o.note}
    numbers = sorted({c.number for c in cert_repo.of_order(session, o.id)})
    return OrderView(o.id, o.project_id, p.name, p.kind, o.quantity, o.energy_g, o.status,
                     o.created_at, o.decided_at, o.reject_reason, o.group_id, evidence, numbers)


def open_project(session: Session, project_id: int, quantity: int) -> Project:
    """The project, if it could take `quantity` now (a read for a clear refusal; the guarded
    UPDATE in take_budget is what settles races)."""
    # On Citus the project is a reference table: its row is locked first, on every node in one
    # order, so that two planters queue there instead of meeting in a distributed deadlock
    # between the order's and the budget's writes to the replicated tables.
    p = repo.project(session, project_id, lock=is_citus(session))
    if p is None:
        raise ProjectNotFound(f"No planting project {project_id}.")
    refuse_if_unavailable(p, quantity)
    return p


def refuse_if_unavailable(p: Project, quantity: int) -> None:
    if p.status != "open":
        raise ProjectClosed(f"Project '{p.name}' is closed; nothing was taken.")
    if p.budget < quantity:
        unit = "trees" if p.kind == "tree" else "m²"
        raise BudgetExhausted(f"Project '{p.name}' has {p.budget} {unit} left this season, "
                              f"fewer than the {quantity} asked; nothing was taken.")


def take_budget(session: Session, p: Project, quantity: int) -> None:
    if not repo.take_budget(session, p.id, quantity):
        session.refresh(p)
        refuse_if_unavailable(p, quantity)
        raise BudgetExhausted(f"Project '{p.name}' cannot take {quantity} now; nothing was taken.")


def plant(uow: UnitOfWork, user_id: int, project_id: int, quantity: int,
          now: datetime) -> OrderView:
    """Spend quantity x cost of the user's energy on a project; 409 and nothing taken when the
    energy, the budget or the project's status does not allow it."""
    if not 1 <= quantity <= MAX_ORDER_QUANTITY:
        raise InvalidQuantity(f"quantity must be between 1 and {MAX_ORDER_QUANTITY}.",
                              {"quantity": [f"1 to {MAX_ORDER_QUANTITY}"]})
    with uow:
        s = uow.session
        p = open_project(s, project_id, quantity)
        order = repo.add_order(s, project_id=p.id, user_id=user_id, group_id=None,
                               quantity=quantity, energy_g=quantity * p.energy_cost_g,
                               status="pending", created_at=now)
        # Energy first: the user's account row is locked before the project's hot row.
        ledger.transfer(s, "planting", ORDER_CAUSE, order.id, ledger.available_account(s, user_id),
                        ledger.account(s, PLANTINGS), order.energy_g, now)
        take_budget(s, p, quantity)
        outbox.record(s, "planting_ordered", now, user_id=user_id, partner_id=p.partner_id,
                      order_id=order.id, project_id=p.id, quantity=quantity,
                      energy_g=order.energy_g)
        result = order_view(s, order)
        uow.commit()
    return result


def my_orders(uow: UnitOfWork, user_id: int, after: Key | None, limit: int) -> Page[OrderView]:
    with uow:
        rows, next_key = cut(repo.orders_of_user(uow.session, user_id, after_id(after),
                                                 limit + 1), limit, lambda o: (o.id,))
        return Page([order_view(uow.session, o) for o in rows], next_key)
