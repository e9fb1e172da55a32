"""The purge job: Idempotency-Keys past their age are forgotten, younger ones still replay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from carbon.models import IdempotencyKey
from config import Config
from jobs.scheduler import build_scheduler
from jobs.tasks import purge_idempotency_keys
from tests.conftest import NOW
from tests.jobs.conftest import add_user, clock

DAY = timedelta(hours=24)


def add_key(s, user, key: str, created_at) -> None:
    s.add(IdempotencyKey(user_id=user.id, key=key, request_hash="0" * 64, status_code=201,
                         response_body="{}", created_at=created_at))
    s.flush()


def test_keys_older_than_their_age_are_purged_and_the_younger_kept(session, uow_factory):
    user = add_user(session)
    add_key(session, user, "old", NOW - DAY - timedelta(seconds=1))
    add_key(session, user, "edge", NOW - DAY)
    add_key(session, user, "young", NOW - timedelta(minutes=1))
    assert purge_idempotency_keys(uow_factory, clock(NOW), DAY) == 1
    assert sorted(session.scalars(select(IdempotencyKey.key))) == ["edge", "young"]
    assert purge_idempotency_keys(uow_factory, clock(NOW), DAY) == 0


def test_the_scheduler_purges_on_the_configured_interval_and_age(monkeypatch):
    monkeypatch.setenv("CANOPY_PURGE_EVERY_MINUTES", "11")
    monkeypatch.setenv("CANOPY_IDEMPOTENCY_KEY_TTL_HOURS", "6")
    job = build_scheduler(Config(), lambda: None, clock(NOW)).get_job("purge_idempotency_keys")
    assert job.func is purge_idempotency_keys
    assert job.trigger.interval == timedelta(minutes=11)
    assert job.args[2] == timedelta(hours=6)
    assert (job.max_instances, job.coalesce) == (1, True)
