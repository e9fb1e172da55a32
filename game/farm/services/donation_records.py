"""The charity partner's side: its projects' donation records, confirmed with a reference.
A partner never sees or touches another partner's records (they are simply not found)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carbon.services import outbox
from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.farm import repository as repo
from game.farm.errors import DonationAlreadyConfirmed, DonationRecordNotFound
from game.farm.models import CharityProject, DonationRecord
from game.transparency.entries import log_donation_confirmed

RECORD_STATUSES = ("pending", "confirmed")


@dataclass(frozen=True)
class RecordView:
    id: int
    project_id: int
    project_name: str
    sequence: int
    eggs: int
    amount_fen: int
    sponsor_name: str
    status: str
    reference: str | None
    created_at: datetime
    confirmed_at: datetime | None


def _view(r: DonationRecord, p: CharityProject) -> RecordView:
    return RecordView(r.id, p.id, p.name, r.sequence, r.eggs, r.amount_fen, r.sponsor_name,
                      r.status, r.reference, r.created_at, r.confirmed_at)


def partner_records(uow: UnitOfWork, partner_id: int, status: str | None, after: Key | None,
                    limit: int) -> Page[RecordView]:
    with uow:
        rows, next_key = cut(repo.records_page(uow.session, partner_id, status, after_id(after),
                                               limit + 1), limit, lambda row: (row[0].id,))
        return Page([_view(r, p) for r, p in rows], next_key)


def confirm_record(uow: UnitOfWork, partner_id: int, record_id: int, reference: str,
                   now: datetime) -> RecordView:
    """Confirm receipt; confirming again with the same reference changes nothing."""
    with uow:
        found = repo.record_of_partner(uow.session, record_id, partner_id)
        if found is None:
            raise DonationRecordNotFound(f"No donation record {record_id} for your projects.")
        record, project = found
        if record.status == "confirmed":
            if record.reference != reference:
                raise DonationAlreadyConfirmed(
                    f"Donation record {record_id} was already confirmed with reference "
                    f"'{record.reference}'.")
            return _view(record, project)
        record.status, record.reference, record.confirmed_at = "confirmed", reference, now
        log_donation_confirmed(uow.session, record.id, now)
        outbox.record(uow.session, "donation_record_confirmed", now,
                      partner_id=partner_id, record_id=record.id, project_id=project.id,
                      reference=reference)
        view = _view(record, project)
        uow.commit()
    return view
