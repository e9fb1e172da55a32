"""Pure rules of incoming events: each check at its boundary, hashing, batches, settled ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from carbon.domain.events import (
    CheckedEvent,
    Rejection,
    SettledDays,
    TypeRule,
    canonical_json,
    check_batch,
    check_event,
    day_lock_key,
    parse_instant,
    payload_hash,
)

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
TYPES = {
    "walk": TypeRule("walk", "max", 100_000, None, True, EPOCH),
    "pay": TypeRule("pay", "sum", 100, None, True, EPOCH),
    "bill": TypeRule("bill", "sum", 100, "account_no", True, EPOCH),
    "old": TypeRule("old", "sum", 100, None, False, EPOCH),
    "new": TypeRule("new", "sum", 100, None, True, NOW),
}


def event(**over):
    body = {"id": "e1", "user_id": "alice", "type": "pay", "quantity": 1,
            "occurred_at": "2026-03-10T11:00:00+08:00"}
    body.update(over)
    return body


def code(raw) -> str | None:
    checked = check_event(0, raw, TYPES, NOW)
    return checked.code if isinstance(checked, Rejection) else None


def test_a_valid_event_is_normalized_to_utc():
    checked = check_event(3, event(), TYPES, NOW)
    assert isinstance(checked, CheckedEvent)
    assert checked.index == 3 and checked.occurred_at == datetime(2026, 3, 10, 3, tzinfo=UTC)
    assert checked.attributes == {} and checked.dedupe_key is None


def test_five_minutes_ahead_is_the_last_accepted_instant():
    edge = NOW + timedelta(minutes=5)
    assert code(event(occurred_at=edge.isoformat())) is None
    assert code(event(occurred_at=(edge + timedelta(microseconds=1)).isoformat())) == "future"


@pytest.mark.parametrize("value", ["2026-03-10T11:00:00", "2026-03-10", "", "now", 5, None,
                                   "2026-13-01T00:00:00Z", "x" * 100])
def test_occurred_at_needs_an_iso_timestamp_with_offset(value):
    assert code(event(occurred_at=value)) == "invalid_occurred_at"


def test_parse_instant_accepts_z_and_offsets():
    assert parse_instant("2026-03-10T03:00:00Z") == parse_instant("2026-03-10T11:00:00+08:00")


@pytest.mark.parametrize("user_id, expected", [("u" * 64, None), ("u" * 65, "invalid_user_id"),
                                               ("", "invalid_user_id"), (" ", "invalid_user_id"),
                                               (42, "invalid_user_id"), (None, "invalid_user_id")])
def test_user_ids_are_strings_of_at_most_64_characters(user_id, expected):
    assert code(event(user_id=user_id)) == expected


@pytest.mark.parametrize("event_id, expected", [("i" * 128, None), ("i" * 129, "invalid_id"),
                                                ("", "invalid_id"), (1, "invalid_id"),
                                                (None, "invalid_id")])
def test_ids_are_strings_of_1_to_128_characters(event_id, expected):
    assert code(event(id=event_id)) == expected


@pytest.mark.parametrize("type_, quantity, expected", [
    ("pay", 1, None), ("pay", 100, None), ("pay", 0, "invalid_quantity"),
    ("pay", 101, "quantity_too_high"), ("pay", 2.0, "invalid_quantity"),
    ("pay", False, "invalid_quantity"), ("walk", 0, None), ("walk", -1, "invalid_quantity"),
    ("walk", 100_000, None), ("walk", 100_001, "quantity_too_high"),
])
def test_quantities_are_integers_within_the_types_bounds(type_, quantity, expected):
    assert code(event(type=type_, quantity=quantity)) == expected


def test_unknown_inactive_and_not_yet_valued_types_are_rejected():
    assert code(event(type="nope")) == "unknown_type"
    assert code(event(type=["pay"])) == "unknown_type"
    assert code(event(type="old")) == "inactive_type"
    assert code(event(type="new")) == "no_methodology"
    assert code(event(type="new", occurred_at=NOW.isoformat())) is None


def test_the_dedupe_attribute_is_required_and_becomes_the_dedupe_key():
    assert code(event(type="bill")) == "missing_dedupe_attribute"
    assert code(event(type="bill", attributes={"account_no": True})) == "missing_dedupe_attribute"
    assert code(event(type="bill", attributes={"account_no": "x" * 129})) == "invalid_attributes"
    checked = check_event(0, event(type="bill", attributes={"account_no": 12}), TYPES, NOW)
    assert checked.dedupe_key == "12"


def test_attributes_are_an_object_of_bounded_size():
    assert code(event(attributes="x")) == "invalid_attributes"
    assert code(event(attributes={"k": "v" * 2030})) is None
    assert code(event(attributes={"k": "v" * 2050})) == "invalid_attributes"


def test_an_event_that_is_not_an_object_is_rejected_without_an_id():
    assert check_event(0, ["e1"], TYPES, NOW) == Rejection(0, None, "invalid_event",
                                                           "Each event must be a JSON object.")


def test_the_hash_ignores_the_offset_and_key_order_but_not_the_content():
    at = datetime(2026, 3, 10, 3, tzinfo=UTC)
    a = payload_hash("u", "pay", 1, at, canonical_json({"a": 1, "b": 2}))
    b = payload_hash("u", "pay", 1, parse_instant("2026-03-10T11:00:00+08:00"),
                     canonical_json({"b": 2, "a": 1}))
    assert a == b
    assert a != payload_hash("u", "pay", 2, at, canonical_json({"a": 1, "b": 2}))
    assert a != payload_hash("v", "pay", 1, at, canonical_json({"a": 1, "b": 2}))


def test_in_a_batch_the_first_occurrence_of_an_id_wins():
    batch = check_batch([event(), event(), event(quantity=2), event(id="e2"), "junk"], TYPES, NOW)
    assert [e.id for e in batch.events] == ["e1", "e2"]
    assert batch.duplicates == 1
    assert [(r.index, r.code) for r in batch.rejected] == [(2, "batch_conflict"),
                                                           (4, "invalid_event")]


def test_settled_days_cover_whole_zones_or_user_ranges():
    d = date(2026, 3, 9)
    settled = SettledDays(frozenset({(d, "UTC")}), {(d, "Asia/Shanghai"): [(10, 20)]})
    assert settled.covers(999, d, "UTC")
    assert settled.covers(10, d, "Asia/Shanghai") and settled.covers(20, d, "Asia/Shanghai")
    assert not settled.covers(9, d, "Asia/Shanghai") and not settled.covers(21, d, "Asia/Shanghai")
    assert not settled.covers(15, d + timedelta(days=1), "Asia/Shanghai")


def test_day_lock_keys_are_signed_64_bit_and_distinct_per_day_and_zone():
    keys = {day_lock_key(date(2026, 3, d), tz) for d in (9, 10) for tz in ("UTC", "Asia/Shanghai")}
    assert len(keys) == 4 and all(-(2**63) <= k < 2**63 for k in keys)


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00"])
def test_an_instant_that_leaves_the_calendar_in_utc_is_invalid_not_an_overflow(instant):
    with pytest.raises(ValueError):
        parse_instant(instant)
    assert code(event(occurred_at=instant)) == "invalid_occurred_at"


def test_the_last_instant_of_the_calendar_in_utc_is_merely_in_the_future():
    assert code(event(occurred_at="9999-12-31T23:59:59+00:00")) == "future"


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_attributes_hold_only_finite_numbers(value):
    assert code(event(attributes={"a": value})) == "invalid_attributes"
    assert code(event(attributes={"a": [1, {"b": value}]})) == "invalid_attributes"


def test_attribute_integers_fit_in_64_bits():
    assert code(event(attributes={"a": 2**63 - 1, "b": -(2**63 - 1)})) is None
    assert code(event(attributes={"a": 2**63})) == "invalid_attributes"
    assert code(event(attributes={"a": [-(2**63)]})) == "invalid_attributes"


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_attributes_nest_at_most_8_levels():
    assert code(event(attributes=nested(8))) is None
    assert code(event(attributes=nested(9))) == "invalid_attributes"
    assert code(event(attributes={"a": [[[[[[[1]]]]]]]})) is None
    assert code(event(attributes={"a": [[[[[[[[1]]]]]]]]})) == "invalid_attributes"


def test_an_infinite_quantity_is_not_an_integer():
    assert code(event(quantity=float("inf"))) == "invalid_quantity"
