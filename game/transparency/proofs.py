"""Reading the public log: a certificate's or a donation record's entry with its inclusion
proof, assembled from one block of entry hashes and the tree nodes stored at publication
(O(log n) reads, whatever the size of the day)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from db import UnitOfWork
from game.forest.domain import DUTY_SERIES
from game.transparency import repository as repo
from game.transparency.domain import (
    CERTIFICATE_ISSUED,
    DONATION_CONFIRMED,
    DUTY_CERTIFICATE_ISSUED,
    inclusion_proof,
)
from game.transparency.errors import LogRecordNotFound
from game.transparency.models import PublicLogEntry, PublishedRoot
from game.transparency.services import EntryView, RootView, entry_view, root_view
from game.transparency.tree import block_range, proof_from_parts, upper_siblings


@dataclass(frozen=True)
class RecordProof:
    ref: str  # the certificate number, the donation record id
    entry: EntryView
    root: RootView | None  # None until the day of the entry is over and its root published
    proof: dict | None


def certificate_proof(uow: UnitOfWork, number: str) -> RecordProof:
    """The logged record of certificate `number` (a tree or reserve certificate, or a duty
    certificate: DUTY-...) with its inclusion proof against its day's published root. The log is served as stored: checking it is the reader's job (offline,
    with game.transparency.domain.verify_inclusion), so an altered record shows as a failed
    proof."""
    # A number no certificate could have is simply not found (and never reaches the database:
    # PostgreSQL refuses NUL in text).
    storable = number.isascii() and number.isprintable() and 0 < len(number) <= 64
    kind = DUTY_CERTIFICATE_ISSUED if number.startswith(f"{DUTY_SERIES}-") else CERTIFICATE_ISSUED
    return _record_proof(uow, kind, number if storable else None,
                         f"No certificate numbered '{number}' is in the public log.")


def donation_record_proof(uow: UnitOfWork, record_id: int) -> RecordProof:
    """A donation record's log entry (logged once its charity confirmed it) with its proof."""
    ref = str(record_id) if 0 < record_id < 2**63 else None
    return _record_proof(uow, DONATION_CONFIRMED, ref,
                         f"No confirmed donation record {record_id} is in the public log.")


def _record_proof(uow: UnitOfWork, kind: str, ref: str | None, missing: str) -> RecordProof:
    with uow:
        s = uow.session
        row = repo.entry(s, kind, ref) if ref is not None else None
        if row is None:
            raise LogRecordNotFound(missing)
        root = repo.root_of(s, row.log_date)
        if root is None:
            return RecordProof(row.ref, entry_view(row), None, None)
        return RecordProof(row.ref, entry_view(row), root_view(root), _proof(s, row, root))


def _proof(s: Session, row: PublicLogEntry, root: PublishedRoot) -> dict:
    # Days are contiguous runs of seq (log_day), so a leaf's index is its offset in the day.
    index = row.seq - root.first_seq
    start, end = block_range(index, root.count)
    positions = upper_siblings(index, root.count)
    nodes = repo.nodes_at(s, root.log_date, positions)
    if len(nodes) < len(positions):
        # Nodes missing (a tree stored by hand, a restore without them): the whole day still
        # gives the right proof, slowly; `flask log verify` names the day.
        day = [h for _, h in repo.day_hashes(s, root.log_date)]
        return inclusion_proof(row.prev_hash, day, index)
    block = repo.seq_hashes(s, root.first_seq + start, root.first_seq + end - 1)
    return proof_from_parts(row.prev_hash, index, root.count, block,
                            [nodes[p] for p in positions])
