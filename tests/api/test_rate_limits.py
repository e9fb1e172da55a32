"""Rate limits (api/core/limits.py): per user, per partner key, per client address; 429 problem+json."""

from __future__ import annotations

import socket
import time

import jwt
import pytest
import time_machine

import config as canopy_config
from api.core.auth import make_token, signature

SECRET = "test-secret-of-at-least-32-bytes!"
REDIS_DB = 14  # a database of its own on the development Redis, emptied by these tests


@pytest.fixture(autouse=True)
def mid_minute():
    """The clock stands still half way through a minute: a count of "N/minute" never meets a
    window's edge while a test runs (a slow machine once crossed one mid-burst)."""
    now = time.time()
    with time_machine.travel(now - now % 60 + 30, tick=False):
        yield


@pytest.fixture
def limited(engine, database_url, session_factory):
    """limited(RATE_LIMIT_PUBLIC="5/minute", ...) -> a test client of an app with limits on."""
    from api import create_app

    def _make(**settings):
        config = canopy_config.TestConfig(database_url)
        config.RATE_LIMITS, config.WEB_WORKERS, config.REDIS_URL = True, 1, ""
        for name, value in settings.items():
            setattr(config, name, value)
        app = create_app(config)
        app.extensions["canopy_engine"].dispose()
        app.extensions["canopy_engine"] = engine
        app.extensions["canopy_sessions"] = session_factory
        app.config["TESTING"] = True
        return app.test_client()

    return _make


def bearer(user: str, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(secret, user)}"}


def statuses(client, count: int, path: str = "/v1/public/stats", **kwargs) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(count)]


def test_a_burst_of_200_from_one_address_meets_429_after_the_public_limit(limited):
    client = limited()  # the default public limit, 120/minute
    codes = statuses(client, 200)
    assert codes[:120] == [200] * 120
    assert codes[120:] == [429] * 80


def test_a_429_is_problem_json_with_its_code_and_a_retry_after_in_seconds(limited):
    client = limited(RATE_LIMIT_PUBLIC="2/minute")
    statuses(client, 2)
    resp = client.get("/v1/public/stats")
    assert resp.status_code == 429
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 429 and body["code"] == "rate_limited"
    assert "client address" in body["detail"] and "2/minute" in body["detail"]
    assert 1 <= int(resp.headers["Retry-After"]) <= 60


def test_in_memory_each_process_allows_its_share_of_the_limit(limited):
    client = limited(RATE_LIMIT_PUBLIC="10/minute", WEB_WORKERS=2)
    assert statuses(client, 6) == [200] * 5 + [429]


def test_one_user_limited_does_not_limit_another(limited):
    client = limited(RATE_LIMIT_USER="3/minute", RATE_LIMIT_PUBLIC="100/minute")
    alice, bob = bearer("alice"), bearer("bob")
    assert statuses(client, 4, "/v1/me", headers=alice) == [200, 200, 200, 429]
    assert client.get("/v1/me", headers=bob).status_code == 200
    assert client.get("/v1/public/stats").status_code == 200  # nor the address


def test_a_user_counts_under_the_user_limit_not_the_public_one(limited):
    client = limited(RATE_LIMIT_USER="5/minute", RATE_LIMIT_PUBLIC="2/minute")
    assert statuses(client, 6, "/v1/public/stats", headers=bearer("alice")) == [200] * 5 + [429]


def test_a_token_that_does_not_verify_counts_against_the_address(limited):
    client = limited(RATE_LIMIT_USER="100/minute", RATE_LIMIT_PUBLIC="2/minute")
    forged = bearer("alice", secret="not-the-secret-but-as-long-as-it!")
    assert statuses(client, 3, "/v1/me", headers=forged) == [401, 401, 429]
    assert client.get("/v1/me", headers=bearer("alice")).status_code == 200
    expired = {"Authorization": "Bearer " + jwt.encode(
        {"sub": "bob", "exp": int(time.time()) - 10}, SECRET, algorithm="HS256")}
    assert client.get("/v1/me", headers=expired).status_code == 429


def _signed_get(client, partner, path):
    stamp = str(int(time.time()))
    return client.get(path, headers={
        "X-Partner-Key": partner.key_id, "X-Timestamp": stamp,
        "X-Signature": signature(partner.secret, stamp, "GET", path, b"")})


def test_one_partner_key_limited_does_not_limit_another(limited, make_partner):
    client = limited(RATE_LIMIT_PARTNER="2/minute", RATE_LIMIT_PUBLIC="100/minute")
    first, second = make_partner(("admin",)), make_partner(("admin",))
    path = "/v1/admin/activity-types"
    assert [_signed_get(client, first, path).status_code for _ in range(3)] == [200, 200, 429]
    assert _signed_get(client, second, path).status_code == 200
    resp = _signed_get(client, first, path)
    assert resp.status_code == 429 and "partner key" in resp.get_json()["detail"]


def test_health_probes_are_never_limited(limited):
    client = limited(RATE_LIMIT_PUBLIC="1/minute")
    assert statuses(client, 2) == [200, 429]
    assert statuses(client, 5, "/healthz") == [200] * 5


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(limited):
    client = limited(RATE_LIMIT_PUBLIC="1/minute")
    assert client.get("/v1/public/stats", headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    assert client.get("/v1/public/stats", headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_counts_apart(limited):
    client = limited(RATE_LIMIT_PUBLIC="1/minute", TRUSTED_PROXIES="127.0.0.0/8, 10.9.0.0/16")
    for_one = {"X-Forwarded-For": "6.6.6.6, 10.0.0.1, 10.9.0.5"}  # spoofed, client, our proxy
    assert statuses(client, 2, headers=for_one) == [200, 429]
    assert client.get("/v1/public/stats", headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379 to share counters")
def test_with_redis_two_app_instances_share_one_counter(limited):
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    first = limited(RATE_LIMIT_PUBLIC="3/minute", REDIS_URL=url, WEB_WORKERS=2)
    second = limited(RATE_LIMIT_PUBLIC="3/minute", REDIS_URL=url, WEB_WORKERS=2)
    assert statuses(first, 2) == [200, 200]
    assert statuses(second, 2) == [200, 429]  # Redis counts once for all: no per-process split
    assert first.get("/v1/public/stats").status_code == 429


def test_redis_down_at_runtime_falls_back_to_counting_in_memory(limited):
    client = limited(RATE_LIMIT_PUBLIC="2/minute", REDIS_URL="redis://127.0.0.1:1/0")
    assert statuses(client, 3) == [200, 200, 429]
