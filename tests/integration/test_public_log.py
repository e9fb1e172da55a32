"""The public log in the database: confirmations append in their own transaction, roots are
published once per past day, and verify_chain finds edits and deletions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from game.farm.models import CharityProject
from game.farm.services.donation_records import confirm_record
from game.forest.errors import OrderAlreadyDecided
from game.forest.services import decisions
from game.transparency.domain import merkle_root, verify_inclusion
from game.transparency.errors import LogRecordNotFound
from game.transparency.models import PublicLogEntry, PublishedRoot
from game.transparency.proofs import certificate_proof
from game.transparency.services import publish_roots, verify_chain
from tests.conftest import NOW
from tests.factories.transparency import (
    EVIDENCE,
    DonationRecordFactory,
    group_order,
    pending_order,
)

DAY = timedelta(days=1)


def log(session) -> list[PublicLogEntry]:
    session.expire_all()
    return list(session.scalars(select(PublicLogEntry).order_by(PublicLogEntry.seq)))


def charity_of(session, record) -> int:
    return session.get(CharityProject, record.project_id).partner_id


def confirmed(session, uow, quantity=1, now=NOW):
    order, project = pending_order(session, uow, quantity)
    return decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, now), project


def test_a_confirmed_planting_logs_one_entry_per_certificate_with_its_evidence(session, uow):
    view, project = confirmed(session, uow, quantity=2)
    entries = log(session)
    assert [(e.kind, e.ref) for e in entries] == [
        ("certificate_issued", c) for c in sorted(view.certificates)]
    payload = entries[0].payload
    assert payload["project"]["id"] == project.id
    assert payload["partner"]["id"] == project.partner_id and payload["partner"]["name"]
    assert payload["evidence"] == {
        "planted_at": "2026-03-09T04:00:00.000000Z", "latitude_e6": 39512345,
        "longitude_e6": 105700000, "plot": "A-17", "photo_urls": ["https://example.org/a.jpg"],
        "note": "spring"}
    assert [e.seq for e in entries] == [1, 2] and entries[1].prev_hash == entries[0].hash


def test_confirming_twice_appends_once(session, uow):
    order, project = pending_order(session, uow)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW + timedelta(minutes=5))
    assert len(log(session)) == 1


def test_a_confirmation_whose_transaction_fails_leaves_no_entry_and_no_certificate(
        session, uow, monkeypatch):
    order, project = pending_order(session, uow)

    def broken_view(*_args):
        raise RuntimeError("the database went away after the append")

    monkeypatch.setattr(decisions, "order_view", broken_view)
    with pytest.raises(RuntimeError):
        decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    monkeypatch.undo()
    assert log(session) == []
    assert decisions.reject(uow, project.partner_id, order.id, "never planted", NOW).status == \
        "rejected"


def test_a_planting_is_not_confirmed_when_it_cannot_be_logged(session, uow, monkeypatch):
    order, project = pending_order(session, uow)

    def refuse(*_args):
        raise ValueError("cannot log")

    monkeypatch.setattr(decisions, "log_planting_confirmed", refuse)
    with pytest.raises(ValueError):
        decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    monkeypatch.undo()
    assert decisions.partner_orders(uow, project.partner_id, "pending", None, 10).items[0].id == \
        order.id


def test_a_group_planting_logs_each_members_certificate(session, uow):
    order_id, project, group_id = group_order(session, uow, members=3)
    view = decisions.confirm(uow, project.partner_id, order_id, EVIDENCE, NOW)
    entries = log(session)
    assert len(entries) == 3 and sorted(e.ref for e in entries) == sorted(view.certificates)
    assert {e.payload["group_id"] for e in entries} == {group_id}


def test_a_rejection_is_logged_once_with_its_reason(session, uow):
    order, project = pending_order(session, uow, quantity=3)
    decisions.reject(uow, project.partner_id, order.id, "drought", NOW)
    decisions.reject(uow, project.partner_id, order.id, "drought", NOW)
    with pytest.raises(OrderAlreadyDecided):
        decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    (entry,) = log(session)
    assert (entry.kind, entry.ref) == ("planting_rejected", str(order.id))
    assert (entry.payload["reason"], entry.payload["quantity"]) == ("drought", 3)


def test_a_confirmed_donation_record_is_logged_once(session, uow):
    record = DonationRecordFactory()
    partner_id = charity_of(session, record)
    confirm_record(uow, partner_id, record.id, "BANK-77", NOW)
    confirm_record(uow, partner_id, record.id, "BANK-77", NOW + DAY)
    (entry,) = log(session)
    assert (entry.kind, entry.ref) == ("donation_confirmed", str(record.id))
    assert {k: entry.payload[k] for k in ("eggs", "amount_fen", "reference", "sponsor")} == {
        "eggs": 5, "amount_fen": 250, "reference": "BANK-77", "sponsor": "Green Sponsor Ltd"}
    assert entry.payload["project"]["id"] == record.project_id


def test_roots_are_published_once_for_past_days_only(session, uow):
    confirmed(session, uow, quantity=3)
    assert publish_roots(uow, NOW) == []  # today is not over
    (root,) = publish_roots(uow, NOW + DAY)
    assert publish_roots(uow, NOW + 2 * DAY) == []
    hashes = [e.hash for e in log(session)]
    assert (root.log_date, root.count, root.first_seq, root.last_seq) == (NOW.date(), 3, 1, 3)
    assert root.root == merkle_root(hashes)
    assert session.scalar(select(PublishedRoot.root)) == root.root


def test_a_late_writer_never_adds_to_a_published_day(session, uow):
    confirmed(session, uow)
    publish_roots(uow, NOW + DAY)
    confirmed(session, uow, now=NOW + timedelta(hours=1))  # its clock was read before midnight
    assert [e.log_date for e in log(session)] == [NOW.date(), NOW.date() + DAY]
    assert verify_chain(uow) == []


def test_a_certificate_proof_waits_for_its_root_then_verifies_offline(session, uow):
    view, _ = confirmed(session, uow, quantity=5)
    number = sorted(view.certificates)[3]
    pending = certificate_proof(uow, number)
    assert (pending.root, pending.proof, pending.entry.ref) == (None, None, number)
    publish_roots(uow, NOW + DAY)
    found = certificate_proof(uow, number)
    assert found.proof["leaf_count"] == found.root.count == 5
    assert verify_inclusion(found.entry.record, found.proof, found.root.root)
    with pytest.raises(LogRecordNotFound, match="No certificate numbered 'CNP-1999-000001'"):
        certificate_proof(uow, "CNP-1999-000001")


def test_verify_chain_passes_an_intact_log(session, uow):
    confirmed(session, uow, quantity=2)
    publish_roots(uow, NOW + DAY)
    confirmed(session, uow, quantity=2, now=NOW + DAY)
    assert verify_chain(uow) == []


def test_verify_chain_finds_an_edited_payload(session, uow):
    view, _ = confirmed(session, uow, quantity=3)
    publish_roots(uow, NOW + DAY)
    forged = {**log(session)[1].payload, "evidence": {"plot": "somewhere else"}}
    session.execute(update(PublicLogEntry).where(PublicLogEntry.seq == 2).values(payload=forged))
    (problem,) = verify_chain(uow)
    assert "entry 2" in problem and "does not match its hash" in problem
    number = log(session)[1].ref
    proof = certificate_proof(uow, number)
    assert not verify_inclusion(proof.entry.record, proof.proof, proof.root.root)


def test_verify_chain_finds_a_deleted_row(session, uow):
    confirmed(session, uow, quantity=3)
    publish_roots(uow, NOW + DAY)
    session.execute(delete(PublicLogEntry).where(PublicLogEntry.seq == 2))
    problems = verify_chain(uow)
    assert any("entries 2..2 are missing" in p for p in problems)
    assert any(p.startswith("entry 3: prev_hash") for p in problems)
    assert any("root of 2026-03-10: published over 3 entries" in p for p in problems)


def test_verify_chain_finds_a_replaced_root_and_a_deleted_last_entry(session, uow):
    confirmed(session, uow, quantity=2)
    publish_roots(uow, NOW + DAY)
    session.execute(delete(PublicLogEntry).where(PublicLogEntry.seq == 2))
    session.execute(update(PublishedRoot).values(root="ab" * 32))
    problems = verify_chain(uow)
    assert len(problems) == 2 and all(p.startswith("root of 2026-03-10") for p in problems)


def test_verify_chain_finds_a_day_left_out_of_the_published_roots(session, uow):
    confirmed(session, uow)
    confirmed(session, uow, now=NOW + DAY)
    publish_roots(uow, NOW + 2 * DAY)
    session.execute(delete(PublishedRoot).where(PublishedRoot.log_date == NOW.date()))
    assert verify_chain(uow) == [
        "1 entries of 2026-03-10 are in no published root, although 2026-03-11 is published"]


def test_entries_of_every_kind_share_one_linear_chain(session, uow):
    confirmed(session, uow)
    order, project = pending_order(session, uow)
    decisions.reject(uow, project.partner_id, order.id, "flood", NOW)
    record = DonationRecordFactory()
    confirm_record(uow, charity_of(session, record), record.id, "BANK-1", NOW)
    entries = log(session)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
