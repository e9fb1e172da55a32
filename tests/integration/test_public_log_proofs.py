"""Proofs read the tree stored at publication: one block of entries and a node per level,
never the whole day; the stored nodes are checked by verify_chain; donation records too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from game.farm.models import CharityProject
from game.farm.services.donation_records import confirm_record
from game.forest.services import decisions
from game.transparency import repository as repo
from game.transparency.domain import verify_inclusion
from game.transparency.errors import LogRecordNotFound
from game.transparency.models import MerkleNode, PublicLogEntry
from game.transparency.proofs import certificate_proof, donation_record_proof
from game.transparency.services import publish_roots, verify_chain
from tests.conftest import NOW
from tests.factories.transparency import EVIDENCE, DonationRecordFactory, pending_order

DAY = timedelta(days=1)


def certificates(session, uow, quantity: int) -> list[str]:
    order, project = pending_order(session, uow, quantity)
    view = decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    return sorted(view.certificates)


def test_publishing_stores_the_upper_levels_of_the_day_tree(session, uow):
    certificates(session, uow, 40)
    publish_roots(uow, NOW + DAY)
    levels = session.execute(select(MerkleNode.level, func.count()).group_by(MerkleNode.level)
                             .order_by(MerkleNode.level)).all()
    assert levels == [(4, 3), (5, 2), (6, 1)]  # ceil(40/16), then halves up to the root


def test_every_proof_of_a_day_verifies_without_reading_the_whole_day(session, uow, monkeypatch):
    numbers = certificates(session, uow, 40)
    publish_roots(uow, NOW + DAY)
    monkeypatch.setattr(repo, "day_hashes", lambda *a: pytest.fail("read the whole day"))
    for number in numbers:
        found = certificate_proof(uow, number)
        assert found.proof["leaf_count"] == found.root.count == 40
        assert verify_inclusion(found.entry.record, found.proof, found.root.root)


def test_a_day_whose_nodes_are_missing_still_gets_a_right_proof(session, uow):
    numbers = certificates(session, uow, 40)
    publish_roots(uow, NOW + DAY)
    session.execute(delete(MerkleNode).where(MerkleNode.level == 5))
    found = certificate_proof(uow, numbers[0])
    assert verify_inclusion(found.entry.record, found.proof, found.root.root)
    (problem,) = verify_chain(uow)
    assert "2 stored tree nodes do not match its entries (level 5 position 0" in problem


def test_verify_finds_a_tampered_node_that_no_proof_reads(session, uow):
    numbers = certificates(session, uow, 40)
    publish_roots(uow, NOW + DAY)
    # Node (4, 2), leaves 32..39, is promoted: only (5, 1) above it is ever a sibling.
    session.execute(update(MerkleNode).where(MerkleNode.level == 4, MerkleNode.position == 2)
                    .values(hash="ab" * 32))
    for number in (numbers[0], numbers[20], numbers[39]):
        found = certificate_proof(uow, number)
        assert verify_inclusion(found.entry.record, found.proof, found.root.root)
    assert verify_chain(uow) == [
        "root of 2026-03-10: 1 stored tree nodes do not match its entries (level 4 "
        "position 2); proofs served for that day would fail"]


def test_a_tampered_node_on_the_path_makes_the_proof_fail(session, uow):
    numbers = certificates(session, uow, 40)
    publish_roots(uow, NOW + DAY)
    session.execute(update(MerkleNode).where(MerkleNode.level == 5, MerkleNode.position == 1)
                    .values(hash="ab" * 32))
    found = certificate_proof(uow, numbers[0])
    assert not verify_inclusion(found.entry.record, found.proof, found.root.root)


def test_an_edited_entry_is_reported_once_not_as_every_node(session, uow):
    certificates(session, uow, 40)
    publish_roots(uow, NOW + DAY)
    session.execute(update(PublicLogEntry).where(PublicLogEntry.seq == 7)
                    .values(hash="cd" * 32))
    problems = verify_chain(uow)
    assert not any("stored tree nodes" in p for p in problems)
    assert any("root of 2026-03-10: published" in p for p in problems)


def test_a_confirmed_donation_record_is_served_with_its_proof(session, uow):
    record = DonationRecordFactory()
    charity = session.get(CharityProject, record.project_id).partner_id
    with pytest.raises(LogRecordNotFound, match="No confirmed donation record"):
        donation_record_proof(uow, record.id)  # pending: not logged yet
    confirm_record(uow, charity, record.id, "BANK-9", NOW)
    pending = donation_record_proof(uow, record.id)
    assert (pending.ref, pending.root, pending.proof) == (str(record.id), None, None)
    publish_roots(uow, NOW + DAY)
    found = donation_record_proof(uow, record.id)
    assert verify_inclusion(found.entry.record, found.proof, found.root.root)
    assert found.entry.record["payload"]["reference"] == "BANK-9"
