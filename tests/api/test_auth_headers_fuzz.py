"""No value of an auth header, however long, binary or non-ASCII, gets past a 401/403
problem+json: headers are injected into the WSGI environ as a server would pass them."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.core.auth import signature

EVENTS = "/v1/partner/events"
QUIZ = "/v1/admin/quiz-questions"
# What a WSGI server hands over: latin-1 text, NUL and controls included.
HEADER_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=300)
NASTY = ["", " ", "\x00", "a\x00b", "é" * 64, "\xff" * 64, "9" * 400, "9" * 5000, "١٢٣",
         "-1", "1e9", "0x10", " 123", "k" * 100_000, "Bearer", "Bearer ", "Bearer \x00",
         "Bearer " + "é" * 500, "Bearer a.b.c", "Bearer " + "A" * 100_000, "Bearer ..",
         "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0."]


def assert_refused(resp, statuses=(401,)):
    assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/problem+json" and resp.get_json()["detail"]


def environ(**headers) -> dict:
    return {f"HTTP_{name.upper()}": value for name, value in headers.items()}


@pytest.fixture
def writer(make_partner):
    return make_partner(("events:write",))


def test_a_nasty_authorization_header_is_401(client):
    for value in NASTY:
        assert_refused(client.get("/v1/me", environ_overrides=environ(authorization=value)))


@pytest.mark.parametrize("header", ["x_partner_key", "x_timestamp", "x_signature"])
def test_a_nasty_partner_header_is_401(client, writer, header):
    stamp = str(int(time.time()))
    good = {"x_partner_key": writer.key_id, "x_timestamp": stamp,
            "x_signature": signature(writer.secret, stamp, "POST", EVENTS, b"{}")}
    for value in NASTY:
        assert_refused(client.post(EVENTS, data=b"{}",
                                   environ_overrides=environ(**{**good, header: value})))


def test_a_timestamp_of_400_digits_is_401_not_a_crash(client, writer):
    resp = client.post(EVENTS, data=b"{}", environ_overrides=environ(
        x_partner_key=writer.key_id, x_timestamp="9" * 400, x_signature="0" * 64))
    assert_refused(resp)
    assert resp.get_json()["code"] == "timestamp_invalid"


def test_a_signature_with_a_non_ascii_byte_is_401_not_a_crash(client, writer):
    stamp = str(int(time.time()))
    sig = signature(writer.secret, stamp, "POST", EVENTS, b"{}")
    resp = client.post(EVENTS, data=b"{}", environ_overrides=environ(
        x_partner_key=writer.key_id, x_timestamp=stamp, x_signature=sig[:-1] + "\xe9"))
    assert_refused(resp)
    assert resp.get_json()["code"] == "signature_invalid"


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(authorization=HEADER_TEXT, key=HEADER_TEXT, stamp=HEADER_TEXT, sig=HEADER_TEXT)
def test_no_combination_of_auth_headers_is_a_500(client, authorization, key, stamp, sig):
    for path in ("/v1/me/steps", EVENTS, QUIZ):
        resp = client.post(path, data=b"{}", environ_overrides=environ(
            authorization=authorization, x_partner_key=key, x_timestamp=stamp, x_signature=sig))
        assert_refused(resp, (401, 403))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(token=st.text(max_size=500))
def test_no_bearer_token_is_a_500(client, token):
    resp = client.get("/v1/me", environ_overrides=environ(
        authorization="Bearer " + token.encode("utf-8", "surrogatepass").decode("latin-1")))
    assert_refused(resp)
