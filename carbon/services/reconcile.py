"""Reconciliation: the ledger against itself, its monthly checkpoints and the balls. An empty
list means OK. Balances are the latest checkpoint plus the entries since (ledger_totals), so
that months retired by the partition maintenance are summarized, not lost.

Each check is one set-based query; a problem is a sentence an operator can act on.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from carbon.models import Ball, LedgerAccount, LedgerEntry, LedgerTransaction, SettlementBatch
from carbon.repository.accounts import owner_of
from carbon.services import ledger
from carbon.services.balls import open_energy_g
from carbon.services.ledger_totals import account_totals, broken_checkpoints, retired_until
from db import UnitOfWork


def reconcile(uow: UnitOfWork) -> list[str]:
    with uow:
        s = uow.session
        return [*_unbalanced_transactions(s), *_negative_balances(s), *_drifted_balances(s),
                *broken_checkpoints(s), *_balls_account(s), *_settlement_batches(s)]


def _unbalanced_transactions(s: Session) -> list[str]:
    rows = s.execute(
        select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_g))
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount_g) != 0)
        .order_by(LedgerEntry.transaction_id)).all()
    return [f"ledger transaction {t} does not balance: its entries sum to {total} g"
            for t, total in rows]


def _negative_balances(s: Session) -> list[str]:
    rows = s.execute(select(LedgerAccount.id, LedgerAccount.balance_g).where(
        LedgerAccount.tracks_balance.is_(True), LedgerAccount.balance_g < 0)).all()
    return [f"ledger account {a} has a negative balance of {b} g" for a, b in rows]


def _drifted_balances(s: Session) -> list[str]:
    """Balances against their latest checkpoint plus the entries since (all entries while
    no month is checkpointed)."""
    totals = account_totals(s)
    rows = s.execute(
        select(LedgerAccount.id, LedgerAccount.balance_g, totals.c.total_g)
        .join(totals, totals.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.tracks_balance.is_(True),
               LedgerAccount.balance_g != totals.c.total_g)
        .order_by(LedgerAccount.id)).all()
    return [f"ledger account {a} says {b} g but its entries sum to {e} g" for a, b, e in rows]


def _balls_account(s: Session) -> list[str]:
    totals = account_totals(s)
    held = s.scalar(
        select(func.coalesce(func.sum(totals.c.total_g), 0))
        .join(LedgerAccount, LedgerAccount.id == totals.c.account_id)
        .where(LedgerAccount.user_id.is_(None), LedgerAccount.code == ledger.BALLS))
    in_balls = open_energy_g(s)
    if held == in_balls:
        return []
    return [f"the ledger's balls account holds {held} g but open balls hold {in_balls} g"]


def _settlement_batches(s: Session) -> list[str]:
    in_balls = {batch: grams for batch, grams in s.execute(
        select(Ball.settlement_batch_id, func.sum(Ball.energy_g))
        .where(Ball.settlement_batch_id.is_not(None)).group_by(Ball.settlement_batch_id))
        if batch is not None}
    issued = _issued_by_batch(s)
    recorded = dict(s.execute(select(SettlementBatch.id, SettlementBatch.energy_g)).all())
    # Batches finished before the retired ledger months lost their issue transaction.
    until = retired_until(s)
    old = set() if until is None else set(s.scalars(select(SettlementBatch.id).where(
        SettlementBatch.finished_at < until)))
    problems = []
    for batch in sorted((set(in_balls) | set(issued) | set(recorded)) - old):
        balls, txn = in_balls.get(batch, 0), issued.get(batch, 0)
        if balls != txn or recorded.get(batch, 0) != balls:
            problems.append(f"settlement batch {batch}: its balls hold {balls} g, its issue "
                            f"transaction put {txn} g in balls, the batch records "
                            f"{recorded.get(batch, 0)} g")
    return problems


def _issued_by_batch(s: Session) -> dict[int, int]:
    """Grams each settlement batch's issue transaction put in the balls account. Two reads:
    the batches' transactions, then their entries on the balls account (the system's, owner
    0) in chunks. One join of transactions to entries on the transaction id is a repartition
    join on Citus (entries are sharded by owner, transactions by id): seconds a call."""
    causes = dict(s.execute(select(LedgerTransaction.id, LedgerTransaction.cause_id).where(
        LedgerTransaction.cause_type == "settlement_batch")).all())
    ids, grams_by_batch = sorted(causes), dict[int, int]()
    for at in range(0, len(ids), _CHUNK):
        rows = s.execute(_BALLS_SIDE, {"txs": ids[at:at + _CHUNK]}).all()
        for tx, grams in rows:
            batch = int(causes[tx])
            grams_by_batch[batch] = grams_by_batch.get(batch, 0) + int(grams)
    return grams_by_batch


_CHUNK = 10_000  # transaction ids per statement: far under a statement's 65,535 parameters
_BALLS_SIDE = (
    select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_g))
    .join(LedgerAccount, and_(LedgerAccount.owner_id == LedgerEntry.owner_id,
                              LedgerAccount.id == LedgerEntry.account_id))
    .where(LedgerEntry.owner_id == owner_of(None), LedgerAccount.user_id.is_(None),
           LedgerAccount.code == ledger.BALLS,
           LedgerEntry.transaction_id.in_(bindparam("txs", expanding=True)))
    .group_by(LedgerEntry.transaction_id))
