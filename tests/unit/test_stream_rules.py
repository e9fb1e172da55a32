"""The stream's pure rules: the message an outbox row becomes, and the mark and its gaps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from carbon.stream_rules import (
    Gap,
    confirmed_prefix,
    expired,
    message,
    missing_ranges,
    without,
)

T = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)


def ranges(gaps):
    return [(g.first_id, g.last_id) for g in gaps]


def test_a_message_carries_the_schema_version_the_fact_and_its_users():
    m = message(42, "watered", T, "alice", None, 7, {"energy_g": 5})
    assert (m.id, m.routing_key, m.headers) == (42, "watered",
                                                 {"schema_version": 1, "event_type": "watered"})
    assert json.loads(m.body) == {"schema_version": 1, "id": 42, "type": "watered",
                                  "occurred_at": "2026-03-10T04:00:00.000000Z",
                                  "user_id": "alice", "other_user_id": None, "partner_id": 7,
                                  "payload": {"energy_g": 5}}


def test_the_mark_stops_before_the_first_unconfirmed_row():
    assert confirmed_prefix([11, 12, 14, 15], {11, 12, 15}, 10) == 12
    assert confirmed_prefix([11, 12], {12}, 10) == 10
    assert confirmed_prefix([], set(), 10) == 10


def test_ids_passed_unseen_become_ranges_up_to_the_mark_only():
    assert ranges(missing_ranges(10, 20, [11, 14, 15, 19, 20], T)) == [(12, 13), (16, 18)]
    assert ranges(missing_ranges(10, 15, [13, 15, 17], T)) == [(11, 12), (14, 14)]
    assert ranges(missing_ranges(10, 10, [12], T)) == []


def test_published_ids_split_their_gap():
    gaps = [Gap(5, 9, T), Gap(12, 12, T)]
    assert ranges(without(gaps, {5, 7, 12, 30})) == [(6, 6), (8, 9)]
    assert ranges(without(gaps, set())) == [(5, 9), (12, 12)]


def test_gaps_noticed_before_the_window_are_given_up():
    old, young = Gap(1, 3, T - timedelta(minutes=20)), Gap(8, 8, T)
    kept, given_up = expired([old, young], T - timedelta(minutes=15))
    assert (kept, given_up, old.size) == ([young], [old], 3)
