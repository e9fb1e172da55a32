"""Arbitrary JSON values and arbitrary bytes as the body of every POST, PUT and PATCH route of
the app: never a 500, and every refusal is problem+json. Routes come from app.url_map, so a new
route is fuzzed without anyone adding it here."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, validate

import config
from api import create_app
from api.core.auth import signature
from api.schemas.events import EventBatchSchema

WRITE_METHODS = {"POST", "PUT", "PATCH"}
ALL_SCOPES = ("events:write", "plantings", "donations", "admin")
EXAMPLES = 30  # per route: about 12 s of CPU for the whole app on SQLite


def write_routes() -> list[tuple[str, str, Schema | None]]:
    """(method, path with sample ids, the body's schema) of every write route."""
    app = create_app(config.TestConfig("sqlite://"))
    routes = []
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m[1] == "int" else "bob", rule.rule)
        for method in sorted((rule.methods or set()) & WRITE_METHODS):
            routes.append((method, path, _body_schema(getattr(view_class, method.lower()))))
    return routes


def _body_schema(view) -> Schema | None:
    if view.__qualname__.startswith("PartnerEvents."):
        return EventBatchSchema()  # read by hand; the schema only documents it
    for param in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        if param["in"] == "json":
            schema = param["schema"]
            return schema() if isinstance(schema, type) else schema
    return None


NASTY_TEXT = st.sampled_from(["", "a\x00b", "a\ud800b", "x" * 3000, "9999-12-31",
                              "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-05:00",
                              "Asia/Shanghai", "offline_payment", "walk", "bob"])
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20) | NASTY_TEXT)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=6), max_leaves=15)
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-5))])
# The ends of the calendar, where date arithmetic overflows, and anywhere in between.
DAYS = st.sampled_from(["0001-01-01", "9999-12-31"]) | st.dates().map(date.isoformat)
INSTANTS = (st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-05:00"])
            | st.datetimes(timezones=OFFSETS).map(datetime.isoformat))
TYPED = [(fields.Integer, st.integers() | st.integers(-(2**70), 2**70)),
         (fields.Float, st.floats(allow_nan=False, allow_infinity=False)),
         (fields.Boolean, st.booleans()), (fields.DateTime, INSTANTS),
         (fields.Date, DAYS),
         (fields.Dict, st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=4))]


def values_for(field: fields.Field):
    """A value of the field's own type (at its edges, or text no column holds), now and then
    any JSON at all: examples get past the body's shape to each field's rules and the service."""
    if isinstance(field, fields.Nested):
        typed = objects_of(field.schema)
    elif isinstance(field, fields.List):
        typed = st.lists(values_for(field.inner), max_size=3)
    else:
        typed = next((s for kind, s in TYPED if isinstance(field, kind)), NASTY_TEXT | st.text())
        choices = [v.choices for v in field.validators if isinstance(v, validate.OneOf)]
        typed = st.sampled_from(list(choices[0])) | typed if choices else typed
    return typed | typed | typed | ANY_JSON


def objects_of(schema: Schema):
    required = {f.data_key or n: values_for(f) for n, f in schema.fields.items() if f.required}
    optional = {f.data_key or n: values_for(f) for n, f in schema.fields.items()
                if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


def bodies(schema: Schema | None):
    return ANY_JSON if schema is None else objects_of(schema) | objects_of(schema) | ANY_JSON


def assert_answered_cleanly(resp) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        assert resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
        body = resp.get_json()
        assert body["status"] == resp.status_code and body["title"] and body["detail"]


@pytest.fixture
def send(client, token, make_partner):
    """Sends a raw body with both credentials: a user's token and a signature of a partner with
    every scope, so each route gets past authentication to its body."""
    user = token("fuzzer")
    partner = make_partner(ALL_SCOPES, name="fuzzer")

    def _send(method: str, path: str, data: bytes):
        stamp = str(int(time.time()))
        headers = {**user, "X-Partner-Key": partner.key_id, "X-Timestamp": stamp,
                   "X-Signature": signature(partner.secret, stamp, method, path, data),
                   "Content-Type": "application/json"}
        return client.open(path, method=method, data=data, headers=headers)

    return _send


ROUTES = write_routes()
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("method", "path", "schema"), ROUTES,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_any_json_body_is_answered_without_a_500(send, method, path, schema):
    @FUZZ
    @given(value=bodies(schema))
    def check(value):
        assert_answered_cleanly(send(method, path, json.dumps(value).encode()))

    check()


@pytest.mark.parametrize(("method", "path", "schema"), ROUTES,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_any_bytes_as_a_json_body_are_answered_without_a_500(send, method, path, schema):
    @settings(FUZZ, max_examples=EXAMPLES // 3)  # bytes rarely get past the JSON parser
    @given(data=st.binary(max_size=64) | st.sampled_from([
        b'{"a": 1e400}', b'{"a": NaN}', b"[" * 5000, b'{"a": ' + b"9" * 5000 + b"}",
        b'"\xff\xfe"', b'{"\\ud800": "\\u0000"}']))
    def check(data):
        assert_answered_cleanly(send(method, path, data))

    check()
