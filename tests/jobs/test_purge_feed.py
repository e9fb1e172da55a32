"""The feed's purge job: facts older than the retention are deleted, the rest kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from carbon.outbox_models import OutboxEvent
from carbon.services import outbox
from config import Config, ConfigError
from jobs.scheduler import build_scheduler
from jobs.tasks import purge_feed
from tests.conftest import NOW
from tests.jobs.conftest import add_user, clock

KEEP = timedelta(days=90)


def test_facts_older_than_the_retention_are_purged_and_the_edge_kept(session, uow_factory):
    user = add_user(session)
    for name, at in (("old", NOW - KEEP - timedelta(seconds=1)), ("edge", NOW - KEEP),
                     ("young", NOW - timedelta(days=1))):
        outbox.record(session, name, at, user_id=user.id)
    assert purge_feed(uow_factory, clock(NOW), KEEP) == 1
    assert sorted(session.scalars(select(OutboxEvent.type))) == ["edge", "young"]
    assert purge_feed(uow_factory, clock(NOW), KEEP) == 0


def test_a_backlog_is_purged_in_several_transactions(session, uow_factory):
    user = add_user(session)
    for i in range(5):
        outbox.record(session, "old", NOW - KEEP - timedelta(days=1, seconds=i), user_id=user.id)
    assert purge_feed(uow_factory, clock(NOW), KEEP, limit=2) == 5
    assert session.scalars(select(OutboxEvent.id)).all() == []


def test_the_scheduler_purges_with_the_configured_retention(monkeypatch):
    monkeypatch.setenv("CANOPY_PURGE_EVERY_MINUTES", "7")
    monkeypatch.setenv("CANOPY_FEED_RETENTION_DAYS", "30")
    job = build_scheduler(Config(), lambda: None, clock(NOW)).get_job("purge_feed")
    assert job.func is purge_feed
    assert job.trigger.interval == timedelta(minutes=7)
    assert job.args[2] == timedelta(days=30)


def test_a_retention_below_one_day_is_refused(monkeypatch):
    monkeypatch.setenv("CANOPY_FEED_RETENTION_DAYS", "0")
    with pytest.raises(ConfigError, match="CANOPY_FEED_RETENTION_DAYS"):
        Config().check()
