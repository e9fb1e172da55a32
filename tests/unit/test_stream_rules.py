"""The stream's pure rules: the message an outbox row becomes, and the mark and its gaps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from carbon.domain.stream import Gap, expired, message, missing_ranges, new_mark, without

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


def test_the_mark_moves_to_the_highest_confirmed_row_and_unconfirmed_ones_become_gaps():
    assert new_mark([11, 12, 14, 15], {11, 12, 15}, 10) == 15
    assert ranges(missing_ranges(10, 15, [11, 12, 15], T)) == [(13, 14)]
    assert new_mark([11, 12], {12}, 10) == 12
    assert new_mark([11, 12], set(), 10) == 10
    assert new_mark([], set(), 10) == 10


def test_ids_passed_unseen_become_ranges_up_to_the_mark_only():
    assert ranges(missing_ranges(10, 20, [11, 14, 15, 19, 20], T)) == [(12, 13), (16, 18)]
    assert ranges(missing_ranges(10, 15, [13, 15, 17], T)) == [(11, 12), (14, 14)]
    assert ranges(missing_ranges(10, 10, [12], T)) == []


def test_published_ids_split_their_gap():
    gaps = [Gap(5, 9, T), Gap(12, 12, T)]
    assert ranges(without(gaps, {5, 7, 12, 30})) == [(6, 6), (8, 9)]
    assert ranges(without(gaps, set())) == [(5, 9), (12, 12)]


def test_gaps_noticed_before_the_window_and_found_empty_are_given_up():
    old, young = Gap(1, 3, T - timedelta(minutes=20)), Gap(8, 8, T)
    kept, given_up = expired([old, young], T - timedelta(minutes=15), found=[])
    assert (kept, given_up, old.size) == ([young], [old], 3)


def test_a_gap_holding_an_unsent_row_or_not_read_to_its_end_is_kept_however_old():
    old = Gap(1, 3, T - timedelta(minutes=20))
    assert expired([old], T, found=[2]) == ([old], [])
    assert expired([old], T, found=None) == ([old], [])
