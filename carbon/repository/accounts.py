"""Queries of the carbon account. Take a Session, never commit."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from carbon.models import LedgerAccount, User
from db.sql import in_values


def user_by_external_id(session: Session, external_id: str) -> User | None:
    return session.scalars(select(User).where(User.external_id == external_id)).one_or_none()


def user_ref_row(session: Session, external_id: str) -> tuple[int, str, str] | None:
    """(id, external_id, timezone) of the user: the columns, no ORM entity to build."""
    row = session.execute(select(User.id, User.external_id, User.timezone)
                          .where(User.external_id == external_id)).first()
    return None if row is None else (row[0], row[1], row[2])


def users_by_external_ids(session: Session, external_ids: list[str]) -> list[tuple[int, str, str]]:
    rows = session.execute(
        select(User.id, User.external_id, User.timezone)
        .where(in_values(session, User.external_id, external_ids)))
    return [(uid, ext, tz) for uid, ext, tz in rows]


def account_id(session: Session, user_id: int | None, code: str) -> tuple[int, bool] | None:
    """(id, tracks_balance) of the account, or None."""
    cond = LedgerAccount.user_id.is_(None) if user_id is None else LedgerAccount.user_id == user_id
    row = session.execute(select(LedgerAccount.id, LedgerAccount.tracks_balance).where(
        cond, LedgerAccount.code == code)).one_or_none()
    return None if row is None else (row[0], bool(row[1]))


def account_ids(session: Session, keys: list[tuple[str, int | None]]
                ) -> dict[tuple[int | None, str], tuple[int, bool]]:
    """{(user_id, code): (id, tracks_balance)} of those of the accounts (code, user_id) that
    exist, in one SELECT (built once per shape of `keys`: which ones are system accounts)."""
    params: dict[str, str | int] = {f"c{i}": code for i, (code, _) in enumerate(keys)}
    params.update({f"u{i}": uid for i, (_, uid) in enumerate(keys) if uid is not None})
    rows = session.execute(_account_ids(tuple(uid is None for _, uid in keys)), params)
    return {(uid, code): (aid, bool(tracks)) for uid, code, aid, tracks in rows}


@cache
def _account_ids(system: tuple[bool, ...]) -> Select[*tuple[Any, ...]]:
    """The SELECT for keys of this shape (which ones are system accounts), built once."""
    a = LedgerAccount.__table__.c
    return select(a.user_id, a.code, a.id, a.tracks_balance).where(or_(*(
        and_(a.user_id.is_(None) if is_system else a.user_id == bindparam(f"u{i}"),
             a.code == bindparam(f"c{i}")) for i, is_system in enumerate(system))))


def account_balance(session: Session, account_id: int) -> int:
    return session.scalar(
        select(LedgerAccount.balance_g).where(LedgerAccount.id == account_id)) or 0


def balance(session: Session, user_id: int | None, code: str) -> int:
    cond = LedgerAccount.user_id.is_(None) if user_id is None else LedgerAccount.user_id == user_id
    value = session.scalar(
        select(LedgerAccount.balance_g).where(cond, LedgerAccount.code == code))
    return value or 0
