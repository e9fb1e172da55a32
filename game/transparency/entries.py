"""What each confirmation writes to the public log, called by the forest and the farm inside
their own transaction (Session in, never a commit). No user is named: the log is public."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from db import UnitOfWork
from game.farm.models import CharityProject, DonationRecord
from game.forest.models import Certificate, PlantingOrder, Project
from game.forest.repository import certificates as certificate_repo
from game.transparency import repository as repo
from game.transparency.domain import (
    CERTIFICATE_ISSUED,
    DONATION_CONFIRMED,
    DUTY_CERTIFICATE_ISSUED,
    PLANTING_REJECTED,
    timestamp,
)
from game.transparency.services import EntryView, append


def _project(session: Session, order: PlantingOrder) -> tuple[dict, dict]:
    p = session.get_one(Project, order.project_id)
    partner = repo.partner_names(session, [p.partner_id]).get(p.partner_id)
    return ({"id": p.id, "code": p.code, "name": p.name, "kind": p.kind, "region": p.region},
            {"id": p.partner_id, "name": partner})


def _known(instant: datetime | None) -> datetime:
    # A confirmed or rejected record has its instant; a log entry without it would be a lie.
    if instant is None:
        raise ValueError("a decided record without its instant cannot be logged")
    return instant


def _order(session: Session, order_id: int) -> PlantingOrder:
    return session.get_one(PlantingOrder, order_id, populate_existing=True)


def log_planting_confirmed(session: Session, order_id: int, now: datetime) -> list[EntryView]:
    """One entry per certificate the confirmation issued (each member's, for a group), with
    the partner's evidence (coordinates in micro-degrees: the log holds no floats)."""
    order = _order(session, order_id)
    project, partner = _project(session, order)
    evidence = {"planted_at": timestamp(_known(order.planted_at)), "latitude_e6": order.latitude_e6,
                "longitude_e6": order.longitude_e6, "plot": order.plot,
                "photo_urls": list(order.photo_urls or []), "note": order.note}
    return [append(session, CERTIFICATE_ISSUED, c.number, {
        "certificate": {"number": c.number, "kind": c.kind, "quantity": c.quantity,
                        "year": c.year, "issued_at": timestamp(c.issued_at)},
        "order_id": order.id, "group_id": order.group_id, "project": project,
        "partner": partner, "evidence": evidence}, now)
        for c in certificate_repo.of_order(session, order.id)]


def log_planting_rejected(session: Session, order_id: int, now: datetime) -> EntryView:
    order = _order(session, order_id)
    project, partner = _project(session, order)
    return append(session, PLANTING_REJECTED, str(order.id), {
        "order_id": order.id, "group_id": order.group_id, "project": project,
        "partner": partner, "quantity": order.quantity, "energy_g": order.energy_g,
        "reason": order.reject_reason, "rejected_at": timestamp(_known(order.decided_at))}, now)


def log_donation_confirmed(session: Session, record_id: int, now: datetime) -> EntryView:
    record = session.get_one(DonationRecord, record_id)
    project = session.get_one(CharityProject, record.project_id)
    charity = repo.partner_names(session, [project.partner_id]).get(project.partner_id)
    return append(session, DONATION_CONFIRMED, str(record.id), {
        "record_id": record.id, "project": {"id": project.id, "name": project.name},
        "charity": {"id": project.partner_id, "name": charity},
        "sponsor": record.sponsor_name, "sequence": record.sequence, "eggs": record.eggs,
        "amount_fen": record.amount_fen, "reference": record.reference,
        "confirmed_at": timestamp(_known(record.confirmed_at))}, now)


def log_duty_certificate(session: Session, duty_id: int, now: datetime) -> EntryView:
    """A duty certificate with the numbers of the tree certificates exchanged for it, each in
    the log with its planting's evidence: anyone can follow the duty down to the trees."""
    duty = session.get_one(Certificate, duty_id)
    return append(session, DUTY_CERTIFICATE_ISSUED, duty.number, {
        "certificate": {"number": duty.number, "kind": duty.kind, "quantity": duty.quantity,
                        "year": duty.year, "issued_at": timestamp(duty.issued_at)},
        "exchanged": certificate_repo.exchanged_for(session, duty.id)}, now)


def log_unlogged_duty_certificates(uow: UnitOfWork, now: datetime) -> int:
    """Log the duty certificates exchanged before they were logged (`flask log backfill`);
    running it again logs nothing. Returns how many were logged."""
    with uow:
        ids = repo.unlogged_duty_ids(uow.session)
        for duty_id in ids:
            log_duty_certificate(uow.session, duty_id, now)
        uow.commit()
    return len(ids)
