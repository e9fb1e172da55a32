"""The jobs process delivers webhooks every CANOPY_WEBHOOK_EVERY_SECONDS with the configured
batch, timeouts and lease; a round that fails is logged and the next one goes on."""

from __future__ import annotations

from datetime import timedelta

from carbon.services import outbox, webhooks
from config import Config
from db import metrics
from jobs.scheduler import build_scheduler
from jobs.webhooks import deliver_webhooks, delivery_settings
from tests.conftest import NOW
from tests.factories.forest import PartnerFactory
from tests.jobs.conftest import clock
from tests.metrics_scrape import delta, samples
from tests.webhook_receiver import Receiver


def test_the_deliverer_runs_every_few_seconds_with_the_configured_settings(monkeypatch):
    for name, value in (("EVERY_SECONDS", "7"), ("BATCH", "20"), ("PER_ENDPOINT", "4"),
                        ("CONNECT_TIMEOUT_S", "2"), ("READ_TIMEOUT_S", "5"),
                        ("LEASE_SECONDS", "120"), ("SENDERS", "3")):
        monkeypatch.setenv(f"CANOPY_WEBHOOK_{name}", value)
    job = build_scheduler(Config(), lambda: None, clock(NOW)).get_job("deliver_webhooks")
    assert job.func is deliver_webhooks and job.trigger.interval == timedelta(seconds=7)
    settings = job.args[2]
    assert (settings.batch, settings.per_endpoint, settings.connect_timeout_s,
            settings.read_timeout_s, settings.lease, settings.senders) == (
        20, 4, 2, 5, timedelta(seconds=120), 3)


def test_a_lease_shorter_than_an_endpoints_sends_is_refused(monkeypatch):
    monkeypatch.setenv("CANOPY_WEBHOOK_LEASE_SECONDS", "60")  # 10 x (3 + 10) s is longer
    assert any("CANOPY_WEBHOOK_LEASE_SECONDS must exceed 130" in p for p in Config().problems())
    assert delivery_settings(Config()).lease == timedelta(seconds=60)


def test_a_round_delivers_counts_and_logs_its_outcomes(session, uow, json_logs):
    before = samples(metrics.exposition().decode())
    receiver = Receiver()
    try:
        partner = PartnerFactory()
        webhooks.add_endpoint(uow, partner.name, receiver.url(), ["planting.ordered"], NOW)
        outbox.record(session, "planting_ordered", NOW, partner_id=partner.id, order_id=3,
                      project_id=1, quantity=1, energy_g=100)
        settings = delivery_settings(Config())
        assert deliver_webhooks(lambda: uow, clock(NOW), settings) == {"delivered": 1}
        assert deliver_webhooks(lambda: uow, clock(NOW), settings) == {}
    finally:
        receiver.stop()
    lines = [line for line in json_logs() if line.get("event", "").startswith("webhook")]
    assert [(line["event"], line.get("outcome"), line.get("delivered")) for line in lines] == [
        ("webhook sent", "delivered", None), ("webhook round", None, 1)]
    after = samples(metrics.exposition().decode())
    assert delta(before, after, "canopy_webhook_deliveries_total", outcome="delivered") == 1
    assert delta(before, after, "canopy_webhook_deliveries_total", outcome="retry") == 0
    assert lines[0]["status_code"] == 204 and lines[0]["attempt"] == 1


def test_a_failed_round_is_logged_and_the_next_one_goes_on(json_logs):
    def broken():
        raise RuntimeError("database gone")

    assert deliver_webhooks(broken, clock(NOW), delivery_settings(Config())) == {}
    assert any(line["event"] == "webhook round failed; the next round retries"
               for line in json_logs())


def test_finished_deliveries_are_purged_after_the_retention_but_pending_ones_kept(session, uow):
    from sqlalchemy import select

    from carbon.webhook_models import WebhookDelivery
    from jobs.webhooks import purge_webhook_deliveries

    partner = PartnerFactory()
    webhooks.add_endpoint(uow, partner.name, "http://127.0.0.1:9/", ["planting.ordered"], NOW)
    for order_id in range(4):
        outbox.record(session, "planting_ordered", NOW, partner_id=partner.id,
                      order_id=order_id, project_id=1, quantity=1, energy_g=100)
    for d, status in zip(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)),
                         ("delivered", "dead", "cancelled", "pending"), strict=True):
        d.status = status
    session.flush()
    keep = timedelta(days=90)
    assert purge_webhook_deliveries(lambda: uow, clock(NOW + keep), keep, limit=2) == 0
    later = clock(NOW + keep + timedelta(seconds=1))
    assert purge_webhook_deliveries(lambda: uow, later, keep, limit=2) == 3
    session.expire_all()
    assert list(session.scalars(select(WebhookDelivery.status))) == ["pending"]
