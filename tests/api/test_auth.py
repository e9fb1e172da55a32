"""User JWTs and signed partner requests: every refusal is 401/403 problem+json."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.auth import signature
from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW

STEPS = "/v1/me/steps"
EVENTS = "/v1/partner/events"
BODY = {"date": str(datetime.now(UTC).date()), "steps": 10}


def bearer(claims, secret="test-secret-of-at-least-32-bytes!"):
    return {"Authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}


def in_an_hour():
    return datetime.now(UTC) + timedelta(hours=1)


def assert_401(resp, words):
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert words in resp.get_json()["detail"]


def test_a_valid_token_is_accepted(client, token, uow):
    seed_default_methodology(uow, NOW)
    assert client.post(STEPS, json=BODY, headers=token("alice")).status_code == 201


@pytest.mark.parametrize("headers, words", [
    ({}, "Bearer"),
    ({"Authorization": "Token abc"}, "Bearer"),
    ({"Authorization": "Bearer not-a-jwt"}, "not valid"),
])
def test_a_missing_or_malformed_token_is_401(client, headers, words):
    resp = client.post(STEPS, json=BODY, headers=headers)
    assert_401(resp, words)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_signed_with_another_secret_is_401(client):
    assert_401(client.post(STEPS, json=BODY,
                           headers=bearer({"sub": "a", "exp": in_an_hour()}, "another-secret-that-is-32-bytes-long")), "not valid")


def test_an_expired_token_is_401(client):
    claims = {"sub": "alice", "exp": datetime.now(UTC) - timedelta(seconds=1)}
    assert_401(client.post(STEPS, json=BODY, headers=bearer(claims)), "expired")


def test_a_token_without_sub_or_with_a_long_sub_is_401(client):
    assert_401(client.post(STEPS, json=BODY, headers=bearer({"exp": in_an_hour()})), "not valid")
    long_sub = {"sub": "u" * 65, "exp": in_an_hour()}
    assert_401(client.post(STEPS, json=BODY, headers=bearer(long_sub)), "sub")


def test_a_token_with_an_unknown_time_zone_is_401(client):
    claims = {"sub": "alice", "tz": "Mars/Olympus", "exp": in_an_hour()}
    assert_401(client.post(STEPS, json=BODY, headers=bearer(claims)), "Mars/Olympus")


@pytest.fixture
def writer(make_partner):
    return make_partner(("events:write",))


EVENT_BODY = {"events": [{"id": "e", "user_id": "u", "type": "walk", "quantity": 1,
                          "occurred_at": "2026-03-10T12:00:00+08:00"}]}


def test_a_wrong_signature_is_401(signed, writer):
    assert_401(signed(writer, "POST", EVENTS, EVENT_BODY, secret="0" * 64), "signature")


def test_a_body_changed_after_signing_is_401(client, writer):
    stamp = str(int(time.time()))
    sig = signature(writer.secret, stamp, "POST", EVENTS, b'{"events": []}')
    resp = client.post(EVENTS, data=b'{"events": [1]}', headers={
        "X-Partner-Key": writer.key_id, "X-Timestamp": stamp, "X-Signature": sig})
    assert_401(resp, "signature")


def test_an_unknown_key_is_401(signed, writer):
    from carbon.services.partners import PartnerRef

    ghost = PartnerRef(0, "ghost", "pk_ghost", writer.secret, frozenset())
    assert_401(signed(ghost, "POST", EVENTS, EVENT_BODY), "signature")


def test_a_timestamp_300_seconds_old_is_accepted_and_301_is_stale(signed, writer, uow):
    seed_default_methodology(uow, NOW)
    assert signed(writer, "POST", EVENTS, EVENT_BODY, ts=time.time() - 299).status_code == 200
    assert_401(signed(writer, "POST", EVENTS, EVENT_BODY, ts=time.time() - 302), "away")
    assert_401(signed(writer, "POST", EVENTS, EVENT_BODY, ts=time.time() + 302), "away")


@pytest.mark.parametrize("missing", ["X-Partner-Key", "X-Timestamp", "X-Signature"])
def test_a_missing_partner_header_is_401(client, writer, missing):
    stamp = str(int(time.time()))
    headers = {"X-Partner-Key": writer.key_id, "X-Timestamp": stamp,
               "X-Signature": signature(writer.secret, stamp, "POST", EVENTS, b"{}")}
    del headers[missing]
    assert_401(client.post(EVENTS, data=b"{}", headers=headers), "X-Partner-Key")


def test_a_timestamp_that_is_not_unix_seconds_is_401(client, writer):
    headers = {"X-Partner-Key": writer.key_id, "X-Timestamp": "yesterday", "X-Signature": "00"}
    assert_401(client.post(EVENTS, data=b"{}", headers=headers), "unix seconds")


def test_a_key_without_the_scope_is_403(signed, make_partner):
    planter = make_partner(("plantings",))
    resp = signed(planter, "POST", EVENTS, EVENT_BODY)
    assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
    assert "events:write" in resp.get_json()["detail"]
