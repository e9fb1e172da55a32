"""The stream's settings and its place in the scheduler: off without CANOPY_AMQP_URL (and the
feed works as before), every few seconds with it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carbon.services import outbox
from config import Config
from jobs.scheduler import build_scheduler
from jobs.stream import publish_outbox
from tests.conftest import NOW
from tests.jobs.conftest import add_user, clock


def test_without_an_amqp_url_nothing_is_published_and_the_feed_still_works(session, uow):
    config = Config()
    assert config.AMQP_URL is None
    assert build_scheduler(config, lambda: None, clock(NOW)).get_job("publish_outbox") is None
    user = add_user(session)
    outbox.record(session, "watered", NOW, user_id=user.id)
    assert [i["type"] for i in outbox.feed(uow, user.id, None, 10).items] == ["watered"]


def test_with_an_amqp_url_the_outbox_is_published_every_few_seconds(monkeypatch):
    monkeypatch.setenv("CANOPY_AMQP_URL", "amqp://canopy:hunter2@mq:5672/%2F")
    monkeypatch.setenv("CANOPY_AMQP_EXCHANGE", "canopy.test.wiring")
    monkeypatch.setenv("CANOPY_AMQP_PUBLISH_EVERY_SECONDS", "3")
    monkeypatch.setenv("CANOPY_AMQP_BATCH", "200")
    monkeypatch.setenv("CANOPY_AMQP_GAP_WINDOW_SECONDS", "120")
    config = Config()
    job = build_scheduler(config, lambda: None, clock(NOW)).get_job("publish_outbox")
    publisher, settings = job.args[2], job.args[3]
    assert job.func is publish_outbox and job.trigger.interval == timedelta(seconds=3)
    assert (job.max_instances, job.coalesce) == (1, True)
    assert (publisher.exchange, settings.batch, settings.gap_window) == (
        "canopy.test.wiring", 200, timedelta(seconds=120))
    assert config.problems() == [] and "hunter2" not in config.masked()["AMQP_URL"]


@pytest.mark.parametrize("name, value, words", [
    ("CANOPY_AMQP_URL", "http://mq:5672/", "amqp:// or amqps://"),
    ("CANOPY_AMQP_EXCHANGE", "x" * 256, "1 to 255 bytes"),
    ("CANOPY_AMQP_PUBLISH_EVERY_SECONDS", "0", "at least 1"),
    ("CANOPY_AMQP_BATCH", "10001", "at most 10000"),
    ("CANOPY_AMQP_BATCH", "0", "at least 1"),
    ("CANOPY_AMQP_GAP_WINDOW_SECONDS", "59", "at least 60"),
    ("CANOPY_AMQP_TIMEOUT_S", "0", "at least 1")])
def test_stream_settings_out_of_range_are_refused_by_name(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    (problem,) = Config().problems()
    assert name in problem and words in problem
