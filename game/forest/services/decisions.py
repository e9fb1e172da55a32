"""A planting partner's side: its projects' orders, confirmed with evidence or rejected.
A partner never sees or touches another partner's orders (they are simply not found)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from carbon.services import ledger, outbox, public_counts
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.forest.domain import evidence_problems, planting_year, to_micro_degrees
from game.forest.errors import InvalidEvidence, OrderAlreadyDecided, OrderNotFound
from game.forest.models import PlantingOrder
from game.forest.repository import groups as group_repo
from game.forest.repository import plantings as repo
from game.forest.services.certificates import issue_for_order
from game.forest.services.plantings import ORDER_CAUSE, PLANTINGS, OrderView, order_view
from game.transparency.entries import log_planting_confirmed, log_planting_rejected


def partner_orders(uow: UnitOfWork, partner_id: int, status: str | None, after: Key | None,
                   limit: int) -> Page[OrderView]:
    with uow:
        rows, next_key = cut(repo.orders_of_partner(uow.session, partner_id, status,
                                                    after_id(after), limit + 1),
                             limit, lambda o: (o.id,))
        return Page([order_view(uow.session, o) for o in rows], next_key)


def _partners_order(session: Session, order_id: int, partner_id: int) -> PlantingOrder:
    order = repo.order_of_partner(session, order_id, partner_id)
    if order is None:
        raise OrderNotFound(f"No planting order {order_id} for your projects.")
    return order


def confirm(uow: UnitOfWork, partner_id: int, order_id: int, evidence: dict,
            now: datetime) -> OrderView:
    """Mark the order planted and issue its certificates; confirming again returns the same
    order and certificates and changes nothing."""
    problems = evidence_problems(evidence["planted_at"], evidence["latitude"],
                                 evidence["longitude"], evidence["photo_urls"], now)
    if problems:
        raise InvalidEvidence("The evidence is not acceptable: " + "; ".join(
            r for reasons in problems.values() for r in reasons) + ".", problems)
    with uow:
        s = uow.session
        order = _partners_order(s, order_id, partner_id)
        if repo.decide(s, order.id, "planted", now, planted_at=evidence["planted_at"],
                       latitude_e6=to_micro_degrees(evidence["latitude"]),
                       longitude_e6=to_micro_degrees(evidence["longitude"]),
                       plot=evidence["plot"], photo_urls=list(evidence["photo_urls"]),
                       note=evidence["note"]):
            project = repo.project_of(s, order.project_id)
            numbers = issue_for_order(s, order, project, planting_year(evidence["planted_at"]),
                                      now)
            if project.kind == "tree":
                public_counts.add(s, trees=order.quantity)
            _tell_confirmed(s, order, partner_id, numbers, now)
            if order.group_id is not None:
                group_repo.set_status(s, order.group_id, "ordered", "planted")
            # Last, so the chain lock is held for the shortest time and taken after all others.
            log_planting_confirmed(s, order.id, now)
        order = repo.order(s, order.id)
        if order.status == "rejected" and order.decided_at is not None:
            raise OrderAlreadyDecided(f"Order {order_id} was rejected on "
                                      f"{order.decided_at.isoformat()}; it cannot be confirmed.")
        result = order_view(s, order)
        uow.commit()
    return result


def reject(uow: UnitOfWork, partner_id: int, order_id: int, reason: str,
           now: datetime) -> OrderView:
    """Reject a pending order: the energy goes back to whoever gave it and the budget comes
    back. Rejecting again changes nothing; a planted order cannot be rejected."""
    with uow:
        s = uow.session
        order = _partners_order(s, order_id, partner_id)
        if repo.decide(s, order.id, "rejected", now, reject_reason=reason):
            for uid, g in _refund(s, order, now).items():
                outbox.record(s, "planting_rejected", now, user_id=uid, partner_id=partner_id,
                              order_id=order.id, group_id=order.group_id, reason=reason,
                              refund_g=g)
            repo.restore_budget(s, order.project_id, order.quantity)
            log_planting_rejected(s, order.id, now)
        order = repo.order(s, order.id)
        if order.status == "planted":
            raise OrderAlreadyDecided(f"Order {order_id} was confirmed as planted; it cannot "
                                      "be rejected.")
        result = order_view(s, order)
        uow.commit()
    return result


def _tell_confirmed(s: Session, order: PlantingOrder, partner_id: int, numbers: list[str],
                    now: datetime) -> None:
    """A solo order's certificates go to its user; a group's, one to each member (in the
    member order issue_for_order used)."""
    if order.group_id is None:
        held = {order.user_id: numbers}
    else:
        held = {uid: [n] for uid, n in zip(group_repo.member_ids(s, order.group_id), numbers,
                                             strict=True)}
    for uid, mine in held.items():
        outbox.record(s, "planting_confirmed", now, user_id=uid, partner_id=partner_id,
                      order_id=order.id, group_id=order.group_id, certificate_numbers=mine)


def _refund(s: Session, order: PlantingOrder, now: datetime) -> dict[int, int]:
    """One balanced transaction: plantings -> the user, or -> each member what they gave.
    Returns {user id: grams given back}."""
    if order.group_id is None:
        if order.user_id is None:
            raise ValueError(f"order {order.id} has neither a group nor a user")
        shares = {order.user_id: order.energy_g}
    else:
        shares = group_repo.given_by_member(s, order.group_id)
        group_repo.set_status(s, order.group_id, "ordered", "rejected")
    entries = [(ledger.account(s, PLANTINGS), -sum(shares.values()))]
    entries += [(ledger.available_account(s, uid), g) for uid, g in sorted(shares.items())]
    ledger.post(s, "planting_refund", ORDER_CAUSE, order.id, entries, now)
    return shares
