"""GET /metrics after real requests: latency by route and status, partner events by outcome and
reason, the rush paths (collect, steal) by outcome; the public is refused."""

from __future__ import annotations

import pytest
import time_machine

from tests.conftest import NOW
from tests.factories.carbon import seed_methodology
from tests.factories.forest import ripe_ball
from tests.metrics_scrape import delta, samples

TOKEN = "a-scraper-token-of-some-length"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
LATENCY = "canopy_http_request_duration_seconds_count"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def scrape(app, client):
    app.config["CANOPY"].METRICS_TOKEN = TOKEN

    def _scrape() -> dict:
        resp = client.get("/metrics", headers=SCRAPER)
        assert resp.status_code == 200 and resp.mimetype == "text/plain"
        return samples(resp.get_data(as_text=True))

    return _scrape


def test_requests_are_counted_by_url_rule_method_and_status(client, token, scrape):
    before = scrape()
    alice = token("alice")
    for _ in range(3):
        assert client.get("/v1/me", headers=alice).status_code == 200
    assert client.get("/v1/me").status_code == 401
    for n in range(2):
        assert client.get(f"/no/such/path/{n}").status_code == 404
    assert client.get("/v1/friends/bob/balls", headers=alice).status_code == 404
    after = scrape()  # the scrapes themselves are not counted
    assert delta(before, after, LATENCY, route="/v1/me", method="GET", status="200") == 3
    assert delta(before, after, LATENCY, route="/v1/me", method="GET", status="401") == 1
    assert delta(before, after, LATENCY, route="unmatched", method="GET", status="404") == 2
    assert delta(before, after, LATENCY, route="/v1/friends/<string:user_id>/balls",
                 method="GET", status="404") == 1
    assert delta(before, after, LATENCY, route="/metrics", method="GET", status="200") == 0
    le_10s = "canopy_http_request_duration_seconds_bucket"
    assert delta(before, after, le_10s, route="/v1/me", method="GET", status="200",
                 le="10.0") == 3


def test_partner_events_are_counted_by_source_outcome_and_reason(signed, make_partner, uow,
                                                                  scrape):
    seed_methodology(uow)
    partner = make_partner(("events:write",), name="paypal")

    def ev(i, type="offline_payment"):
        return {"id": i, "user_id": "alice", "type": type, "quantity": 1,
                "occurred_at": NOW.replace(hour=1).isoformat()}

    before = scrape()
    first = signed(partner, "POST", "/v1/partner/events", {"events": [ev("e1"), ev("e2")]})
    again = signed(partner, "POST", "/v1/partner/events",
                   {"events": [ev("e1"), ev("e3", "teleport"), ev("e4", "teleport"), ev("e5")]})
    assert first.status_code == again.status_code == 200
    assert again.get_json()["duplicates"] == 1
    after = scrape()
    name = "canopy_events_total"
    assert delta(before, after, name, source="paypal", outcome="accepted", reason="") == 3
    assert delta(before, after, name, source="paypal", outcome="duplicate", reason="") == 1
    assert delta(before, after, name, source="paypal", outcome="rejected",
                 reason="unknown_type") == 2


@pytest.fixture
def friends(alice_and_bob, session):
    """alice and bob, friends, each with one ripe ball; their headers and ball ids."""
    heads = alice_and_bob
    from carbon.services.users import get_user

    balls = {n: ripe_ball(session, get_user(session, n).id, 100) for n in heads}
    return heads, balls


def test_collect_and_steal_are_counted_by_outcome(client, friends, scrape):
    heads, balls = friends
    before = scrape()
    steal = f"/v1/friends/bob/balls/{balls['bob']}/steal"
    assert client.post(steal, headers=heads["alice"]).status_code == 200
    assert client.post(steal, headers=heads["alice"]).status_code == 409
    assert client.post(steal).status_code == 401
    collect = f"/v1/me/balls/{balls['alice']}/collect"
    assert client.post(collect, headers=heads["alice"]).status_code == 200
    assert client.post(collect, headers=heads["alice"]).status_code == 409
    assert client.post(f"/v1/me/balls/{balls['bob']}/collect",
                       headers=heads["alice"]).status_code == 404
    assert client.post("/v1/me/balls/collect-all", headers=heads["bob"]).status_code == 200
    after = scrape()
    rush = "canopy_rush_requests_total"
    expected = {("steal", "success"): 1, ("steal", "already_stolen"): 1,
                ("steal", "http_401"): 1, ("collect", "success"): 1,
                ("collect", "ball_closed"): 1, ("collect", "ball_not_found"): 1,
                ("collect_all", "success"): 1}
    for (action, outcome), count in expected.items():
        assert delta(before, after, rush, action=action, outcome=outcome) == count, (action,
                                                                                     outcome)
    assert delta(before, after, LATENCY, route="/v1/me/balls/<int:ball_id>/collect",
                 method="POST", status="409") == 1


def test_metrics_do_not_exist_for_the_public_when_no_token_is_configured(app, client):
    app.config["CANOPY"].METRICS_TOKEN = None
    resp = client.get("/metrics", headers=SCRAPER)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert b"canopy_" not in resp.data


@pytest.mark.parametrize("header", [None, "Bearer", f"Bearer {TOKEN}x", f"Basic {TOKEN}",
                                    f"Bearer {TOKEN[:-1]}", "Bearer \u00e9t\u00e9"])
def test_metrics_refuse_a_missing_or_wrong_token_with_401(app, client, header):
    app.config["CANOPY"].METRICS_TOKEN = TOKEN
    resp = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert resp.get_json()["status"] == 401 and b"canopy_" not in resp.data


def test_metrics_only_answer_get(app, client):
    app.config["CANOPY"].METRICS_TOKEN = TOKEN
    resp = client.post("/metrics", headers=SCRAPER)
    assert resp.status_code == 405 and resp.mimetype == "application/problem+json"


def test_scrapes_are_never_rate_limited(engine, database_url, session_factory):
    from api import create_app
    from config import TestConfig

    config = TestConfig(database_url)
    config.RATE_LIMITS, config.WEB_WORKERS, config.REDIS_URL = True, 1, ""
    config.RATE_LIMIT_PUBLIC, config.METRICS_TOKEN = "1/minute", TOKEN
    app = create_app(config)
    app.extensions["canopy_engine"].dispose()
    app.extensions["canopy_engine"], app.extensions["canopy_sessions"] = engine, session_factory
    client = app.test_client()
    assert [client.get("/v1/public/stats").status_code for _ in range(2)] == [200, 429]
    assert [client.get("/metrics", headers=SCRAPER).status_code for _ in range(5)] == [200] * 5


@pytest.mark.parametrize(("token", "ok"), [("t" * 15, False), ("t" * 16, True), ("", True)])
def test_a_metrics_token_shorter_than_16_bytes_is_refused_at_start(monkeypatch, token, ok):
    from config import Config, ConfigError

    monkeypatch.setenv("CANOPY_METRICS_TOKEN", token)  # empty: unset, /metrics is a 404
    if ok:
        Config().check()
    else:
        with pytest.raises(ConfigError, match="CANOPY_METRICS_TOKEN"):
            Config().check()
