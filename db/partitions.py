"""The tables that grow with time, and how their periods are cut (the registry).

PostgreSQL partitions each of them by RANGE on `column`, one partition per period named
`<table>_pYYYYMM` (monthly) or `<table>_pYYYYMMDD` (daily), plus `<table>_default`, a safety net
that takes any row no period partition covers, so that a write never fails for lack of a
partition. `db.partition_ops` creates periods ahead and retires old ones. SQLite keeps every
table plain and retires rows with DELETE.

Adding a table is one `Spec` in `REGISTRY`. A table whose key is not a date (the balls' ids
whose high bits are the local date) gives `bounds`: period start -> (lower, upper) SQL literals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MONTH, DAY = "month", "day"
# Session-level advisory lock namespace of the maintenance (pg_advisory_xact_lock(int, int)).
LOCK_NAMESPACE = 0x43504D54  # "CPMT"


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Spec:
    """A table with a life cycle. `retention` names the Config attribute that says how long
    its rows are kept, counted in `retain_unit` (days or months) back from today's period.
    `retire_when`: SQL, true when the period starting at :start and ending at :end may go
    (the ledger's: the month has its checkpoint). `partitioned` False: a small plain table
    retired by DELETE everywhere (event_keys)."""

    table: str
    column: str
    retention: str
    retain_unit: str = "days"
    unit: str = MONTH
    timestamp: bool = False  # the column is a timestamptz: bounds are UTC instants
    bounds: Callable[[date], tuple[str, str]] | None = None
    retire_when: str | None = None
    after_retire: str | None = None  # SQL run once every row before :end is retired
    partitioned: bool = True

    def period(self, d: date) -> date:
        return month_start(d) if self.unit == MONTH else d

    def next(self, start: date) -> date:
        return add_months(start, 1) if self.unit == MONTH else start + timedelta(days=1)

    def previous(self, start: date) -> date:
        return add_months(start, -1) if self.unit == MONTH else start - timedelta(days=1)

    def name(self, start: date) -> str:
        suffix = start.strftime("%Y%m") if self.unit == MONTH else start.strftime("%Y%m%d")
        return f"{self.table}_p{suffix}"

    def parse(self, name: str) -> date | None:
        """The period start of a partition called `name`, None if it is not one of ours."""
        suffix = name.removeprefix(f"{self.table}_p")
        if suffix == name or not suffix.isdigit():
            return None
        try:
            return datetime.strptime(suffix, "%Y%m" if self.unit == MONTH else "%Y%m%d").date()
        except ValueError:
            return None

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def literals(self, start: date, sqlite: bool = False) -> tuple[str, str]:
        """The partition bound of the period as SQL literals (SQLite stores naive UTC)."""
        if self.bounds is not None:
            return self.bounds(start)
        end = self.next(start)
        if self.timestamp:
            zone = "" if sqlite else "+00"
            return f"'{start.isoformat()} 00:00:00{zone}'", f"'{end.isoformat()} 00:00:00{zone}'"
        return f"'{start.isoformat()}'", f"'{end.isoformat()}'"

    def cutoff(self, today: date, keep: int) -> date:
        """Rows whose period ends on or before this date are past their retention."""
        if self.retain_unit == "months":
            return add_months(month_start(today), -keep)
        return today - timedelta(days=keep)


# A ledger month may go only once every account's closing balance of it is checkpointed
# (carbon.services.checkpoints); reconcile then starts from the checkpoint. Months are
# checkpointed in order from the oldest entry's: one at or after :start covers it.
_LEDGER_MONTH_CHECKPOINTED = ("EXISTS (SELECT 1 FROM ledger_checkpoint_months "
                              "WHERE month >= :start)")
_LEDGER_MONTH_RETIRED = "UPDATE ledger_checkpoint_months SET retired = true WHERE month < :end"

# Ball ids carry their local date in the bits above 38 (carbon.ball_ids): a month's balls, and
# the steals of them, are one id range.
_BALL_DAY_SHIFT = 38


def ball_id_bounds(month: date) -> tuple[str, str]:
    lo, hi = ((d - date(2000, 1, 1)).days << _BALL_DAY_SHIFT
              for d in (month, add_months(month, 1)))
    return str(lo), str(hi)


# A month of balls (and the steals and waterings that point at them) may go only once none of
# its balls, nor any older one, is still open: an open ball's energy is in the ledger's balls
# account and reconcile counts it. :end_key is the first ball id of the next month; waterings
# are cut by local date and get a month's margin, since a watering's ball may be dated by the
# receiver's zone a day apart.
_NO_OPEN_BALL_BEFORE = ("NOT EXISTS (SELECT 1 FROM balls WHERE status = 'open' "
                        "AND id < :end_key)")

# A month of balls may go only once its settlement balls are copied into carbon_days (their
# retired form: the monthly CO2e roll-up, carbon.services.co2e_totals): :last is its last day.
_BALLS_COPIED = ("EXISTS (SELECT 1 FROM co2e_rollup WHERE days_through IS NOT NULL "
                 "AND days_through >= :last)")

# Order matters: a table goes before the tables it references (entries before transactions,
# steals and waterings before balls).
REGISTRY: tuple[Spec, ...] = (
    Spec("activity_events", "local_date", "RETAIN_EVENTS_DAYS"),
    Spec("event_keys", "local_date", "RETAIN_EVENTS_DAYS", partitioned=False),
    Spec("ledger_entries", "created_at", "RETAIN_LEDGER_MONTHS", "months", timestamp=True,
         retire_when=_LEDGER_MONTH_CHECKPOINTED),
    Spec("ledger_transactions", "created_at", "RETAIN_LEDGER_MONTHS", "months",
         timestamp=True, retire_when=_LEDGER_MONTH_CHECKPOINTED,
         after_retire=_LEDGER_MONTH_RETIRED),
    Spec("outbox_events", "occurred_at", "FEED_RETENTION_DAYS", timestamp=True),
    Spec("steals", "ball_id", "RETAIN_BALLS_DAYS", bounds=ball_id_bounds,
         retire_when=_NO_OPEN_BALL_BEFORE),
    Spec("waterings", "local_date", "RETAIN_BALLS_DAYS", retire_when=_NO_OPEN_BALL_BEFORE),
    Spec("balls", "id", "RETAIN_BALLS_DAYS", bounds=ball_id_bounds,
         retire_when=_NO_OPEN_BALL_BEFORE + " AND " + _BALLS_COPIED
         + " AND NOT EXISTS (SELECT 1 FROM waterings WHERE ball_id < :end_key)"),
)


def spec(table: str, registry: tuple[Spec, ...] = REGISTRY) -> Spec:
    return next(s for s in registry if s.table == table)
