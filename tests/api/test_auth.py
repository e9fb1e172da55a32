"""User JWTs and signed partner requests: every refusal is 401/403 problem+json."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine

from api.core.auth import signature
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


# --- JWT lifetime, issuer and audience (issue 9) ---------------------------------------------

ME = "/v1/me"
DAY = timedelta(days=1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def assert_refused(resp, code, words=""):
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == code and words in body["detail"], body


def test_a_token_without_exp_is_refused(client, frozen):
    assert_refused(client.get(ME, headers=bearer({"sub": "alice"})), "token_invalid", "exp")


def test_a_token_with_exp_1e30_is_refused(client, frozen):
    resp = client.get(ME, headers=bearer({"sub": "alice", "exp": 1e30}))
    assert_refused(resp, "token_invalid", "lives too long")


def test_a_token_may_expire_30_days_from_now_and_not_a_second_later(client, frozen):
    assert client.get(ME, headers=bearer({"sub": "alice", "exp": NOW + 30 * DAY})).status_code == 200
    late = bearer({"sub": "alice", "exp": NOW + 30 * DAY + timedelta(seconds=1)})
    assert_refused(client.get(ME, headers=late), "token_invalid", "30 days")


def test_a_token_may_live_30_days_after_its_iat_and_not_a_second_more(client, frozen):
    iat = NOW - 2 * DAY
    ok = bearer({"sub": "alice", "iat": iat, "exp": iat + 30 * DAY})
    assert client.get(ME, headers=ok).status_code == 200
    long = bearer({"sub": "alice", "iat": iat, "exp": iat + 30 * DAY + timedelta(seconds=1)})
    assert_refused(client.get(ME, headers=long), "token_invalid", "iat")


def test_the_longest_lifetime_is_configurable(app, client, frozen):
    app.config["CANOPY"].JWT_MAX_LIFETIME_DAYS = 1
    assert client.get(ME, headers=bearer({"sub": "alice", "exp": NOW + DAY})).status_code == 200
    two_days = bearer({"sub": "alice", "exp": NOW + 2 * DAY})
    assert_refused(client.get(ME, headers=two_days), "token_invalid", "1 days")


def test_refusals_carry_a_stable_code(client, frozen):
    assert_refused(client.get(ME), "token_missing", "Bearer")
    expired = bearer({"sub": "alice", "exp": NOW - timedelta(seconds=1)})
    assert_refused(client.get(ME, headers=expired), "token_expired", "expired")
    assert_refused(client.get(ME, headers={"Authorization": "Bearer x.y.z"}), "token_invalid")


@pytest.fixture
def issuer_and_audience(app):
    app.config["CANOPY"].JWT_ISSUER = "https://id.example"
    app.config["CANOPY"].JWT_AUDIENCE = "canopy"


@pytest.mark.parametrize("claims, words", [
    ({}, "iss"),
    ({"iss": "https://evil.example", "aud": "canopy"}, "issuer"),
    ({"iss": "https://id.example"}, "aud"),
    ({"iss": "https://id.example", "aud": "another-app"}, "Audience"),
])
def test_a_configured_issuer_and_audience_are_required(client, frozen, issuer_and_audience,
                                                       claims, words):
    resp = client.get(ME, headers=bearer({"sub": "alice", "exp": NOW + DAY, **claims}))
    assert_refused(resp, "token_invalid", words)


@pytest.mark.parametrize("aud", ["canopy", ["web", "canopy"]])
def test_the_configured_issuer_and_audience_are_accepted(client, frozen, issuer_and_audience,
                                                         aud):
    claims = {"sub": "alice", "exp": NOW + DAY, "iss": "https://id.example", "aud": aud}
    assert client.get(ME, headers=bearer(claims)).status_code == 200


def test_without_a_configured_audience_a_token_naming_one_is_accepted(client, frozen):
    claims = {"sub": "alice", "exp": NOW + DAY, "iss": "anyone", "aud": "anything"}
    assert client.get(ME, headers=bearer(claims)).status_code == 200


def test_flask_token_prints_a_token_the_api_accepts(app, client, frozen, issuer_and_audience):
    with app.app_context():
        printed = app.test_cli_runner().invoke(args=["token", "alice", "--tz", "Europe/Paris"])
    assert printed.exit_code == 0, printed.output
    resp = client.get(ME, headers={"Authorization": f"Bearer {printed.output.strip()}"})
    assert resp.status_code == 200 and resp.get_json()["timezone"] == "Europe/Paris"


@pytest.mark.parametrize("args, words", [
    (["token", "alice", "--hours", "721"], "--hours must be 1 to 720"),
    (["token", "alice", "--tz", "right/UTC"], "not an IANA time zone"),
    (["token", "a/b"], "USER_ID"),
])
def test_flask_token_refuses_what_the_api_would_refuse(app, args, words):
    with app.app_context():
        printed = app.test_cli_runner().invoke(args=args)
    assert printed.exit_code != 0 and words in printed.output


# --- time zones: canonical IANA names only ---------------------------------------------------

@pytest.mark.parametrize("tz", ["right/UTC", "posix/Asia/Shanghai", "localtime", "Factory",
                                "posixrules", "asia/shanghai", "../../etc/passwd", "Asia/"])
def test_a_tz_claim_that_is_not_an_iana_zone_is_refused(client, frozen, tz):
    resp = client.get(ME, headers=bearer({"sub": "alice", "exp": NOW + DAY, "tz": tz}))
    assert_refused(resp, "token_invalid", "not an IANA time zone")


@pytest.mark.parametrize("tz", ["UTC", "Asia/Calcutta", "Etc/GMT-8",
                                "America/Argentina/Buenos_Aires"])
def test_iana_zones_and_their_links_are_accepted(client, frozen, tz):
    resp = client.get(ME, headers=bearer({"sub": "alice", "exp": NOW + DAY, "tz": tz}))
    assert resp.status_code == 200 and resp.get_json()["timezone"] == tz
