"""Queries of the carbon account. Take a Session, never commit."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, text
from sqlalchemy.orm import Session

from carbon.models import LedgerAccount, User, UserExternalId
from db.sql import in_values, insert_ignore, insert_rows, is_postgres


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


# PostgreSQL (and Citus): the ids are claimed with the user ids they will have, in external id
# order (two concurrent claimers wait on each other in one order, never in a cycle). A claim
# that loses to a concurrent one has used a sequence value for nothing: ids have gaps.
_CLAIM = text("""
INSERT INTO user_external_ids (external_id, user_id)
SELECT x, nextval('users_id_seq') FROM unnest(CAST(:ids AS varchar[])) AS x ORDER BY x
ON CONFLICT (external_id) DO NOTHING
RETURNING external_id, user_id""")


def create_users(session: Session, external_ids: list[str], timezone: str,
                 now: object) -> dict[str, int]:
    """Create the users of those external ids that no one has claimed: {external id: id} of
    those created here. The claim in user_external_ids comes first: on Citus it is the only
    unique key of an external id (users are spread by their numeric id)."""
    if is_postgres(session):
        claimed = {ext: uid for ext, uid in session.execute(_CLAIM, {"ids": external_ids})}
        insert_rows(session, User.__table__, [
            {"id": uid, "external_id": ext, "timezone": timezone, "co2e_total_g": 0,
             "created_at": now} for ext, uid in sorted(claimed.items())])
        return claimed
    # SQLite: writers are serialized; users.external_id is unique there too.
    table = User.__table__
    rows = [{"external_id": e, "timezone": timezone, "co2e_total_g": 0, "created_at": now}
            for e in external_ids]
    made = {ext: uid for uid, ext in insert_ignore(
        session, table, rows, ["external_id"], returning=(table.c.id, table.c.external_id))}
    if made:
        insert_ignore(session, UserExternalId.__table__,
                      [{"external_id": e, "user_id": u} for e, u in sorted(made.items())],
                      ["external_id"])
    return made


def owner_of(user_id: int | None) -> int:
    """The ledger's owner key of an account of `user_id`: 0 for system accounts (owner_id is
    the shard key on Citus, where a NULL cannot be one)."""
    return 0 if user_id is None else user_id


def account_id(session: Session, user_id: int | None, code: str) -> tuple[int, bool] | None:
    """(id, tracks_balance) of the account, or None."""
    row = session.execute(select(LedgerAccount.id, LedgerAccount.tracks_balance).where(
        LedgerAccount.owner_id == owner_of(user_id), LedgerAccount.code == code)).one_or_none()
    return None if row is None else (row[0], bool(row[1]))


def account_ids(session: Session, keys: list[tuple[str, int | None]]
                ) -> dict[tuple[int | None, str], tuple[int, bool]]:
    """{(user_id, code): (id, tracks_balance)} of those of the accounts (code, user_id) that
    exist, in one SELECT (built once per number of keys)."""
    params: dict[str, str | int] = {f"c{i}": code for i, (code, _) in enumerate(keys)}
    params.update({f"u{i}": owner_of(uid) for i, (_, uid) in enumerate(keys)})
    rows = session.execute(_account_ids(len(keys)), params)
    return {(None if owner == 0 else owner, code): (aid, bool(tracks))
            for owner, code, aid, tracks in rows}


@cache
def _account_ids(count: int) -> Select[*tuple[Any, ...]]:
    """The SELECT for `count` keys, built once."""
    a = LedgerAccount.__table__.c
    return select(a.owner_id, a.code, a.id, a.tracks_balance).where(or_(*(
        and_(a.owner_id == bindparam(f"u{i}"), a.code == bindparam(f"c{i}"))
        for i in range(count))))


def account_owner(session: Session, account_id: int) -> int:
    """The owner key of an account known only by its id (a read of every shard on Citus)."""
    return session.scalar(select(LedgerAccount.owner_id).where(LedgerAccount.id == account_id)) or 0


def account_balance(session: Session, account_id: int, owner_id: int) -> int:
    return session.scalar(select(LedgerAccount.balance_g).where(
        LedgerAccount.owner_id == owner_id, LedgerAccount.id == account_id)) or 0


def balance(session: Session, user_id: int | None, code: str) -> int:
    value = session.scalar(select(LedgerAccount.balance_g).where(
        LedgerAccount.owner_id == owner_of(user_id), LedgerAccount.code == code))
    return value or 0
