"""Monthly ledger checkpoints: each account's closing balance of a UTC month.

Written once a month is over (a day's grace for transactions still committing at midnight),
oldest month first, one set-based INSERT ... SELECT ... GROUP BY per month: the previous
checkpoint of the account plus the month's entries, for each account that moved that month.
A month's ledger partitions may be retired only once its checkpoint is written
(db.partitions: retire_when), and reconcile then starts from the checkpoints.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carbon.models import LedgerEntry
from carbon.retention_models import LedgerCheckpointMonth
from db import UnitOfWork
from db.base import UTCDateTime
from db.partitions import add_months, month_start

GRACE = timedelta(days=1)

# The month's sums first, then each account's previous checkpoint added: on Citus the sums are
# computed on the shards (entries live with their owner) and the lookup runs where the
# checkpoints are, instead of a subquery per account shipped with the aggregate.
_WRITE = text("""
INSERT INTO ledger_checkpoints (account_id, month, closing_g)
SELECT m.account_id, :month,
       COALESCE((SELECT p.closing_g FROM ledger_checkpoints p
                 WHERE p.account_id = m.account_id AND p.month < :month
                 ORDER BY p.month DESC LIMIT 1), 0) + m.moved_g
FROM (SELECT e.account_id, SUM(e.amount_g) AS moved_g FROM ledger_entries e
      WHERE e.created_at >= :lo AND e.created_at < :hi
      GROUP BY e.account_id) AS m
""").bindparams(bindparam("lo", type_=UTCDateTime()), bindparam("hi", type_=UTCDateTime()))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The UTC instants a ledger month starts and ends at."""
    return (datetime.combine(month, time(), UTC),
            datetime.combine(add_months(month, 1), time(), UTC))


def write_checkpoints(uow: UnitOfWork, now: datetime) -> list[date]:
    """Checkpoint every month that is over and not checkpointed yet, oldest first (catching
    up after downtime). A concurrent run writing the same month makes this one stop. Returns
    the months written."""
    written: list[date] = []
    while True:
        with uow:
            month = _next_month(uow.session, now)
            if month is None:
                return written
            try:
                _write_month(uow.session, month, now)
                uow.commit()
            except IntegrityError:  # another scheduler wrote it first
                return written
        written.append(month)


def _next_month(s: Session, now: datetime) -> date | None:
    last = s.scalar(select(func.max(LedgerCheckpointMonth.month)))
    if last is not None:
        month = add_months(last, 1)
    else:
        oldest = s.scalar(select(func.min(LedgerEntry.created_at)))
        if oldest is None:
            return None
        month = month_start(oldest.date())
    return month if month_bounds(month)[1] + GRACE <= now else None


def _write_month(s: Session, month: date, now: datetime) -> None:
    lo, hi = month_bounds(month)
    s.add(LedgerCheckpointMonth(month=month, written_at=now, retired=False))
    s.flush()  # the month's row first: a concurrent run fails here, before the big INSERT
    s.execute(_WRITE, {"month": month, "lo": lo, "hi": hi})
