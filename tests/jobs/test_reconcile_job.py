"""The nightly reconcile job: OK or each problem in the log and in the metrics, at the
configured UTC hour."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from carbon.models import LedgerEntry, LedgerTransaction
from carbon.services import ledger
from config import Config, ConfigError
from db.metrics import RECONCILE_PROBLEMS
from jobs.scheduler import build_scheduler
from jobs.tasks import reconcile_ledger
from tests.conftest import NOW
from tests.factories.forest import give_energy
from tests.jobs.conftest import add_user, clock


def gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value(name)


def unbalanced_entry(s, grams: int) -> int:
    """A ledger transaction with one entry and no counterpart: money out of nowhere."""
    txn = LedgerTransaction(kind="test", cause_type="test", cause_id="broken", created_at=NOW)
    s.add(txn)
    s.flush()
    s.add(LedgerEntry(transaction_id=txn.id, created_at=NOW,
                      account_id=ledger.account(s, ledger.ISSUED),
                      amount_g=grams))
    s.flush()
    return txn.id


def test_a_consistent_ledger_reconciles_to_zero_problems_and_says_ok(
        session, uow_factory, caplog):
    give_energy(session, add_user(session).id, 300)
    RECONCILE_PROBLEMS.set(5)  # as if last night had found some
    with caplog.at_level(logging.INFO, logger="jobs.tasks"):
        assert reconcile_ledger(uow_factory, clock(NOW)) == []
    assert gauge("canopy_reconcile_problems") == 0
    assert gauge("canopy_reconcile_last_run_timestamp_seconds") == NOW.timestamp()
    assert gauge("canopy_reconcile_last_ok_timestamp_seconds") == NOW.timestamp()
    assert "ledger reconciled: OK" in caplog.text


def test_an_unbalanced_entry_is_counted_in_the_metric_and_logged_as_an_error(
        session, uow_factory, caplog):
    ok_at = datetime(2026, 3, 9, 3, tzinfo=UTC)
    reconcile_ledger(uow_factory, clock(ok_at))
    txn = unbalanced_entry(session, 7)
    with caplog.at_level(logging.INFO, logger="jobs.tasks"):
        problems = reconcile_ledger(uow_factory, clock(NOW))
    assert f"ledger transaction {txn} does not balance: its entries sum to 7 g" in problems
    assert gauge("canopy_reconcile_problems") == len(problems) >= 1
    assert gauge("canopy_reconcile_last_run_timestamp_seconds") == NOW.timestamp()
    assert gauge("canopy_reconcile_last_ok_timestamp_seconds") == ok_at.timestamp()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0] == f"ledger reconciled: {len(problems)} problem(s)"
    assert errors[1:] == [f"ledger problem: {p}" for p in problems]


def test_the_scheduler_reconciles_once_a_night_at_the_configured_utc_hour(monkeypatch):
    monkeypatch.setenv("CANOPY_RECONCILE_HOUR_UTC", "5")
    jobs = {j.id: j for j in build_scheduler(Config(), lambda: None, clock(NOW)).get_jobs()}
    job = jobs["reconcile_ledger"]
    assert (job.func, job.max_instances, job.coalesce) == (reconcile_ledger, 1, True)
    after = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
    assert job.trigger.get_next_fire_time(None, NOW) == after
    assert job.trigger.get_next_fire_time(after, after.replace(second=1)) == after.replace(
        day=11)


@pytest.mark.parametrize(("hour", "ok"), [("-1", False), ("0", True), ("23", True),
                                          ("24", False)])
def test_the_reconcile_hour_must_be_an_hour_of_the_day(monkeypatch, hour, ok):
    monkeypatch.setenv("CANOPY_RECONCILE_HOUR_UTC", hour)
    if ok:
        Config().check()
    else:
        with pytest.raises(ConfigError, match="CANOPY_RECONCILE_HOUR_UTC"):
            Config().check()
