"""The daily partition maintenance with the clock moved forward: partitions created ahead,
old months retired per settings (DETACH + DROP on PostgreSQL, DELETE on SQLite), catch-up
after downtime, and the ledger still reconciling from its checkpoints."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from carbon.models import ActivityEvent, LedgerEntry, LedgerTransaction
from carbon.outbox_models import OutboxEvent
from carbon.retention_models import EventKey, LedgerCheckpoint
from carbon.services import ledger, outbox
from carbon.services.events import ingest_events
from carbon.services.reconcile import reconcile
from config import Config, ConfigError
from db import UnitOfWork, make_session_factory, partition_ops, utcnow_aware
from db.partitions import REGISTRY, spec
from jobs.scheduler import build_scheduler
from jobs.tasks import maintain_partitions
from tests.conftest import NOW
from tests.factories.forest import give_energy
from tests.jobs.conftest import add_user, clock, count
from tests.migrations import database_at

KEEP = {"RETAIN_EVENTS_DAYS": 90, "RETAIN_LEDGER_MONTHS": 6, "FEED_RETENTION_DAYS": 90,
        "RETAIN_BALLS_DAYS": 60}
A_YEAR_LATER = NOW + timedelta(days=365)  # 2027-03-10


def names(session, table: str) -> set[str]:
    return set(partition_ops.partitions(session, spec(table)).values())


def in_default(session, table: str) -> int:
    return session.scalar(text(f"SELECT count(*) FROM {table}_default"))


def arrange(session, uow) -> int:
    """A user with an ingested event of Mar 9, 300 g of energy and a fact in the feed (NOW)."""
    user = add_user(session)
    event = {"id": "e-1", "user_id": user.external_id, "type": "offline_payment",
             "quantity": 1, "occurred_at": NOW.isoformat()}
    assert ingest_events(uow, "test", [event], "Asia/Shanghai", NOW).accepted == 1
    give_energy(session, user.id, 300)
    outbox.record(session, "test", NOW, user_id=user.id)
    session.flush()
    return user.id


def test_the_first_run_creates_the_months_and_moves_what_the_default_caught(
        session, uow, uow_factory, is_postgres):
    if not is_postgres:
        pytest.skip("partitions are PostgreSQL's")
    arrange(session, uow)
    # The schema's months start at its migration; March 2026 may exist if a committed test
    # (the scheduler's) ran the maintenance before this one.
    waiting = sum(in_default(session, t) for t in ("activity_events", "ledger_transactions",
                                                    "ledger_entries", "outbox_events"))
    report = maintain_partitions(uow_factory, clock(NOW), KEEP)
    # From the month of the oldest row the default caught to three months ahead; an empty
    # month before it gets no partition.
    assert {f"activity_events_p2026{m:02}" for m in range(3, 7)} <= names(session,
                                                                           "activity_events")
    assert "activity_events_p202602" not in names(session, "activity_events")
    for table in ("activity_events", "ledger_transactions", "ledger_entries", "outbox_events"):
        assert in_default(session, table) == 0, table
    assert session.scalar(text("SELECT count(*) FROM activity_events_p202603")) == 1
    assert report.figures()["rows_moved"] == waiting
    again = maintain_partitions(uow_factory, clock(NOW), KEEP)
    assert (again.figures()["partitions_created"], again.figures()["rows_moved"]) == (0, 0)


def test_a_year_later_old_months_are_retired_and_balances_still_reconcile(
        session, uow, uow_factory, is_postgres):
    user_id = arrange(session, uow)
    maintain_partitions(uow_factory, clock(NOW), KEEP)
    with time_machine.travel(A_YEAR_LATER, tick=False):
        give_energy(session, user_id, 50, now=utcnow_aware())
        report = maintain_partitions(uow_factory, utcnow_aware, KEEP)
    # Checkpoints of every month from the first entry's (March 2026) to February 2027.
    assert len(report.checkpointed) == 12
    assert session.scalar(select(LedgerCheckpoint.closing_g).where(
        LedgerCheckpoint.month == date(2026, 3, 1),
        LedgerCheckpoint.account_id == ledger.available_account(session, user_id))) == 300
    # Events past 90 days, the feed past 90 days, ledger months before September 2026: gone.
    assert (count(session, ActivityEvent), count(session, EventKey),
            count(session, OutboxEvent)) == (0, 0, 0)
    assert (count(session, LedgerTransaction), count(session, LedgerEntry)) == (1, 2)
    assert ledger.available_balance(session, user_id) == 350
    assert reconcile(uow) == []
    if is_postgres:
        assert "activity_events_p202603" not in names(session, "activity_events")
        assert "ledger_entries_p202608" not in names(session, "ledger_entries")
        assert {"ledger_entries_p202703", "ledger_transactions_p202703",
                "activity_events_p202706"} <= (names(session, "ledger_entries")
                                               | names(session, "ledger_transactions")
                                               | names(session, "activity_events"))
        # Only event_keys, the small plain table, loses rows by DELETE.
        deleted = {t.table: t.rows_deleted for t in report.partitions.tables if t.rows_deleted}
        assert report.figures()["partitions_dropped"] >= 3 and deleted == {"event_keys": 1}
    else:
        assert report.figures()["rows_deleted"] == 1 + 1 + 2 + 1 + 1  # + the event's key


def test_ledger_months_without_a_checkpoint_are_kept(session, uow, uow_factory):
    user_id = arrange(session, uow)
    with time_machine.travel(A_YEAR_LATER, tick=False), pytest.MonkeyPatch.context() as mp:
        mp.setattr("carbon.services.retention.write_checkpoints", lambda *a: [])
        maintain_partitions(uow_factory, utcnow_aware, KEEP)
    assert count(session, LedgerEntry) == 2  # no checkpoint: the month stays
    assert ledger.available_balance(session, user_id) == 300 and reconcile(uow) == []


def test_after_downtime_the_missing_months_are_created_and_their_rows_moved(
        session, uow, uow_factory, is_postgres):
    if not is_postgres:
        pytest.skip("partitions are PostgreSQL's")
    user_id = arrange(session, uow)
    maintain_partitions(uow_factory, clock(NOW), KEEP)  # months up to June 2026
    down_at = NOW + timedelta(days=150)  # August: no partition yet, the default takes it
    outbox.record(session, "during downtime", down_at, user_id=user_id)
    session.flush()
    assert in_default(session, "outbox_events") == 1
    report = maintain_partitions(uow_factory, clock(NOW + timedelta(days=200)), KEEP)
    assert in_default(session, "outbox_events") == 0
    assert {"outbox_events_p202608", "outbox_events_p202609",
            "outbox_events_p202612"} <= names(session, "outbox_events")
    moved = {t.table: t.rows_moved for t in report.partitions.tables}
    assert moved["outbox_events"] == 1


def test_a_table_another_run_is_maintaining_is_skipped(session, uow_factory, is_postgres):
    if not is_postgres:
        pytest.skip("the advisory lock is PostgreSQL's")
    from db.partition_ops import LOCK_NAMESPACE, _lock_key

    with session.get_bind().engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:ns, :k)"),
                      {"ns": LOCK_NAMESPACE, "k": _lock_key("outbox_events")})
        try:
            report = maintain_partitions(uow_factory, clock(NOW), KEEP)
        finally:
            other.execute(text("SELECT pg_advisory_unlock_all()"))
    skipped = {t.table: t.skipped for t in report.partitions.tables}
    assert skipped["outbox_events"] == "another run holds it"
    assert skipped["activity_events"] is None


def test_the_scheduler_runs_it_daily_and_at_start_with_the_configured_retention(monkeypatch):
    monkeypatch.setenv("CANOPY_RETAIN_EVENTS_DAYS", "30")
    monkeypatch.setenv("CANOPY_PARTITIONS_HOUR_UTC", "4")
    job = build_scheduler(Config(), lambda: None, clock(NOW)).get_job("maintain_partitions")
    assert job.func is maintain_partitions and job.next_run_time == NOW
    assert str(job.trigger.fields[5]) == "4"  # the hour
    assert job.args[2]["RETAIN_EVENTS_DAYS"] == 30
    assert set(job.args[2]) == {s.retention for s in REGISTRY}


@pytest.mark.parametrize("name, value", [("CANOPY_RETAIN_EVENTS_DAYS", "7"),
                                         ("CANOPY_RETAIN_LEDGER_MONTHS", "0"),
                                         ("CANOPY_FEED_RETENTION_DAYS", "0")])
def test_a_retention_too_short_is_refused(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Config().check()



def test_two_schedulers_running_it_at_once_create_each_partition_once(engine, database_url):
    if engine.dialect.name != "postgresql":
        pytest.skip("the advisory locks and partitions are PostgreSQL's")
    with database_at(engine, database_url, "head") as db:
        with db.begin() as conn:  # March 2026: in the default partitions of a new schema
            conn.execute(text("INSERT INTO outbox_events (type, occurred_at, payload) "
                              "SELECT 'test', :at, '{}' FROM generate_series(1, 500)"),
                         {"at": NOW})
        sessions = make_session_factory(db)
        start = threading.Barrier(2)
        reports = []

        def run() -> None:
            start.wait()
            reports.append(partition_ops.maintain(lambda: UnitOfWork(sessions), NOW.date(),
                                                  KEEP))

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        created = [n for r in reports for t in r.tables for n in t.created]
        failed = [t.skipped for r in reports for t in r.tables if t.skipped]
        with db.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM outbox_events_p202603")) == 500
            assert conn.scalar(text("SELECT count(*) FROM outbox_events_default")) == 0
        # Whatever the interleaving, nothing is left for a third run to do.
        third = partition_ops.maintain(lambda: UnitOfWork(sessions), NOW.date(), KEEP)
    assert len(reports) == 2 and len(created) == len(set(created)) > 0
    assert all(f == "another run holds it" for f in failed)
    assert sum(t.rows_moved for r in reports for t in r.tables) == 500
    assert third.figures()["partitions_created"] == 0 and third.figures()["tables_skipped"] == 0


def inserted(session) -> dict[str, int]:
    """Rows this transaction inserted, per partition of the registered tables."""
    rows = session.execute(text(
        "SELECT relname, n_tup_ins FROM pg_stat_xact_user_tables WHERE n_tup_ins > 0"))
    parents = tuple(s.table for s in REGISTRY if s.partitioned)
    return {name: n for name, n in rows if name.startswith(parents) and "_p" in name
            or name.endswith("_default")}


def test_a_nights_inserts_touch_only_the_current_months_partitions(
        session, uow, uow_factory, is_postgres, not_on_citus):
    if not is_postgres:
        pytest.skip("partitions are PostgreSQL's")
    not_on_citus("the rows land in the shards' partitions on the workers, and the "
                 "coordinator's pg_stat_xact_user_tables counts none of them")
    from carbon.services.settlement import settle_day

    maintain_partitions(uow_factory, clock(NOW), KEEP)
    before = inserted(session)
    users = [add_user(session) for _ in range(3)]
    events = [{"id": f"night-{u.id}", "user_id": u.external_id, "type": "offline_payment",
               "quantity": 1, "occurred_at": (NOW - timedelta(days=1)).isoformat()}
              for u in users]
    assert ingest_events(uow, "test", events, "Asia/Shanghai", NOW).accepted == 3
    settle_day(uow, date(2026, 3, 9), NOW)
    after = inserted(session)
    touched = {name for name, n in after.items() if n > before.get(name, 0)}
    assert touched == {"activity_events_p202603", "ledger_transactions_p202603",
                       "ledger_entries_p202603", "balls_p202603"}


def test_the_run_logs_each_table_it_changed_and_its_figures(session, uow, uow_factory,
                                                            json_logs):
    arrange(session, uow)
    with time_machine.travel(A_YEAR_LATER, tick=False):
        maintain_partitions(uow_factory, utcnow_aware, KEEP)
    lines = json_logs()
    (finished,) = [line for line in lines if line["event"] == "job finished"]
    assert finished["job"] == "maintain_partitions" and finished["checkpointed"] == 12
    assert {"partitions_created", "partitions_detached", "partitions_dropped", "rows_moved",
            "rows_deleted", "duration_ms"} <= set(finished)
    tables = {line["table"] for line in lines if line["event"] == "partitions maintained"}
    assert {"activity_events", "ledger_entries", "outbox_events"} <= tables
    months = [line["month"] for line in lines if line["event"] == "ledger month checkpointed"]
    assert months[0] == "2026-03-01" and len(months) == 12


def test_a_partition_waits_for_a_writer_of_the_table_its_keys_refer_to(engine, database_url,
                                                                       not_on_citus):
    """Settlement's order: ledger_accounts, then ledger_entries. Maintenance creating a
    ledger_entries partition meanwhile waits for the writer, and both finish; when the DDL
    locked ledger_entries first, the writer's next step deadlocked with it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's partition DDL and locks")
    not_on_citus("ledger_entries keeps no foreign key to ledger_accounts there (0026 drops "
                 "it), so its partition DDL waits for no writer of ledger_accounts")
    with database_at(engine, database_url, "head") as db:
        sessions = make_session_factory(db)
        reports: list[partition_ops.Report] = []
        keep = {"RETAIN_LEDGER_MONTHS": 1000}
        with db.connect() as writer:
            tx = writer.begin()
            writer.execute(text("LOCK TABLE ledger_accounts IN ROW EXCLUSIVE MODE"))
            run = threading.Thread(target=lambda: reports.append(partition_ops.maintain(
                lambda: UnitOfWork(sessions), date(2031, 1, 15), keep,
                registry=(spec("ledger_entries"),))))
            run.start()
            waiting = 0
            for _ in range(200):  # until the maintenance waits for ledger_accounts
                waiting = writer.scalar(text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted "
                    "AND relation = to_regclass('ledger_accounts')"))
                if waiting:
                    break
                threading.Event().wait(0.02)
            # What inserting the batch's entries takes; it would wait on the new partition's DDL.
            writer.execute(text("LOCK TABLE ledger_entries IN ROW EXCLUSIVE MODE"))
            tx.commit()
            run.join(timeout=60)
    assert waiting == 1
    (table,) = reports[0].tables
    assert table.skipped is None
    assert table.created == [f"ledger_entries_p2031{m:02}" for m in (1, 2, 3, 4)]
