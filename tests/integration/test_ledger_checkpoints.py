"""Monthly ledger checkpoints: balances stay provable after old months are retired, and a
tampered entry of a kept month is still found."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from carbon.models import LedgerAccount, LedgerEntry, SettlementBatch
from carbon.retention_models import LedgerCheckpoint, LedgerCheckpointMonth
from carbon.services import ledger, retention
from carbon.services.checkpoints import write_checkpoints
from carbon.services.reconcile import reconcile
from tests.conftest import NOW
from tests.factories.forest import give_energy
from tests.integration import test_reconcile

settled = test_reconcile.settled  # two users settled on Mar 9, the first collected

MARCH = date(2026, 3, 1)
KEEP = {"RETAIN_EVENTS_DAYS": 90, "RETAIN_LEDGER_MONTHS": 1, "FEED_RETENTION_DAYS": 90,
        "RETAIN_BALLS_DAYS": 60}


def checkpoints(session, month: date) -> dict[int, int]:
    return dict(session.execute(select(LedgerCheckpoint.account_id, LedgerCheckpoint.closing_g)
                                .where(LedgerCheckpoint.month == month)).all())


def test_a_month_is_checkpointed_once_it_is_over_and_a_day_has_passed(uow, session, settled):
    assert write_checkpoints(uow, NOW + timedelta(days=22)) == []  # Apr 1 + 1 day not reached
    assert write_checkpoints(uow, NOW + timedelta(days=23)) == [MARCH]
    user = ledger.available_account(session, settled[0].id)
    balance = ledger.available_balance(session, settled[0].id)
    assert checkpoints(session, MARCH)[user] == balance > 0
    assert write_checkpoints(uow, NOW + timedelta(days=23)) == []  # nothing twice


def test_the_next_month_builds_on_the_previous_checkpoint(uow, session, settled):
    write_checkpoints(uow, NOW + timedelta(days=23))
    before = ledger.available_balance(session, settled[1].id)
    give_energy(session, settled[1].id, 40, now=NOW + timedelta(days=25))  # in April
    assert write_checkpoints(uow, NOW + timedelta(days=60)) == [date(2026, 4, 1)]
    after = checkpoints(session, date(2026, 4, 1))
    user = ledger.available_account(session, settled[1].id)
    assert after[user] == ledger.available_balance(session, settled[1].id) > before
    assert ledger.available_account(session, settled[0].id) not in after  # no entries in April
    assert reconcile(uow) == []


def test_a_tampered_entry_of_a_checkpointed_month_is_found(uow, session, settled):
    write_checkpoints(uow, NOW + timedelta(days=23))
    user = ledger.available_account(session, settled[0].id)
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == user)).first()
    issued = session.scalars(select(LedgerEntry).where(
        LedgerEntry.transaction_id == entry.transaction_id, LedgerEntry.id != entry.id)).one()
    # Both legs moved by a gram: the transaction still balances and the balance still equals
    # its checkpoint; only the month's entries no longer add up to that checkpoint.
    session.execute(update(LedgerEntry).where(LedgerEntry.id == entry.id)
                    .values(amount_g=LedgerEntry.amount_g + 1))
    session.execute(update(LedgerEntry).where(LedgerEntry.id == issued.id)
                    .values(amount_g=LedgerEntry.amount_g - 1))
    problems = reconcile(uow)
    assert any(f"ledger account {user}: its checkpoint of 2026-03 says" in p for p in problems)


def test_a_tampered_balance_is_found_against_the_checkpoint(uow, session, settled):
    write_checkpoints(uow, NOW + timedelta(days=23))
    session.execute(update(LedgerAccount).where(LedgerAccount.user_id == settled[0].id)
                    .values(balance_g=LedgerAccount.balance_g + 1))
    [problem] = reconcile(uow)
    assert "but its entries sum to" in problem


def test_after_its_month_is_retired_the_ledger_still_reconciles(uow, session, settled):
    later = NOW + timedelta(days=70)  # May 19: March is past a one-month retention
    balances = [ledger.available_balance(session, u.id) for u in settled]
    report = retention.maintain(lambda: uow, later, KEEP)
    assert report.checkpointed == [MARCH, date(2026, 4, 1)]
    assert session.scalars(select(LedgerEntry.id)).all() == []
    assert session.scalar(select(LedgerCheckpointMonth.retired)
                          .where(LedgerCheckpointMonth.month == MARCH)) is True
    assert [ledger.available_balance(session, u.id) for u in settled] == balances
    assert session.scalar(select(SettlementBatch.id)) is not None  # batches stay
    assert reconcile(uow) == []
    give_energy(session, settled[1].id, 40, now=later)  # the kept ledger moves on
    assert reconcile(uow) == []
