"""Read-only lookups other packages need about users and energy (they never commit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from carbon.models import LedgerAccount, LedgerEntry, LedgerTransaction, Partner, User
from carbon.services.co2e_totals import unrolled_g
from carbon.services.ledger import AVAILABLE, BALLS


def external_ids(session: Session, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.external_id).where(User.id.in_(set(user_ids))))
    return {uid: ext for uid, ext in rows}


@cache
def _user_with(extra: Callable[[Any], Any]) -> Select[*tuple[Any, ...]]:
    u = User.__table__.c
    return select(u.id, u.shield_until, extra(u.id)).where(
        u.external_id == bindparam("external_id"))


def user_with(session: Session, external_id: str, extra: Callable[[Any], Any],
              params: dict | None = None) -> tuple[int, datetime | None, Any] | None:
    """(id, shield_until, extra(users.id)) of the user with this external id, in one SELECT
    (`extra` builds a column from the user's id, e.g. "is a friend of mine", with its
    parameters in `params`); None if unknown. One statement is built per `extra` (the rush
    calls this on every request), so pass a module-level builder, not a new closure."""
    row = session.execute(_user_with(extra),
                          {"external_id": external_id, **(params or {})}).first()
    return None if row is None else (row[0], row[1], row[2])


def partner_names(session: Session, partner_ids: list[int]) -> dict[int, str]:
    if not partner_ids:
        return {}
    rows = session.execute(
        select(Partner.id, Partner.name).where(Partner.id.in_(set(partner_ids))))
    return {pid: name for pid, name in rows}


def user_totals(session: Session) -> tuple[int, int]:
    """(number of users, their total CO2e saved in grams: users' rolled-up totals plus what
    was settled after them, in carbon_days or still in balls)."""
    count, total = session.execute(
        select(func.count(User.id), func.coalesce(func.sum(User.co2e_total_g), 0))).one()
    return int(count), int(total) + unrolled_g(session)


def energy_from_balls(session: Session, user_ids: list[int], start: datetime,
                      end: datetime) -> dict[int, int]:
    """Grams that reached each user's available energy out of balls in [start, end): what
    they collected (their own and watered balls) plus what they stole. Refunds, transfers
    and spending are not earnings."""
    if not user_ids:
        return {}
    mine, balls_side = aliased(LedgerEntry), aliased(LedgerEntry)
    user_acct, balls_acct = aliased(LedgerAccount), aliased(LedgerAccount)
    stmt = (
        select(user_acct.user_id, func.sum(mine.amount_g))
        .join(mine, and_(mine.owner_id == user_acct.owner_id, mine.account_id == user_acct.id))
        .join(LedgerTransaction, LedgerTransaction.id == mine.transaction_id)
        .join(balls_side, and_(balls_side.transaction_id == mine.transaction_id,
                               balls_side.amount_g < 0))
        .join(balls_acct, and_(balls_acct.owner_id == balls_side.owner_id,
                               balls_acct.id == balls_side.account_id,
                               balls_acct.code == BALLS, balls_acct.user_id.is_(None)))
        .where(user_acct.user_id.in_(set(user_ids)), user_acct.code == AVAILABLE,
               mine.amount_g > 0, LedgerTransaction.created_at >= start,
               LedgerTransaction.created_at < end)
        .group_by(user_acct.user_id))
    return {uid: int(total) for uid, total in session.execute(stmt) if uid is not None}
