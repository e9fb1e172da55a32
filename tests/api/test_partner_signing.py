"""The signature covers the path and query exactly as sent, percent-escapes included."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
import time_machine

from api.core.auth import signature
from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW

ESCAPED = "/v1/admin/activity-types/w%61lk"  # %61 is 'a': the server routes it to 'walk'


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(make_partner, uow):
    seed_default_methodology(uow, NOW)
    return make_partner(("admin",), name="ops")


def send(client, partner, method, sent_path, signed_path, environ=None):
    stamp = str(int(time.time()))
    headers = {"X-Partner-Key": partner.key_id, "X-Timestamp": stamp,
               "X-Signature": signature(partner.secret, stamp, method, signed_path, b"")}
    return client.open(sent_path, method=method, headers=headers, environ_overrides=environ)


def test_a_partner_signs_the_escaped_path_it_sends(client, admin):
    resp = send(client, admin, "GET", ESCAPED, ESCAPED)
    assert resp.status_code == 200 and resp.get_json()["key"] == "walk"


def test_signing_the_decoded_path_of_an_escaped_request_is_refused(client, admin):
    resp = send(client, admin, "GET", ESCAPED, "/v1/admin/activity-types/walk")
    assert resp.status_code == 401 and resp.get_json()["code"] == "signature_invalid"


def test_the_query_is_signed_as_sent(client, admin):
    sent = "/v1/admin/activity-types?limit=%32"
    assert send(client, admin, "GET", sent, sent).get_json()["next_cursor"] is not None
    assert send(client, admin, "GET", sent, "/v1/admin/activity-types?limit=2").status_code == 401


@pytest.mark.parametrize("name", ["RAW_URI", "REQUEST_URI"])
def test_either_raw_uri_variable_is_read(client, admin, name):
    other = "REQUEST_URI" if name == "RAW_URI" else "RAW_URI"
    resp = send(client, admin, "GET", ESCAPED, ESCAPED, {other: None})
    assert resp.status_code == 200


def test_without_a_raw_uri_the_decoded_path_is_quoted_again(client, admin):
    path = "/v1/admin/activity-types/walk"
    no_raw = {"RAW_URI": None, "REQUEST_URI": None}
    assert send(client, admin, "GET", path, quote(path), no_raw).status_code == 200
    assert send(client, admin, "GET", ESCAPED, ESCAPED, no_raw).status_code == 401
