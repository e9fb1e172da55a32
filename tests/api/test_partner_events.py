"""POST /v1/partner/events: batch refusals, per-event rejections at their boundaries, storage."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from carbon.models import ActivityEvent, ActivityType, SettlementBatch, SettlementRun, User
from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW
from tests.factories import UserFactory

PATH = "/v1/partner/events"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def partner(uow, make_partner):
    seed_default_methodology(uow, NOW)
    return make_partner(("events:write",), name="paypal")


@pytest.fixture
def post(signed, partner):
    def _post(*events, raw=None):
        return signed(partner, "POST", PATH, {"events": list(events)}, raw=raw)

    return _post


def ev(id="e1", user_id="alice", type="offline_payment", quantity=1, occurred_at=None, **more):
    body = {"id": id, "user_id": user_id, "type": type, "quantity": quantity,
            "occurred_at": occurred_at or (NOW - timedelta(hours=1)).isoformat()}
    body.update(more)
    return body


def codes(resp):
    return [(r["index"], r["code"]) for r in resp.get_json()["rejected"]]


def test_a_valid_batch_is_stored_with_the_partner_as_source(post, session):
    resp = post(ev("e1"), ev("e2", type="utility_bill", attributes={"account_no": "A-9"}))
    assert resp.status_code == 200
    assert resp.get_json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    rows = session.scalars(select(ActivityEvent).order_by(ActivityEvent.source_event_id)).all()
    assert [(r.source, r.source_event_id) for r in rows] == [("paypal", "e1"), ("paypal", "e2")]
    assert rows[1].dedupe_key == "A-9" and rows[0].dedupe_key is None
    assert rows[0].received_at == NOW and rows[0].local_date == NOW.date()


def test_a_new_user_is_created_in_the_default_zone_and_days_are_local(post, session):
    late_evening_utc = NOW.replace(hour=17)  # 01:00 the next day in Shanghai
    resp = post(ev(occurred_at=(late_evening_utc - timedelta(days=1)).isoformat()))
    assert resp.get_json()["accepted"] == 1
    user = session.scalars(select(User).where(User.external_id == "alice")).one()
    assert user.timezone == "Asia/Shanghai"
    row = session.scalars(select(ActivityEvent)).one()
    assert row.local_date == NOW.date()


def test_an_existing_user_keeps_their_own_zone(post, session):
    UserFactory(external_id="bob", timezone="America/Los_Angeles")
    post(ev(user_id="bob", occurred_at="2026-03-10T04:00:00Z"))
    assert session.scalars(select(ActivityEvent.local_date)).one().isoformat() == "2026-03-09"


def test_a_batch_of_1000_events_is_accepted(post):
    resp = post(*[ev(f"e{i}", user_id=f"u{i % 37}") for i in range(1000)])
    assert resp.status_code == 200 and resp.get_json()["accepted"] == 1000


def test_a_batch_of_1001_events_is_refused_whole_with_the_limit_named(post, session):
    resp = post(*[ev(f"e{i}") for i in range(1001)])
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert "at most 1000" in resp.get_json()["detail"]
    assert session.scalars(select(ActivityEvent)).first() is None


@pytest.mark.parametrize("raw, status", [
    (b"{not json", 400), (b"[1, 2]", 422), (b"{}", 422), (b'{"events": {}}', 422),
    (b'{"events": []}', 422), (b'"events"', 422), (b"\xff\xfe", 400),
])
def test_a_body_that_is_not_a_batch_is_refused_whole(post, raw, status):
    resp = post(raw=raw)
    assert resp.status_code == status
    assert resp.mimetype == "application/problem+json" and resp.get_json()["detail"]


def test_occurred_at_exactly_5_minutes_ahead_is_accepted_and_a_second_more_is_not(post):
    edge = NOW + timedelta(minutes=5)
    resp = post(ev("ok", occurred_at=edge.isoformat()),
                ev("late", occurred_at=(edge + timedelta(seconds=1)).isoformat()))
    assert resp.get_json()["accepted"] == 1 and codes(resp) == [(1, "future")]


def test_a_64_character_user_id_is_accepted_and_65_is_rejected(post):
    resp = post(ev("a", user_id="u" * 64), ev("b", user_id="u" * 65), ev("c", user_id=7),
                ev("d", user_id="  "))
    assert resp.get_json()["accepted"] == 1
    assert codes(resp) == [(1, "invalid_user_id"), (2, "invalid_user_id"), (3, "invalid_user_id")]
    assert "64" in resp.get_json()["rejected"][0]["error"]


def test_an_id_of_128_characters_is_accepted_and_bad_ids_are_rejected(post):
    resp = post(ev("i" * 128), ev("i" * 129), ev(5), ev(""), {"user_id": "alice"})
    assert resp.get_json()["accepted"] == 1
    assert codes(resp) == [(i, "invalid_id") for i in (1, 2, 3, 4)]
    assert resp.get_json()["rejected"][0]["id"] is None


def test_unknown_and_inactive_types_are_rejected(post, session):
    session.get(ActivityType, "bus_ride").active = False
    session.flush()
    resp = post(ev("a", type="teleport"), ev("b", type="bus_ride"), ev("c", type=None))
    assert codes(resp) == [(0, "unknown_type"), (1, "inactive_type"), (2, "unknown_type")]


@pytest.mark.parametrize("type_, quantity, code", [
    ("offline_payment", 0, "invalid_quantity"),
    ("offline_payment", -1, "invalid_quantity"),
    ("offline_payment", 1.0, "invalid_quantity"),
    ("offline_payment", "3", "invalid_quantity"),
    ("offline_payment", True, "invalid_quantity"),
    ("offline_payment", 101, "quantity_too_high"),
    ("walk", -1, "invalid_quantity"),
    ("walk", 100_001, "quantity_too_high"),
])
def test_a_quantity_out_of_bounds_is_rejected(post, type_, quantity, code):
    assert codes(post(ev(type=type_, quantity=quantity))) == [(0, code)]


@pytest.mark.parametrize("type_, quantity", [("walk", 0), ("walk", 100_000),
                                             ("offline_payment", 1), ("offline_payment", 100)])
def test_a_quantity_at_its_bound_is_accepted(post, type_, quantity):
    assert post(ev(type=type_, quantity=quantity)).get_json()["accepted"] == 1


@pytest.mark.parametrize("value", ["2026-03-10T10:00:00", "2026-03-10", "yesterday", 1773111600,
                                   None, "2026-02-30T10:00:00Z"])
def test_occurred_at_without_an_offset_or_not_a_timestamp_is_rejected(post, value):
    body = ev()
    body["occurred_at"] = value
    assert codes(post(body)) == [(0, "invalid_occurred_at")]


def test_attributes_must_be_an_object_and_utility_bills_need_an_account(post):
    resp = post(ev("a", attributes=["x"]), ev("b", type="utility_bill"),
                ev("c", type="utility_bill", attributes={"account_no": ""}),
                ev("d", attributes={"shop": "7-11"}), ev("e", attributes=None))
    assert codes(resp) == [(0, "invalid_attributes"), (1, "missing_dedupe_attribute"),
                           (2, "missing_dedupe_attribute")]
    assert "account_no" in resp.get_json()["rejected"][1]["error"]


def test_a_retry_of_a_stored_event_is_a_duplicate_and_another_payload_a_conflict(post, session):
    post(ev("e1", quantity=2), ev("e2"))
    same_instant_other_offset = (NOW - timedelta(hours=1)).astimezone().isoformat()
    resp = post(ev("e1", quantity=2, occurred_at=same_instant_other_offset), ev("e2", quantity=3))
    body = resp.get_json()
    assert (body["accepted"], body["duplicates"]) == (0, 1)
    assert codes(resp) == [(1, "conflict")]
    stored = session.scalars(select(ActivityEvent.quantity).order_by(ActivityEvent.id)).all()
    assert stored == [2, 1]  # never merged


def test_the_same_id_twice_in_a_batch_counts_once_or_is_rejected(post):
    resp = post(ev("e1"), ev("e1"), ev("e1", quantity=9))
    body = resp.get_json()
    assert (body["accepted"], body["duplicates"]) == (1, 1)
    assert codes(resp) == [(2, "batch_conflict")]


def test_ids_are_scoped_by_partner(signed, partner, make_partner, post):
    post(ev("e1"))
    other = make_partner(("events:write",), name="other")
    resp = signed(other, "POST", PATH, {"events": [ev("e1", quantity=5)]})
    assert resp.get_json()["accepted"] == 1


def test_events_of_a_completed_settlement_run_are_rejected_as_late(post, session):
    session.add(SettlementRun(local_date=NOW.date(), timezone="Asia/Shanghai", started_at=NOW,
                              completed_at=NOW))
    session.flush()
    resp = post(ev("e1"), ev("e2", occurred_at=(NOW - timedelta(days=1)).isoformat()))
    assert resp.get_json()["accepted"] == 1 and codes(resp) == [(0, "day_settled")]
    assert "2026-03-10" in resp.get_json()["rejected"][0]["error"]


def test_a_run_not_completed_does_not_settle_the_day(post, session):
    session.add(SettlementRun(local_date=NOW.date(), timezone="Asia/Shanghai", started_at=NOW))
    session.flush()
    assert post(ev("e1")).get_json()["accepted"] == 1


def test_a_settled_batch_rejects_only_the_users_in_its_range(post, session):
    a, b, c = (UserFactory(external_id=x) for x in ("a", "b", "c"))
    session.add(SettlementBatch(local_date=NOW.date(), timezone="Asia/Shanghai",
                                first_user_id=a.id, last_user_id=b.id, balls=0, energy_g=0,
                                finished_at=NOW))
    session.flush()
    resp = post(ev("1", user_id="a"), ev("2", user_id="b"), ev("3", user_id="c"))
    assert resp.get_json()["accepted"] == 1
    assert codes(resp) == [(0, "day_settled"), (1, "day_settled")]


def test_a_retry_after_settlement_is_still_a_duplicate(post, session):
    post(ev("e1"))
    session.add(SettlementRun(local_date=NOW.date(), timezone="Asia/Shanghai", started_at=NOW,
                              completed_at=NOW))
    session.flush()
    body = post(ev("e1"), ev("e1b")).get_json()
    assert body["duplicates"] == 1 and [r["code"] for r in body["rejected"]] == ["day_settled"]


def test_events_before_the_first_methodology_version_are_rejected(post):
    assert codes(post(ev(occurred_at="1999-12-31T23:59:59Z"))) == [(0, "no_methodology")]


def test_rejections_do_not_stop_the_rest_of_the_batch(post, session):
    resp = post(ev("a", quantity=0), ev("b"), ev("c", type="x"), ev("d"))
    assert resp.get_json()["accepted"] == 2
    assert [i for i, _ in codes(resp)] == [0, 2]
    assert session.scalars(select(User.external_id)).all() == ["alice"]


@pytest.mark.parametrize("raw", [
    b'{"events": [{"id": "e1", "quantity": NaN}]}',
    b'{"events": [{"id": "e1", "quantity": Infinity}]}',
    b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
])
def test_json_that_python_tolerates_but_json_forbids_is_400(post, raw):
    resp = post(raw=raw)
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"


def test_nul_and_lone_surrogates_are_rejected_per_event_not_a_500(post, session):
    def raw_event(**fields):
        return ("{" + ", ".join(f'"{k}": {v}' for k, v in {**{
            "id": '"ok"', "user_id": '"alice"', "type": '"offline_payment"', "quantity": "1",
            "occurred_at": f'"{(NOW - timedelta(hours=1)).isoformat()}"'}, **fields}.items()) + "}")

    events = [raw_event(id='"a\\u0000"'), raw_event(id='"b\\ud800"'),
              raw_event(id='"c"', user_id='"x\\u0000"'), raw_event(id='"d"', user_id='"\\udfff"'),
              raw_event(id='"e"', attributes='{"k": "\\u0000"}'),
              raw_event(id='"f"', attributes='{"k": ["\\ud800"]}'),
              raw_event(id='"g"', type='"utility_bill"', attributes='{"account_no": "\\u0000"}'),
              raw_event(id='"h"', attributes='{"shop": "全家 \\u00e9"}')]
    resp = post(raw=('{"events": [' + ", ".join(events) + "]}").encode())
    assert resp.status_code == 200
    assert codes(resp) == [(0, "invalid_id"), (1, "invalid_id"), (2, "invalid_user_id"),
                           (3, "invalid_user_id"), (4, "invalid_attributes"),
                           (5, "invalid_attributes"), (6, "invalid_attributes")]
    stored = session.scalars(select(ActivityEvent)).one()
    assert stored.attributes == {"shop": "全家 é"}
