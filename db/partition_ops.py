"""Partition maintenance: periods created ahead, periods past their retention retired.

PostgreSQL: each table in its own short transaction that first takes a transaction-level
advisory lock of that table (a second scheduler skips the table instead of waiting), with a
lock timeout so that the ACCESS EXCLUSIVE lock a partition's creation or detach needs never
queues the application's traffic behind a long query (the next run tries again). Retiring is
DETACH + DROP: never a row-by-row DELETE. DETACH ... CONCURRENTLY is not used: PostgreSQL refuses
it on a table with a default partition, and every table here keeps one.

SQLite (and plain tables such as event_keys): the rows before the horizon are deleted.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.partitions import LOCK_NAMESPACE, REGISTRY, Spec, add_months, ball_id_bounds
from db.sql import is_citus, rowcount
from db.uow import UnitOfWork

AHEAD_MONTHS = 3
LOCK_TIMEOUT = "5s"


@dataclass
class TableReport:
    table: str
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    rows_moved: int = 0
    rows_deleted: int = 0
    skipped: str | None = None


@dataclass
class Report:
    tables: list[TableReport] = field(default_factory=list)
    duration_ms: float = 0.0

    def figures(self) -> dict:
        t = self.tables
        # Not "created": the standard library's log records reserve that name.
        return {"partitions_created": sum(len(r.created) for r in t),
                "partitions_detached": sum(len(r.dropped) for r in t),
                "partitions_dropped": sum(len(r.dropped) for r in t),
                "rows_moved": sum(r.rows_moved for r in t),
                "rows_deleted": sum(r.rows_deleted for r in t),
                "tables_skipped": sum(1 for r in t if r.skipped)}


def maintain(uow_factory: Callable[[], UnitOfWork], today: date, keep: Mapping[str, int],
             registry: tuple[Spec, ...] = REGISTRY, ahead: int = AHEAD_MONTHS) -> Report:
    """Create every period from the retention horizon to `ahead` months past today (catching
    up after downtime), move rows the default partition caught into them, and retire what is
    older than `keep[spec.retention]`. One transaction per table."""
    started = time.perf_counter()
    report = Report()
    for spec in registry:
        row = TableReport(spec.table)
        try:
            with uow_factory() as uow:
                if _maintain_table(uow.session, spec, today, keep[spec.retention], ahead, row):
                    uow.commit()
        except DBAPIError as exc:  # a lock timeout (traffic wins): the next run retries
            row.created, row.dropped, row.rows_moved, row.rows_deleted = [], [], 0, 0
            row.skipped = f"failed: {str(exc.orig).strip().splitlines()[0]}"
        report.tables.append(row)
    report.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return report


def _maintain_table(s: Session, spec: Spec, today: date, keep: int, ahead: int,
                    row: TableReport) -> bool:
    postgres = s.get_bind().dialect.name == "postgresql"
    if not postgres or not spec.partitioned:
        row.rows_deleted = _delete_before(s, spec, today, keep, sqlite=not postgres)
        return True
    if not is_partitioned(s, spec.table):
        row.skipped = "not partitioned"
        return False
    if not s.scalar(text("SELECT pg_try_advisory_xact_lock(:ns, :key)"),
                    {"ns": LOCK_NAMESPACE, "key": _lock_key(spec.table)}):
        row.skipped = "another run holds it"
        return False
    s.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    # One table's DDL at a time across runs: a partition of balls locks the tables that refer
    # to it (steals, waterings) and a partition of steals locks balls, so two runs working on
    # two of them at once deadlocked. This run waits (lock_timeout) for the other's table.
    s.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"),
              {"ns": LOCK_NAMESPACE, "key": _DDL_KEY})
    _create_ahead(s, spec, today, ahead, row)
    _retire(s, spec, today, keep, row)
    return True


_DDL_KEY = 0  # crc32 of a table name masked to 31 bits is never 0 for these tables


def _lock_key(table: str) -> int:
    return zlib.crc32(table.encode()) & 0x7FFFFFFF


def is_partitioned(s: Session, table: str) -> bool:
    return s.scalar(text("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(:t)"),
                    {"t": table}) is True


def partitions(s: Session, spec: Spec) -> dict[date, str]:
    """The period partitions of a table (PostgreSQL), by period start."""
    names = s.scalars(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:t)"), {"t": spec.table})
    found = {spec.parse(n): n for n in names}
    found.pop(None, None)
    return found  # type: ignore[return-value]


def _create_ahead(s: Session, spec: Spec, today: date, ahead: int, row: TableReport) -> None:
    """From today's period (or the oldest the default partition caught: rows written while
    no partition covered them, after downtime or a clock set back) to `ahead` months on.
    A month without rows needs no partition: the default would catch its rows."""
    have = partitions(s, spec)
    start = spec.period(today)
    caught = _oldest_in_default(s, spec)
    if caught is not None and caught < start:
        start = caught
    last = add_months(spec.period(today), ahead)
    while start <= last:
        if start not in have:
            row.rows_moved += create_partition(s, spec, start)
            row.created.append(spec.name(start))
        start = spec.next(start)


def _oldest_in_default(s: Session, spec: Spec) -> date | None:
    if spec.bounds is not None:  # not a date: the default's old rows wait for an operator
        return None
    column = f"({spec.column} AT TIME ZONE 'UTC')::date" if spec.timestamp else spec.column
    oldest = s.scalar(text(f"SELECT min({column}) FROM {spec.default}"))
    return None if oldest is None else spec.period(oldest)


# The locks a table's partition DDL needs, taken in the order the traffic takes them: first
# the tables its foreign keys refer to (SHARE ROW EXCLUSIVE: creating or dropping a partition
# adds or drops its copies of those keys), then the table (ACCESS EXCLUSIVE). Taken as the DDL
# went, the table came first and a deadlock followed: settlement holds ledger_accounts while
# it inserts ledger_entries, and the partition of ledger_entries being created held
# ledger_entries while it waited for ledger_accounts. Now this run waits for the referred-to
# tables while it holds nothing a writer waits for (under lock_timeout, as before).
_REFERENCED = text("""
SELECT DISTINCT CAST(c.confrelid AS regclass)::text FROM pg_constraint c
WHERE c.contype = 'f' AND c.conparentid = 0 AND c.conrelid = to_regclass(:t)
  AND c.confrelid <> c.conrelid
ORDER BY 1""")


def take_ddl_locks(s: Session, spec: Spec) -> None:
    """The locks of the table's partition DDL, in the traffic's order (above). PostgreSQL; on
    Citus the DDL takes its locks as it goes, as before."""
    if is_citus(s):
        return
    referenced = list(s.scalars(_REFERENCED, {"t": spec.table}))
    if referenced:
        s.execute(text(f"LOCK TABLE {', '.join(referenced)} IN SHARE ROW EXCLUSIVE MODE"))
    s.execute(text(f"LOCK TABLE {spec.table} IN ACCESS EXCLUSIVE MODE"))


def create_partition(s: Session, spec: Spec, start: date) -> int:
    """Create the period's partition; rows the default partition holds in its range move into
    it in this transaction. Returns how many moved."""
    take_ddl_locks(s, spec)
    lo, hi = spec.literals(start)
    t, col = spec.table, spec.column
    s.execute(text(f"CREATE TEMP TABLE partition_moving (LIKE {t}) ON COMMIT DROP"))
    moved = rowcount(s.execute(text(
        f"WITH m AS (DELETE FROM {spec.default} WHERE {col} >= {lo} AND {col} < {hi} "
        f"RETURNING *) INSERT INTO partition_moving SELECT * FROM m")))
    s.execute(text(f"CREATE TABLE {spec.name(start)} PARTITION OF {t} "
                   f"FOR VALUES FROM ({lo}) TO ({hi})"))
    if moved:
        s.execute(text(f"INSERT INTO {t} SELECT * FROM partition_moving"))
    s.execute(text("DROP TABLE partition_moving"))
    return moved


def _retire(s: Session, spec: Spec, today: date, keep: int, row: TableReport) -> None:
    cutoff = spec.cutoff(today, keep)
    for start, name in sorted(partitions(s, spec).items()):
        end = spec.next(start)
        if end > cutoff or not _ready(s, spec, start):
            break
        take_ddl_locks(s, spec)
        s.execute(text(f"ALTER TABLE {spec.table} DETACH PARTITION {name}"))
        s.execute(text(f"DROP TABLE {name}"))
        if spec.after_retire:
            s.execute(text(spec.after_retire), {"end": end})
        row.dropped.append(name)


def _ready(s: Session, spec: Spec, start: date) -> bool:
    if spec.retire_when is None:
        return True
    end = spec.next(start)
    # :end_key: the first ball id of the period after (waterings, cut by date, wait a month more).
    key_month = end if spec.bounds is not None else spec.next(end)
    return bool(s.scalar(text(f"SELECT {spec.retire_when}"),
                         {"start": start, "end": end, "last": end - timedelta(days=1),
                          "end_key": int(ball_id_bounds(key_month)[0])}))


def _delete_before(s: Session, spec: Spec, today: date, keep: int, sqlite: bool) -> int:
    """Plain tables: delete the rows of every period that is past its retention and ready."""
    horizon = spec.period(spec.cutoff(today, keep))
    if spec.retire_when is not None:
        for _ in range(240):  # walk back to the newest ready period (checkpoints are in order)
            if _ready(s, spec, spec.previous(horizon)):
                break
            horizon = spec.previous(horizon)
        else:
            return 0
    lo, _ = spec.literals(horizon, sqlite=sqlite)
    deleted = rowcount(s.execute(text(f"DELETE FROM {spec.table} WHERE {spec.column} < {lo}")))
    if spec.after_retire:
        s.execute(text(spec.after_retire), {"end": horizon})
    return deleted


def status(s: Session, registry: tuple[Spec, ...] = REGISTRY) -> list[dict]:
    """Per table: partitioned or not, its periods (oldest, newest, count), rows in default."""
    rows = []
    postgres = s.get_bind().dialect.name == "postgresql"
    for spec in registry:
        parted = postgres and spec.partitioned and is_partitioned(s, spec.table)
        have = sorted(partitions(s, spec)) if parted else []
        default_rows = s.scalar(text(f"SELECT count(*) FROM {spec.default}")) if parted else None
        rows.append({"table": spec.table, "partitioned": parted, "partitions": len(have),
                     "oldest": have[0].isoformat() if have else None,
                     "newest": have[-1].isoformat() if have else None,
                     "default_rows": default_rows, "retention": spec.retention})
    return rows
