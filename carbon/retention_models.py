"""What lets old data go: the global duplicate check of events and the ledger's checkpoints.

activity_events is partitioned by local date on PostgreSQL, so (source, source_event_id) cannot
be unique across it: event_keys holds that key, unpartitioned and narrow, and ingestion's
duplicate/conflict check reads it. ledger_checkpoints holds each account's closing balance of
every UTC month it moved in, so that a month of ledger entries can be retired while balances
stay provable (`flask reconcile`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class EventKey(Base):
    __tablename__ = "event_keys"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, index=True)  # retired with its events
    payload_hash: Mapped[str] = mapped_column(String(64))


class LedgerCheckpoint(Base):
    """An account's balance at the end of `month` (its first day, UTC), for each month in
    which it had entries: the previous checkpoint plus the month's entries."""

    __tablename__ = "ledger_checkpoints"

    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    closing_g: Mapped[int] = mapped_column(BigInteger)


class LedgerCheckpointMonth(Base):
    """A month whose checkpoints are all written (then its entries may be retired), and
    whether they are (reconcile then cannot re-add that month's entries)."""

    __tablename__ = "ledger_checkpoint_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
