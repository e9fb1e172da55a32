"""Typed ORM models of the carbon account."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnClause,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    literal_column,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from carbon.ball_ids import LEGACY_END
from db.base import Base, BigId, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    co2e_total_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shield_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Half-empty pages: nightly settlement updates co2e_total_g of every active user, and with
    # room on the page PostgreSQL does that as a HOT update (no new entry in any index).
    __table_args__ = (Index("ix_users_timezone_id", "timezone", "id"),
                      {"postgresql_with": {"fillfactor": 50}})


class UserExternalId(Base):
    """A user's external id, claimed before the user row is written: the key that keeps
    external ids unique when users are spread over shards by their numeric id (on Citus this
    table is distributed by external_id; users.external_id is then not unique by itself)."""

    __tablename__ = "user_external_ids"

    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)


class Partner(Base):
    """An upstream source, planting or charity partner, or operator key (HMAC-signed requests)."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[str] = mapped_column(String(255))  # comma separated
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerSignature(Base):
    """A signature a partner's key already used on a state-changing request, kept while its
    timestamp is inside the skew window so that the same signed request cannot act twice."""

    __tablename__ = "partner_signatures"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)  # lowercase hex
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LedgerAccount(Base):
    """A place energy can be. User and group accounts keep a running balance (never negative);
    busy system accounts (issued, balls, expired, ...) do not, their balance is the sum of entries."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The user, 0 for a system account: the shard key on Citus (a NULL cannot be one).
    owner_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    code: Mapped[str] = mapped_column(String(64))
    tracks_balance: Mapped[bool] = mapped_column(Boolean)
    balance_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    __table_args__ = (
        UniqueConstraint("user_id", "code"),
        Index("uq_ledger_accounts_owner_id_code", "owner_id", "code", unique=True),
        Index("uq_ledger_accounts_system_code", "code", unique=True,
              postgresql_where=text("user_id IS NULL"), sqlite_where=text("user_id IS NULL")),
        CheckConstraint("balance_g >= 0", name="balance_not_negative"),
    )


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    cause_type: Mapped[str] = mapped_column(String(32))
    cause_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_ledger_transactions_cause", "cause_type", "cause_id"),)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # its account's
    amount_g: Mapped[int] = mapped_column(BigInteger)
    # The transaction's created_at, copied: the partition key of both tables (PostgreSQL
    # partitions them by month), so that a month of the ledger is retired as a whole.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActivityType(Base):
    __tablename__ = "activity_types"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit: Mapped[str] = mapped_column(String(128))
    # "sum": every event adds; "max": the day's highest quantity counts (steps).
    aggregate: Mapped[str] = mapped_column(String(8))
    max_quantity: Mapped[int] = mapped_column(BigInteger)
    # Attribute that must be unique per user and local month (utility_bill: account_no).
    dedupe_attribute: Mapped[str | None] = mapped_column(String(32), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MethodologyVersion(Base):
    """co2e_g = floor(quantity * factor_num / factor_den), capped at cap_g per cap_period."""

    __tablename__ = "methodology_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    activity_type: Mapped[str] = mapped_column(ForeignKey("activity_types.key"))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    effective_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    factor_num: Mapped[int] = mapped_column(BigInteger)
    factor_den: Mapped[int] = mapped_column(BigInteger)
    cap_g: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cap_period: Mapped[str | None] = mapped_column(String(8), nullable=True)
    note: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("activity_type", "effective_from"),
        CheckConstraint("factor_den > 0", name="factor_den_positive"),
        CheckConstraint("factor_num >= 0", name="factor_num_not_negative"),
    )


class ActivityEvent(Base):
    __tablename__ = "activity_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_event_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    activity_type: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("source", "source_event_id"),
        Index("ix_activity_events_local_date_user", "local_date", "user_id"),
        Index("ix_activity_events_dedupe", "user_id", "activity_type", "dedupe_key",
              postgresql_where=text("dedupe_key IS NOT NULL"),
              sqlite_where=text("dedupe_key IS NOT NULL")),
    )


class SettlementRun(Base):
    """One local date of one time zone; completed_at set when every batch is done."""

    __tablename__ = "settlement_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    local_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (UniqueConstraint("local_date", "timezone"),)


class SettlementBatch(Base):
    """Users first_user_id..last_user_id of one zone for one date: planned with finished_at
    NULL (its users' events of that date are no longer accepted), finished when its balls are
    committed (in the same transaction)."""

    __tablename__ = "settlement_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    local_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    first_user_id: Mapped[int] = mapped_column(BigInteger)
    last_user_id: Mapped[int] = mapped_column(BigInteger)
    balls: Mapped[int] = mapped_column(BigInteger, default=0)
    energy_g: Mapped[int] = mapped_column(BigInteger, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When its balls still open were expired (expiry goes batch by batch: one id range each).
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (
        UniqueConstraint("local_date", "timezone", "first_user_id"),
        Index("ix_settlement_batches_unexpired", "local_date",
              postgresql_where=text("expired_at IS NULL"),
              sqlite_where=text("expired_at IS NULL")),
    )


# 'open' written into the SQL, not bound: the planner can then use the partial indexes on open
# balls even in the generic plan of a prepared statement (psycopg prepares repeated queries).
OPEN: ColumnClause[str] = literal_column("'open'")
# The other open balls (not of a settlement batch, or older than the id scheme: both only a
# few), written out literally for the same reason: a query must repeat it to use the index.
LOOSE_OPEN_SQL = text(f"status = 'open' AND (settlement_batch_id IS NULL OR id < {LEGACY_END})")


class Ball(Base):
    """An energy ball. status: open (growing before ripe_at, then ripe) | collected | expired.

    energy_g = remaining_g + stolen_g + collected_g always; an expired ball keeps in remaining_g
    what expired. The ledger's system "balls" account holds the remaining_g of open balls.

    The id says the local date and, for a settlement ball, the user (carbon/ball_ids.py): the
    primary key is then also the once-per-(user, night) key of settlement, a user's settlement
    balls of a night are one short key range (how they are listed) and a batch's balls one
    range (how they expire). Only the few other balls (watering, and those made before the
    scheme) need a second index."""

    __tablename__ = "balls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    # No foreign keys on user_id and settlement_batch_id: PostgreSQL checks them row by row with
    # a trigger, which doubled the time of nightly settlement (millions of balls). user_id comes
    # from activity_events.user_id (a foreign key) or an authenticated user; the batch row is
    # inserted in the same transaction as its balls.
    user_id: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(16))  # settlement | water
    activity_type: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[date] = mapped_column(Date)
    co2e_g: Mapped[int] = mapped_column(BigInteger)
    energy_g: Mapped[int] = mapped_column(BigInteger)
    remaining_g: Mapped[int] = mapped_column(BigInteger)
    stolen_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    collected_g: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    stealable: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    ripe_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settlement_batch_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    issue_txn_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    close_txn_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        # Open balls that no settlement batch range finds: watering balls and balls older than
        # the id scheme. Settlement never writes here (see LOOSE_OPEN).
        Index("ix_balls_user_loose_open", "user_id", postgresql_where=LOOSE_OPEN_SQL,
              sqlite_where=LOOSE_OPEN_SQL),
        CheckConstraint("remaining_g >= 0", name="remaining_not_negative"),
        CheckConstraint("2 * stolen_g <= energy_g", name="stolen_at_most_half"),
        CheckConstraint("remaining_g + stolen_g + collected_g = energy_g", name="conserved"),
    )


class IdempotencyKey(Base):
    """A user POST's Idempotency-Key, with the first response to replay."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # for the purge
    __table_args__ = (UniqueConstraint("user_id", "key"),)
