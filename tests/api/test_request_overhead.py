"""What every request pays before its route runs: the token verified once, the rate limiter's
counters without a thread per hit, the JSON body parsed once (api/core/auth.py, api/core/limits.py,
api/core/limit_storage.py, api/core/body.py)."""

from __future__ import annotations

import time

import jwt
import pytest
import time_machine
from limits import parse
from limits.storage import memory as limits_memory
from limits.strategies import SlidingWindowCounterRateLimiter

import config as canopy_config
from api.core import limit_storage
from api.core.auth import make_token

SECRET = "test-secret-of-at-least-32-bytes!"


@pytest.fixture
def limited_app(engine, database_url, session_factory):
    """An app with rate limits on, counting in this process."""
    from api import create_app

    config = canopy_config.TestConfig(database_url)
    config.RATE_LIMITS, config.WEB_WORKERS, config.REDIS_URL = True, 1, ""
    config.RATE_LIMIT_USER = "3/minute"
    app = create_app(config)
    app.extensions["canopy_engine"].dispose()
    app.extensions["canopy_engine"] = engine
    app.extensions["canopy_sessions"] = session_factory
    app.config["TESTING"] = True
    return app


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Every jwt.decode call made from now on."""
    calls: list[str] = []
    real = jwt.decode

    def counting(token, *args, **kwargs):
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return calls


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(SECRET, user)}"}


def test_a_token_is_verified_once_per_request_with_the_limiter_on(limited_app, decodes):
    client = limited_app.test_client()
    headers = bearer("alice")
    assert client.get("/v1/me", headers=headers).status_code == 200
    assert len(decodes) == 1
    assert client.get("/v1/me", headers=headers).status_code == 200
    assert len(decodes) == 2


def test_the_limiter_still_counts_by_user_after_sharing_the_decoded_token(limited_app):
    with time_machine.travel(time.time() - time.time() % 60 + 30, tick=False):
        client = limited_app.test_client()
        alice = bearer("alice")
        assert [client.get("/v1/me", headers=alice).status_code for _ in range(4)] == \
            [200, 200, 200, 429]
        assert client.get("/v1/me", headers=bearer("bob")).status_code == 200


def test_a_refused_token_is_refused_the_same_way_by_the_route(limited_app, decodes):
    client = limited_app.test_client()
    expired = {"Authorization": "Bearer " + jwt.encode(
        {"sub": "bob", "exp": int(time.time()) - 10}, SECRET, algorithm="HS256")}
    resp = client.get("/v1/me", headers=expired)
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_expired"
    assert len(decodes) == 1


class TimerStarts:
    def __init__(self) -> None:
        self.started = 0

    def __call__(self, *args, **kwargs):
        outer = self

        class Timer:
            def start(self) -> None:
                outer.started += 1

            def is_alive(self) -> bool:
                return False

        return Timer()


def test_counting_in_memory_starts_no_thread_per_request(limited_app, monkeypatch):
    timers = TimerStarts()
    monkeypatch.setattr(limits_memory.threading, "Timer", timers)
    client = limited_app.test_client()
    for user in ("alice", "bob", "carol"):
        assert client.get("/v1/me", headers=bearer(user)).status_code == 200
    assert client.get("/v1/public/stats").status_code == 200
    assert timers.started == 0


def test_the_in_memory_counters_of_quiet_clients_are_swept():
    item = parse("2/second")
    with time_machine.travel(1_000_000, tick=False) as traveller:
        storage = limit_storage.SweptMemoryStorage()
        limiter = SlidingWindowCounterRateLimiter(storage)
        assert limiter.hit(item, "quiet") and limiter.hit(item, "quiet")
        assert not limiter.hit(item, "quiet")
        assert any("quiet" in key for key in storage.storage)
        traveller.shift(limit_storage.SWEEP_EVERY_S + 5)
        assert limiter.hit(item, "busy")
        assert not any("quiet" in key for key in storage.storage)
        assert any("busy" in key for key in storage.storage)


@pytest.fixture
def webargs_parses(monkeypatch) -> list[bytes]:
    """Every body webargs parses itself from now on."""
    from webargs import core, flaskparser

    calls: list[bytes] = []
    real = core.parse_json

    def counting(data, *args, **kwargs):
        calls.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(flaskparser.core, "parse_json", counting)
    return calls


def test_a_json_body_is_parsed_once_for_the_bounds_and_the_route(client, token, webargs_parses):
    client.get("/v1/me", headers=token("bob"))
    resp = client.post("/v1/me/friends", json={"user_id": "bob"}, headers=token("alice"))
    assert resp.status_code == 200, resp.get_json()
    assert webargs_parses == []


def test_the_route_still_validates_the_body_it_is_handed(client, token):
    resp = client.post("/v1/me/friends", json={"user_id": 5}, headers=token("alice"))
    assert resp.status_code == 422
    assert "user_id" in resp.get_data(as_text=True)


def test_a_body_webargs_would_not_read_as_utf8_is_still_refused(client, token):
    body = '{"user_id": "bob"}'.encode("utf-16")
    resp = client.post("/v1/me/friends", data=body, content_type="application/json",
                       headers=token("alice"))
    assert resp.status_code == 400
