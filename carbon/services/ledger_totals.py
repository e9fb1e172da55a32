"""Ledger balances from checkpoints: each account's latest monthly checkpoint plus the entries
after the last checkpointed month, so that retired months are summarized, not lost.

Correct for accounts whose latest checkpoint is older than the last checkpointed month: a
month without a checkpoint row for an account is a month in which it had no entries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Subquery, and_, func, literal, select
from sqlalchemy.orm import Session

from carbon.models import LedgerAccount, LedgerEntry
from carbon.retention_models import LedgerCheckpoint, LedgerCheckpointMonth
from carbon.services.checkpoints import month_bounds

_CP, _E = LedgerCheckpoint, LedgerEntry


def last_checkpointed(s: Session) -> date | None:
    return s.scalar(select(func.max(LedgerCheckpointMonth.month)))


def retired_until(s: Session) -> datetime | None:
    """The instant before which ledger entries have been retired (None: none were)."""
    month = s.scalar(select(func.max(LedgerCheckpointMonth.month))
                     .where(LedgerCheckpointMonth.retired.is_(True)))
    return None if month is None else month_bounds(month)[1]


def account_totals(s: Session) -> Subquery:
    """(account_id, total_g) of every account: latest checkpoint + the entries since."""
    last = last_checkpointed(s)
    latest = (select(_CP.account_id, func.max(_CP.month).label("month"))
              .group_by(_CP.account_id).subquery())
    closing = (select(_CP.account_id, _CP.closing_g)
               .join(latest, and_(latest.c.account_id == _CP.account_id,
                                  latest.c.month == _CP.month)).subquery())
    entries = select(_E.account_id, func.sum(_E.amount_g).label("sum_g"))
    if last is not None:
        entries = entries.where(_E.created_at >= month_bounds(last)[1])
    since = entries.group_by(_E.account_id).subquery()
    total = func.coalesce(closing.c.closing_g, literal(0)) + func.coalesce(since.c.sum_g,
                                                                          literal(0))
    return (select(LedgerAccount.id.label("account_id"), total.label("total_g"))
            .outerjoin(closing, closing.c.account_id == LedgerAccount.id)
            .outerjoin(since, since.c.account_id == LedgerAccount.id).subquery())


def broken_checkpoints(s: Session) -> list[str]:
    """Each kept (not retired) checkpointed month: every account's checkpoint must be its
    previous checkpoint plus the month's entries, and an account without entries that month
    has no checkpoint of it. A tampered kept entry shows up here or in the drift check."""
    months = s.scalars(select(LedgerCheckpointMonth.month)
                       .where(LedgerCheckpointMonth.retired.is_(False))
                       .order_by(LedgerCheckpointMonth.month)).all()
    return [p for m in months for p in _month_problems(s, m)]


def _month_problems(s: Session, month: date) -> list[str]:
    lo, hi = month_bounds(month)
    sums = (select(_E.account_id, func.sum(_E.amount_g).label("sum_g"))
            .where(_E.created_at >= lo, _E.created_at < hi).group_by(_E.account_id).subquery())
    prev = _CP.__table__.alias("prev")
    previous = (select(prev.c.closing_g).where(prev.c.account_id == sums.c.account_id,
                                                prev.c.month < month)
                .order_by(prev.c.month.desc()).limit(1).scalar_subquery())
    expected = func.coalesce(previous, literal(0)) + sums.c.sum_g
    rows = s.execute(select(sums.c.account_id, _CP.closing_g, expected)
                     .outerjoin(_CP, and_(_CP.account_id == sums.c.account_id,
                                          _CP.month == month))
                     .order_by(sums.c.account_id)).all()
    problems = [f"ledger account {a}: its checkpoint of {month:%Y-%m} says {c} g but its "
                f"previous checkpoint and that month's entries make {e} g"
                for a, c, e in rows if c != e]
    stray = s.scalars(select(_CP.account_id).where(
        _CP.month == month, _CP.account_id.not_in(select(sums.c.account_id)))).all()
    problems += [f"ledger account {a} has a checkpoint of {month:%Y-%m} but no entries in "
                 f"that month" for a in stray]
    return problems
