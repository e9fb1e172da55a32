"""Settlement runs zone by zone and batch by batch: local days, reruns, crashes, races."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from carbon import settlement_sql
from carbon.ball_ids import day_base
from carbon.errors import InvalidInput
from carbon.models import (
    ActivityEvent,
    Ball,
    LedgerTransaction,
    SettlementBatch,
    SettlementRun,
    User,
)
from carbon.services import settlement
from carbon.services.catalog import seed_default_methodology
from carbon.services.lookups import user_totals
from carbon.services.reconcile import reconcile
from carbon.services.settlement import settle_day
from db import UnitOfWork
from tests.concurrency import at_once
from tests.conftest import NOW
from tests.factories import ActivityEventFactory, UserFactory
from tests.factories.carbon import seed_methodology

DAY = date(2026, 3, 9)
NOON = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # noon in Shanghai on DAY


def counts(session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count()).select_from(Ball)),
            session.scalar(select(func.count()).select_from(LedgerTransaction)),
            user_totals(session)[1])


def pay(user, n=2, at=NOON):
    for i in range(n):
        ActivityEventFactory(user=user, occurred_at=at + timedelta(minutes=i))


def test_each_zone_is_settled_on_its_own_local_day(uow, session):
    seed_methodology(uow)
    winter_day = date(2026, 3, 5)  # Los Angeles is on UTC-8 until March 8, 2026
    shanghai = UserFactory(timezone="Asia/Shanghai")
    la = UserFactory(timezone="America/Los_Angeles")
    pay(shanghai, at=datetime(2026, 3, 5, 4, 0, tzinfo=UTC))  # noon in Shanghai
    pay(la, at=datetime(2026, 3, 5, 20, 0, tzinfo=UTC))  # noon in Los Angeles
    after_shanghai_midnight = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)

    first = settle_day(uow, winter_day, after_shanghai_midnight)
    assert first.settled == ["Asia/Shanghai"] and first.skipped == ["America/Los_Angeles"]
    assert session.scalar(select(func.count()).where(Ball.user_id == la.id)) == 0

    before_la_midnight = datetime(2026, 3, 6, 7, 59, tzinfo=UTC)
    assert settle_day(uow, winter_day, before_la_midnight).skipped == ["America/Los_Angeles"]
    after_la_midnight = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # 00:00 in LA (UTC-8)
    second = settle_day(uow, winter_day, after_la_midnight)
    statuses = {z.timezone: z.status for z in second.zones}
    assert statuses == {"Asia/Shanghai": "already_settled", "America/Los_Angeles": "settled"}
    ball = session.scalars(select(Ball).where(Ball.user_id == la.id)).one()
    assert ball.ripe_at == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 07:00 in LA, next day
    assert ball.expires_at == ball.ripe_at + timedelta(hours=72)
    sh_ball = session.scalars(select(Ball).where(Ball.user_id == shanghai.id)).one()
    assert sh_ball.ripe_at == datetime(2026, 3, 5, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai


def test_a_zone_whose_day_ends_at_now_exactly_is_settled(uow, session):
    seed_methodology(uow)
    pay(UserFactory())
    midnight = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert settle_day(uow, DAY, midnight - timedelta(microseconds=1)).skipped == ["Asia/Shanghai"]
    assert settle_day(uow, DAY, midnight).settled == ["Asia/Shanghai"]


def test_an_unknown_zone_is_refused(uow):
    with pytest.raises(InvalidInput):
        settle_day(uow, DAY, NOW, timezones=["Mars/Olympus"])


def test_settling_again_creates_nothing_twice(uow, session):
    seed_methodology(uow)
    for _ in range(3):
        pay(UserFactory())
    report = settle_day(uow, DAY, NOW, batch_users=2)
    assert (report.balls, report.energy_g, report.zones[0].batches) == (3, 30, 2)
    before = counts(session)
    again = settle_day(uow, DAY, NOW, batch_users=2)
    assert again.zones[0].status == "already_settled" and again.balls == 0
    assert counts(session) == before == (3, 2, 30)
    assert session.scalars(select(SettlementRun.completed_at)).one() == NOW


def test_a_crashed_run_resumes_after_its_last_committed_batch(uow, session, monkeypatch):
    seed_methodology(uow)
    users = [UserFactory() for _ in range(5)]
    for u in users:
        pay(u)
    real = settlement._settle_batch
    calls = []

    def crash_after_first_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the process died")
        return real(*args, **kwargs)

    monkeypatch.setattr(settlement, "_settle_batch", crash_after_first_batch)
    with pytest.raises(RuntimeError):
        settle_day(uow, DAY, NOW, batch_users=2)
    assert counts(session) == (2, 1, 20)
    assert session.scalars(select(SettlementRun.completed_at)).one() is None
    monkeypatch.setattr(settlement, "_settle_batch", real)

    report = settle_day(uow, DAY, NOW, batch_users=2)
    assert report.zones[0].batches == 2 and report.balls == 3
    assert counts(session) == (5, 3, 50)
    firsts = session.scalars(select(SettlementBatch.first_user_id).order_by(SettlementBatch.id))
    assert list(firsts) == [users[0].id, users[2].id, users[4].id]
    assert reconcile(uow) == []


def test_users_of_another_zone_inside_a_batch_id_range_are_left_alone(uow, session):
    seed_methodology(uow)
    a, la, b = UserFactory(), UserFactory(timezone="America/Los_Angeles"), UserFactory()
    for u in (a, la, b):
        ActivityEventFactory(user=u, occurred_at=NOON, local_date=DAY)
    settle_day(uow, DAY, NOW, timezones=["Asia/Shanghai"])
    owners = set(session.scalars(select(Ball.user_id)))
    assert owners == {a.id, b.id}


def test_the_batch_query_range_scans_the_local_date_user_index(session, is_postgres):
    if not is_postgres:
        pytest.skip("a PostgreSQL plan")
    day = settlement._Day(DAY, "Asia/Shanghai", NOW)
    params = {**day.params(), "first": 1, "last": 20_000, "bid": 1, "base": day_base(DAY)}
    settlement_sql.tune_batch_transaction(session)
    with settlement_sql.ball_insert_plan(session):
        plan = "\n".join(r[0] for r in session.execute(
            settlement_sql.explain(settlement_sql.INSERT_BALLS), params))
    assert "Index Cond: ((local_date = '2026-03-09'::date) AND (user_id >= " in plan
    # The key (local_date, user_id, id) of the one partition that holds the day (pruned); on
    # Citus the plan shown is one shard's, whose tables and indexes end in _<shard id>.
    scans = re.findall(r"Index Scan using (\S+) on (activity_events\S*) e ", plan)
    index, table = (re.sub(r"_\d+$", "", name) for name in scans[0])
    assert len(scans) == 1 and index == f"{table}_pkey"
    assert "Seq Scan" not in plan


@pytest.mark.parametrize("workers", [1, 3])
def test_two_schedulers_settling_at_once_create_each_ball_once(committed_uow, engine, workers):
    if engine.dialect.name != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    seed_default_methodology(committed_uow, NOW)
    _insert_users_with_payments(committed_uow, 40)
    # A UnitOfWork holds one session: one per thread. Any error fails the test.
    at_once([lambda: settle_day(UnitOfWork(sessionmaker(bind=engine)), DAY, NOW,
                                batch_users=3, workers=workers)] * 3)
    with committed_uow:
        s = committed_uow.session
        assert s.scalar(select(func.count()).select_from(Ball)) == 40
        assert user_totals(s)[1] == 40 * 10
        assert s.scalar(select(func.count()).select_from(SettlementBatch)) == 14
    assert reconcile(committed_uow) == []


def _insert_users_with_payments(uow, n: int) -> None:
    with uow:
        s = uow.session
        for i in range(n):
            user = User(external_id=f"racer-{i}", timezone="Asia/Shanghai", co2e_total_g=0,
                        created_at=NOW)
            s.add(user)
            s.flush()
            for j in range(2):
                s.add(ActivityEvent(source="t", source_event_id=f"{i}-{j}", user_id=user.id,
                                    activity_type="offline_payment", quantity=1,
                                    occurred_at=NOON, local_date=DAY, attributes={},
                                    payload_hash="h", dedupe_key=None, received_at=NOW))
        uow.commit()


def test_a_worker_that_fails_stops_nothing_else_and_the_run_resumes(committed_uow, engine,
                                                                     monkeypatch):
    if engine.dialect.name != "postgresql":
        pytest.skip("parallel workers need PostgreSQL")
    seed_default_methodology(committed_uow, NOW)
    _insert_users_with_payments(committed_uow, 12)
    with committed_uow:
        third_first = sorted(committed_uow.session.scalars(select(User.id)))[6]
    real = settlement._issue_batch

    def fail_one_batch(s, day, batch_id, first, last):
        if first == third_first:
            raise RuntimeError("the worker's connection died")
        return real(s, day, batch_id, first, last)

    monkeypatch.setattr(settlement, "_issue_batch", fail_one_batch)
    fresh = UnitOfWork(sessionmaker(bind=engine))
    with pytest.raises(RuntimeError):
        settle_day(fresh, DAY, NOW, batch_users=3, workers=2)
    with committed_uow:
        s = committed_uow.session
        pending = s.scalars(select(SettlementBatch.first_user_id)
                            .where(SettlementBatch.finished_at.is_(None))).all()
        finished = s.scalar(select(func.count()).select_from(SettlementBatch)
                            .where(SettlementBatch.finished_at.is_not(None)))
        # The failing batch stays pending; each finished batch committed its 3 balls.
        assert third_first in pending and finished + len(pending) == 4
        assert s.scalar(select(func.count()).select_from(Ball)) == 3 * finished
        assert s.scalar(select(SettlementRun.completed_at)) is None
    monkeypatch.setattr(settlement, "_issue_batch", real)

    report = settle_day(fresh, DAY, NOW, batch_users=3, workers=2)
    assert (report.zones[0].batches, report.balls) == (len(pending), 3 * len(pending))
    with committed_uow:
        s = committed_uow.session
        assert s.scalar(select(func.count()).select_from(Ball)) == 12
        assert s.scalar(select(SettlementRun.completed_at)) == NOW
    assert reconcile(committed_uow) == []


def _compressing_server(session, is_postgres) -> None:
    if not is_postgres or settlement_sql.is_citus(session):
        pytest.skip("PostgreSQL's wal_compression, set by a batch on plain PostgreSQL only")
    if session.scalar(text("SHOW wal_compression")) != "off":
        pytest.skip("this server compresses its WAL already: a batch leaves it alone")
    if session.scalar(text("SHOW is_superuser")) != "on":
        pytest.skip("the test role may not set wal_compression")


def test_a_batch_compresses_its_full_page_images_for_its_own_transaction(session, is_postgres):
    _compressing_server(session, is_postgres)
    known = session.scalar(text(
        "SELECT enumvals FROM pg_settings WHERE name = 'wal_compression'"))
    expected = next(m for m in settlement_sql.WAL_COMPRESSION if m in known)
    settlement_sql.tune_batch_transaction(session)
    assert session.scalar(text("SHOW wal_compression")) == expected
    session.rollback()  # SET LOCAL: the next transaction has the server's setting again
    assert session.scalar(text("SHOW wal_compression")) == "off"


def test_a_role_that_may_not_set_wal_compression_settles_without_it(session, is_postgres):
    _compressing_server(session, is_postgres)
    session.execute(text("SET LOCAL ROLE pg_read_all_settings"))  # no SET on the parameter
    settlement_sql.tune_batch_transaction(session)  # no error: the transaction goes on
    assert session.scalar(text("SHOW wal_compression")) == "off"
    assert session.scalar(text("SHOW work_mem")) == "64MB"
