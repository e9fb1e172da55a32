"""Read-only lookups other packages need about users and energy (they never commit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from carbon.models import LedgerAccount, LedgerEntry, Partner, User
from carbon.repository.accounts import owner_of
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
    and spending are not earnings.

    Two statements, each joining entries to their accounts on the owner (co-located on
    Citus, where a join on the transaction id alone is a repartition join that took seconds):
    the users' credits in the window, then which of those transactions took from the balls
    account (the system's, owner 0). An entry's created_at is its transaction's
    (ledger.post), so both read only the window's ledger partitions."""
    if not user_ids:
        return {}
    credits = session.execute(_CREDITS, {"ids": sorted(set(user_ids)), "start": start,
                                         "end": end}).all()
    if not credits:
        return {}
    from_balls = set(session.scalars(_FROM_BALLS, {
        "txs": sorted({tx for _, tx, _ in credits}), "start": start, "end": end}))
    earned: dict[int, int] = {}
    for uid, tx, grams in credits:
        if tx in from_balls:
            earned[uid] = earned.get(uid, 0) + int(grams)
    return earned


def _entries_of(code: str, system: bool) -> Select[*tuple[Any, ...]]:
    """(user id, transaction id, grams) of the window's entries on the users' (`ids`) or the
    system's account `code`."""
    e, a = LedgerEntry.__table__.c, LedgerAccount.__table__.c
    owner = (and_(e.owner_id == owner_of(None), a.user_id.is_(None)) if system
             else a.user_id.in_(bindparam("ids", expanding=True)))
    return (select(a.user_id, e.transaction_id, e.amount_g)
            .join_from(LedgerEntry.__table__, LedgerAccount.__table__,
                       and_(a.owner_id == e.owner_id, a.id == e.account_id))
            .where(owner, a.code == code, e.created_at >= bindparam("start"),
                   e.created_at < bindparam("end")))


_E = LedgerEntry.__table__.c
_CREDITS = _entries_of(AVAILABLE, False).where(_E.amount_g > 0)
_FROM_BALLS = _entries_of(BALLS, True).with_only_columns(_E.transaction_id).where(
    _E.amount_g < 0, _E.transaction_id.in_(bindparam("txs", expanding=True)))
