"""The double-entry energy ledger.

Every movement of energy is one transaction whose entries sum to zero and which names its cause.
User and group accounts keep a running balance updated in the same transaction (never negative);
system accounts (issued, balls, expired, plantings, ...) are too busy to lock, so their balance
is the sum of their entries. Functions here take a Session and never commit: the caller's use
case owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from carbon import repository
from carbon.errors import InsufficientEnergy, LedgerUnbalanced
from carbon.models import LedgerAccount, LedgerEntry, LedgerTransaction
from db.sql import insert_ignore

AVAILABLE = "available"  # a user's spendable energy
ISSUED = "issued"  # system: source of all energy settled from activity
BALLS = "balls"  # system: energy sitting in open balls
EXPIRED = "expired"  # system: energy of balls nobody collected in time
SYSTEM_CODES = (ISSUED, BALLS, EXPIRED)
_UNTRACKED = "ledger_untracked_accounts"


def account(session: Session, code: str, user_id: int | None = None,
            tracks_balance: bool | None = None) -> int:
    """Id of the account (user_id, code), created on first use.

    System accounts (user_id None) track no balance unless told; user accounts always do."""
    found = repository.account_id(session, user_id, code)
    if found is not None:
        return _remember(session, *found)
    tracks = (user_id is not None) if tracks_balance is None else tracks_balance
    row = {"user_id": user_id, "code": code, "tracks_balance": tracks, "balance_g": 0}
    if user_id is None:
        insert_ignore(session, LedgerAccount.__table__, row, ["code"],
                      index_where=text("user_id IS NULL"))
    else:
        insert_ignore(session, LedgerAccount.__table__, row, ["user_id", "code"])
    found = repository.account_id(session, user_id, code)
    assert found is not None
    return _remember(session, *found)


def _remember(session: Session, account_id: int, tracks_balance: bool) -> int:
    """Note, for this session's transactions, the accounts whose balance is not kept, so that
    posting to them costs no UPDATE (and takes no lock on a busy system row)."""
    if not tracks_balance:
        session.info.setdefault(_UNTRACKED, set()).add(account_id)
    return account_id


def available_account(session: Session, user_id: int) -> int:
    return account(session, AVAILABLE, user_id)


def available_balance(session: Session, user_id: int) -> int:
    return repository.balance(session, user_id, AVAILABLE)


def post(session: Session, kind: str, cause_type: str, cause_id: object,
         entries: list[tuple[int, int]], now: datetime) -> int:
    """Record one balanced transaction; raise InsufficientEnergy if a tracked balance would go
    below zero (nothing is then written: the caller rolls back). Returns the transaction id."""
    if sum(amount for _, amount in entries) != 0:
        raise LedgerUnbalanced(f"{kind} for {cause_type} {cause_id} does not sum to zero")
    txn = LedgerTransaction(kind=kind, cause_type=cause_type, cause_id=str(cause_id),
                            created_at=now)
    session.add(txn)
    session.flush()
    # Debits first, in account order, so two transactions never wait on each other in a cycle.
    for account_id, amount in sorted(entries, key=lambda e: (e[1] > 0, e[0])):
        _apply(session, account_id, amount)
    session.execute(LedgerEntry.__table__.insert(), [
        {"transaction_id": txn.id, "account_id": a, "amount_g": amount} for a, amount in entries
    ])
    return txn.id


def _apply(session: Session, account_id: int, amount: int) -> None:
    if amount == 0 or account_id in session.info.get(_UNTRACKED, ()):
        return
    result = session.execute(
        update(LedgerAccount)
        .where(LedgerAccount.id == account_id, LedgerAccount.tracks_balance.is_(True),
               LedgerAccount.balance_g + amount >= 0)
        .values(balance_g=LedgerAccount.balance_g + amount)
        .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        return
    tracks = session.scalar(select(LedgerAccount.tracks_balance).where(LedgerAccount.id == account_id))
    if tracks:
        have = session.scalar(select(LedgerAccount.balance_g).where(LedgerAccount.id == account_id))
        raise InsufficientEnergy(f"This needs {-amount} g of energy but only {have} g is available.")


def transfer(session: Session, kind: str, cause_type: str, cause_id: object,
             from_account: int, to_account: int, amount_g: int, now: datetime) -> int:
    """A two-entry transaction moving amount_g from one account to another."""
    return post(session, kind, cause_type, cause_id,
                [(from_account, -amount_g), (to_account, amount_g)], now)
