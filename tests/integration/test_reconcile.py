"""Reconciliation finds a ledger that no longer agrees with itself or with the balls."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from carbon.models import Ball, LedgerAccount, LedgerEntry, LedgerTransaction, SettlementBatch
from carbon.services import ledger
from carbon.services.balls import collect_all
from carbon.services.reconcile import reconcile
from carbon.services.settlement import settle_day
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


@pytest.fixture
def settled(uow, session):
    """Two users settled; the first collected their balls."""
    seed_methodology(uow)
    users = [UserFactory(), UserFactory()]
    for u in users:
        ActivityEventFactory(user=u, occurred_at=NOON)
        ActivityEventFactory(user=u, activity_type="walk", quantity=9_000, occurred_at=NOON)
    settle_day(uow, DAY, NOW)
    collect_all(uow, users[0].id, NOW)
    return users


def test_a_consistent_ledger_reconciles(uow, settled):
    assert reconcile(uow) == []


def test_a_tampered_balance_is_detected(uow, session, settled):
    session.execute(update(LedgerAccount).where(LedgerAccount.user_id == settled[0].id)
                    .values(balance_g=LedgerAccount.balance_g + 1))
    [problem] = reconcile(uow)
    assert "says 154 g but its entries sum to 153 g" in problem


def test_an_unbalanced_transaction_is_detected(uow, session, settled):
    txn = LedgerTransaction(kind="issue", cause_type="manual", cause_id="x", created_at=NOW)
    session.add(txn)
    session.flush()
    session.add(LedgerEntry(transaction_id=txn.id, created_at=txn.created_at,
                            account_id=ledger.account(session, "issued"),
                            amount_g=-7))
    session.flush()
    assert reconcile(uow) == [f"ledger transaction {txn.id} does not balance: its entries sum "
                              f"to -7 g"]


def test_energy_in_balls_missing_from_the_ledger_is_detected(uow, session, settled):
    ball = session.scalars(select(Ball).where(Ball.user_id == settled[1].id,
                                              Ball.activity_type == "walk")).one()
    session.execute(update(Ball).where(Ball.id == ball.id).values(
        energy_g=Ball.energy_g + 10, remaining_g=Ball.remaining_g + 10))
    problems = reconcile(uow)
    assert any("balls account holds 153 g but open balls hold 163 g" in p for p in problems)
    assert any(p.startswith(f"settlement batch {ball.settlement_batch_id}:") for p in problems)


def test_a_batch_whose_record_disagrees_with_its_balls_is_detected(uow, session, settled):
    session.execute(update(SettlementBatch).values(energy_g=1))
    [problem] = reconcile(uow)
    assert "the batch records 1 g" in problem
