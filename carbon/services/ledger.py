"""The double-entry energy ledger.

Every movement of energy is one transaction whose entries sum to zero and which names its cause.
User and group accounts keep a running balance updated in the same transaction (never negative);
system accounts (issued, balls, expired, plantings, ...) are too busy to lock, so their balance
is the sum of their entries. Functions here take a Session and never commit: the caller's use
case owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbon.errors import InsufficientEnergy, LedgerUnbalanced
from carbon.models import LedgerAccount, LedgerEntry, LedgerTransaction
from carbon.repository import accounts as repository
from db.sql import insert_ignore

AVAILABLE = "available"  # a user's spendable energy
ISSUED = "issued"  # system: source of all energy settled from activity
BALLS = "balls"  # system: energy sitting in open balls
EXPIRED = "expired"  # system: energy of balls nobody collected in time
_UNTRACKED = "ledger_untracked_accounts"
_BALANCES = "ledger_posted_balances"
_OWNERS = "ledger_account_owners"


def account(session: Session, code: str, user_id: int | None = None,
            tracks_balance: bool | None = None) -> int:
    """Id of the account (user_id, code), created on first use.

    System accounts (user_id None) track no balance unless told; user accounts always do."""
    found = repository.account_id(session, user_id, code)
    if found is not None:
        return _remember(session, *found, user_id)
    return _create(session, code, user_id, tracks_balance)


def accounts(session: Session, keys: list[tuple[str, int | None]]) -> list[int]:
    """Ids of the accounts (code, user_id), in order, found in one SELECT (created if new)."""
    found = repository.account_ids(session, keys)
    ids = []
    for code, user_id in keys:
        row = found.get((user_id, code))
        ids.append(_remember(session, *row, user_id) if row
                   else _create(session, code, user_id, None))
    return ids


def _create(session: Session, code: str, user_id: int | None,
            tracks_balance: bool | None) -> int:
    tracks = (user_id is not None) if tracks_balance is None else tracks_balance
    row = {"user_id": user_id, "owner_id": repository.owner_of(user_id), "code": code,
           "tracks_balance": tracks, "balance_g": 0}
    table = LedgerAccount.__table__
    # ON CONFLICT arbitrates (owner_id, code) only: a concurrent transaction that created the
    # same account first may instead meet this insert on another of its unique keys ((user_id,
    # code), or code among system accounts on PostgreSQL), which raises once it commits; two
    # first settlements at once failed so. In a savepoint, that is the same as DO NOTHING.
    try:
        with session.begin_nested():
            made = insert_ignore(session, table, row, ["owner_id", "code"],
                                 returning=(table.c.id, table.c.tracks_balance)).first()
    except IntegrityError:
        made = None
    # Nothing returned: a concurrent transaction created it first; read theirs.
    found = (made[0], bool(made[1])) if made else repository.account_id(session, user_id, code)
    assert found is not None
    return _remember(session, found[0], found[1], user_id)


def _remember(session: Session, account_id: int, tracks_balance: bool,
              user_id: int | None) -> int:
    """Note, for this session's transactions, the accounts whose balance is not kept, so that
    posting to them costs no UPDATE (and takes no lock on a busy system row), and every
    account's owner (its shard key on Citus, written with each entry)."""
    if not tracks_balance:
        session.info.setdefault(_UNTRACKED, set()).add(account_id)
    session.info.setdefault(_OWNERS, {})[account_id] = repository.owner_of(user_id)
    return account_id


def _owner(session: Session, account_id: int) -> int:
    owners = session.info.setdefault(_OWNERS, {})
    if account_id not in owners:
        owners[account_id] = repository.account_owner(session, account_id)
    return owners[account_id]


def available_account(session: Session, user_id: int) -> int:
    return account(session, AVAILABLE, user_id)


def available_balance(session: Session, user_id: int) -> int:
    return repository.balance(session, user_id, AVAILABLE)


def posted_balance(session: Session, account_id: int) -> int:
    """The balance of a tracked account as this session's last posting to it left it (the
    UPDATE returned it and its row stays locked until the transaction ends), else read."""
    known = session.info.get(_BALANCES, {}).pop(account_id, None)
    if known is not None:
        return known
    return repository.account_balance(session, account_id, _owner(session, account_id))


def post(session: Session, kind: str, cause_type: str, cause_id: object,
         entries: list[tuple[int, int]], now: datetime) -> int:
    """Record one balanced transaction; raise InsufficientEnergy if a tracked balance would go
    below zero (nothing is then written: the caller rolls back). Returns the transaction id."""
    if sum(amount for _, amount in entries) != 0:
        raise LedgerUnbalanced(f"{kind} for {cause_type} {cause_id} does not sum to zero")
    txn_id = session.execute(_NEW_TXN, {
        "kind": kind, "cause_type": cause_type, "cause_id": str(cause_id), "created_at": now,
    }).scalar_one()
    # Debits first, in account order, so two transactions never wait on each other in a cycle.
    for account_id, amount in sorted(entries, key=lambda e: (e[1] > 0, e[0])):
        _apply(session, account_id, amount)
    session.execute(_NEW_ENTRY, [
        {"transaction_id": txn_id, "account_id": a, "owner_id": _owner(session, a),
         "amount_g": amount, "created_at": now}
        for a, amount in entries
    ])
    return txn_id


# Built once: every steal, collect and watering posts through these.
_A = LedgerAccount.__table__.c
_NEW_TXN = LedgerTransaction.__table__.insert().returning(LedgerTransaction.__table__.c.id)
_NEW_ENTRY = LedgerEntry.__table__.insert()
_ADD_TO_BALANCE = (update(LedgerAccount.__table__)
                   .where(_A.owner_id == bindparam("owner"), _A.id == bindparam("account_id"),
                          _A.tracks_balance == true(),
                          _A.balance_g + bindparam("amount") >= 0)
                   .values(balance_g=_A.balance_g + bindparam("amount"))
                   .returning(_A.balance_g))


def _apply(session: Session, account_id: int, amount: int) -> None:
    if amount == 0 or account_id in session.info.get(_UNTRACKED, ()):
        return
    owner = _owner(session, account_id)
    new_balance = session.execute(_ADD_TO_BALANCE, {"owner": owner, "account_id": account_id,
                                                    "amount": amount}).scalar()
    if new_balance is not None:
        session.info.setdefault(_BALANCES, {})[account_id] = new_balance
        return
    mine = (LedgerAccount.owner_id == owner, LedgerAccount.id == account_id)
    tracks = session.scalar(select(LedgerAccount.tracks_balance).where(*mine))
    if tracks:
        have = session.scalar(select(LedgerAccount.balance_g).where(*mine))
        raise InsufficientEnergy(f"This needs {-amount} g of energy but only {have} g is available.")


def transfer(session: Session, kind: str, cause_type: str, cause_id: object,
             from_account: int, to_account: int, amount_g: int, now: datetime) -> int:
    """A two-entry transaction moving amount_g from one account to another."""
    return post(session, kind, cause_type, cause_id,
                [(from_account, -amount_g), (to_account, amount_g)], now)
