"""Which outbox facts become partner events, their bodies and signatures, and the retry
schedule: pure rules."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from carbon.domain.webhooks import (
    EVENT_TYPES,
    MAX_ENDPOINT_BACKOFF_S,
    MAX_RETRY_S,
    RETRY_WINDOW,
    body,
    endpoint_backoff_s,
    parse_event_types,
    partner_event,
    retry_delay_s,
    sign,
)


def test_user_facts_are_not_partner_events():
    for kind in ("energy_stolen", "watered", "friend_request", "shield_granted", "feed_lost"):
        assert partner_event(kind, {"ball_id": 1}) is None


def test_a_group_pot_filled_is_the_groups_order_once_per_order():
    members = [partner_event("group_pot_filled", {"group_id": 3, "order_id": 9, "project_id": 2,
                                                  "energy_g": 100}) for _ in range(3)]
    assert {m.key for m in members} == {"planting.ordered:9"}
    assert members[0].data == {"order_id": 9, "project_id": 2, "group_id": 3, "quantity": 1,
                               "energy_g": 100}


def test_no_user_id_reaches_a_partner():
    event = partner_event("planting_rejected", {"order_id": 4, "group_id": None,
                                                "reason": "dry", "refund_g": 100})
    assert event.data == {"order_id": 4, "group_id": None, "reason": "dry"}


def test_an_egg_donation_that_completes_no_record_is_not_an_event():
    assert partner_event("donation_made", {"donation_id": 1, "record_sequences": []}) is None
    made = partner_event("donation_made", {"donation_id": 1, "project_id": 2, "eggs": 5,
                                           "record_sequences": [3]})
    assert (made.type, made.key) == ("donation_record.created", "donation_record.created:1")


def test_the_body_is_stable_bytes_and_the_signature_covers_timestamp_and_body():
    at = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    raw = body(5, "planting.confirmed", at, {"order_id": 1, "group_id": None})
    assert raw == (b'{"data":{"group_id":null,"order_id":1},"id":5,'
                   b'"occurred_at":"2026-03-10T04:00:00Z","type":"planting.confirmed"}')
    expected = hmac.new(b"k", b"1773115200." + raw, hashlib.sha256).hexdigest()
    assert sign("k", "1773115200", raw) == expected
    assert sign("k", "1773115201", raw) != expected


def test_retries_double_from_30_seconds_with_jitter_up_to_6_hours():
    assert [retry_delay_s(n, 0.999999) for n in (1, 2, 3, 4)] == [29, 59, 119, 239]
    assert [retry_delay_s(n, 0.0) for n in (1, 2, 3)] == [15, 30, 60]
    assert retry_delay_s(40, 0.999999) == MAX_RETRY_S - 1 and retry_delay_s(10**6, 0) > 0
    assert endpoint_backoff_s(30, 0.999999) == MAX_ENDPOINT_BACKOFF_S - 1
    assert timedelta(days=3) == RETRY_WINDOW


def test_the_whole_schedule_fits_about_twenty_tries_in_three_days():
    elapsed, tries = 0, 0
    while elapsed < RETRY_WINDOW.total_seconds():
        tries += 1
        elapsed += retry_delay_s(tries, 1.0)
    assert 15 <= tries <= 25


def test_event_types_are_checked():
    assert parse_event_types("planting.ordered, planting.ordered,planting.confirmed") == [
        "planting.confirmed", "planting.ordered"]
    with pytest.raises(ValueError, match="Unknown event types: steal"):
        parse_event_types(["steal", "planting.ordered"])
    with pytest.raises(ValueError, match="none given"):
        parse_event_types("")
    assert len(EVENT_TYPES) == 5
