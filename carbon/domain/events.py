"""Pure rules for incoming activity events: shape, bounds, payload hash, late data (no I/O).

Written by hand rather than with a schema library: a partner batch holds up to 1,000 events and
ingestion must sustain more than 10,000 events a second, so each check is a few comparisons.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from carbon.domain.account import FUTURE_SKEW, USER_ID_RULE, is_valid_user_id

MAX_EVENT_ID_LENGTH = 128
MAX_DEDUPE_KEY_LENGTH = 128
MAX_ATTRIBUTES_CHARS = 2048  # serialized; attributes are evidence, not a document store
MAX_ATTRIBUTES_DEPTH = 8  # nested objects and arrays inside attributes
MAX_ATTRIBUTE_INT = 2**63 - 1  # what a JSON reader in any language (and a BIGINT) holds


@dataclass(frozen=True)
class TypeRule:
    """What ingestion needs to know of an activity type."""

    key: str
    aggregate: str  # sum | max
    max_quantity: int
    dedupe_attribute: str | None
    active: bool
    valued_from: datetime | None  # the earliest effective_from of its methodology versions

    @property
    def min_quantity(self) -> int:
        # A day's step count ("max" types) may be 0; a counted action is at least one.
        return 0 if self.aggregate == "max" else 1


@dataclass(slots=True)
class CheckedEvent:
    index: int
    id: str
    user_id: str
    type: str
    quantity: int
    occurred_at: datetime  # aware, UTC
    attributes: dict
    payload_hash: str
    dedupe_key: str | None


@dataclass(frozen=True)
class Rejection:
    index: int
    id: str | None
    code: str  # machine-readable reason
    error: str  # the sentence a client developer reads


class _Bad(Exception):
    def __init__(self, code: str, error: str) -> None:
        super().__init__(error)
        self.code, self.error = code, error


def parse_instant(value: object) -> datetime:
    """An ISO 8601 timestamp with a UTC offset, as an aware UTC datetime; ValueError otherwise."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("no offset")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:59:59-05:00 is past the end of the calendar
        raise ValueError("out of the calendar") from exc


# allow_nan=False: NaN and Infinity are not JSON, and no JSON column can hold them.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode


def canonical_json(value: object) -> str:
    return _CANONICAL(value) if value else "{}"


def payload_hash(user_id: str, type_key: str, quantity: int, occurred_at: datetime,
                 attributes_json: str) -> str:
    """Identity of an event's content (attributes as canonical_json); the same instant written
    in two offsets hashes equal. The user id is length-prefixed, so fields cannot run together."""
    text = f"{len(user_id)}:{user_id}|{type_key}|{quantity}|{occurred_at.isoformat()}|"
    return hashlib.sha256((text + attributes_json).encode()).hexdigest()


def _event_id(raw: dict) -> str:
    value = raw.get("id")
    # isprintable() also refuses NUL and lone surrogates, which no database column can hold.
    if (not isinstance(value, str) or not 1 <= len(value) <= MAX_EVENT_ID_LENGTH
            or not value.isprintable()):
        raise _Bad("invalid_id", f"id must be a string of 1 to {MAX_EVENT_ID_LENGTH} printable "
                   "characters.")
    return value


def _user_id(raw: dict) -> str:
    value = raw.get("user_id")
    if not is_valid_user_id(value):
        raise _Bad("invalid_user_id", f"user_id must be {USER_ID_RULE}.")
    return value


def _type(raw: dict, types: dict[str, TypeRule]) -> TypeRule:
    key = raw.get("type")
    rule = types.get(key) if isinstance(key, str) else None
    if rule is None:
        raise _Bad("unknown_type", f"type {key!r} is not a known activity type.")
    if not rule.active:
        raise _Bad("inactive_type", f"type '{key}' is not accepted at the moment (inactive).")
    return rule


def _quantity(raw: dict, rule: TypeRule) -> int:
    value = raw.get("quantity")
    if type(value) is not int:  # bool is an int subclass; 1.0 and "1" are not integers
        raise _Bad("invalid_quantity", "quantity must be an integer.")
    if value < rule.min_quantity:
        raise _Bad("invalid_quantity", f"quantity must be at least {rule.min_quantity}.")
    if value > rule.max_quantity:
        raise _Bad("quantity_too_high",
                   f"quantity {value} is above the maximum of {rule.max_quantity} for '{rule.key}'.")
    return value


def _occurred_at(raw: dict, rule: TypeRule, now: datetime) -> datetime:
    try:
        instant = parse_instant(raw.get("occurred_at"))
    except ValueError as exc:
        raise _Bad("invalid_occurred_at",
                   "occurred_at must be an ISO 8601 timestamp with an offset, "
                   "e.g. 2026-03-10T12:00:00+08:00.") from exc
    if instant > now + FUTURE_SKEW:
        raise _Bad("future", "occurred_at is more than 5 minutes in the future.")
    if rule.valued_from is None or instant < rule.valued_from:
        raise _Bad("no_methodology",
                   f"No methodology version of '{rule.key}' is in force at occurred_at.")
    return instant


def _attributes(raw: dict, rule: TypeRule) -> tuple[dict, str, str | None]:
    """The attributes, their canonical JSON (hashed) and the type's dedupe key."""
    attrs = raw.get("attributes")
    if attrs is None:
        attrs = {}
    if not isinstance(attrs, dict):
        raise _Bad("invalid_attributes", "attributes must be a JSON object.")
    _check_values(attrs)
    encoded = canonical_json(attrs)
    if len(encoded) > MAX_ATTRIBUTES_CHARS:
        raise _Bad("invalid_attributes",
                   f"attributes are larger than {MAX_ATTRIBUTES_CHARS} characters of JSON.")
    if "\\u0000" in encoded or not _is_utf8(encoded):
        raise _Bad("invalid_attributes", "attributes must not hold NUL characters or lone "
                   "UTF-16 surrogates.")
    name = rule.dedupe_attribute
    if name is None:
        return attrs, encoded, None
    value = attrs.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise _Bad("missing_dedupe_attribute",
                   f"'{rule.key}' events need attributes.{name} (a non-empty string).")
    key = str(value)
    if len(key) > MAX_DEDUPE_KEY_LENGTH:
        raise _Bad("invalid_attributes",
                   f"attributes.{name} is longer than {MAX_DEDUPE_KEY_LENGTH} characters.")
    return attrs, encoded, key


def _check_values(attrs: dict) -> None:
    """Depth and numbers, walked without recursion (a hostile event may nest deep)."""
    stack: list[tuple[object, int]] = [(attrs, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_ATTRIBUTES_DEPTH:
                raise _Bad("invalid_attributes", "attributes are nested more than "
                           f"{MAX_ATTRIBUTES_DEPTH} levels deep.")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, float) and not math.isfinite(item):
            raise _Bad("invalid_attributes", "attributes must hold finite numbers "
                       "(no NaN, Infinity or numbers beyond the range of a double).")
        elif type(item) is int and abs(item) > MAX_ATTRIBUTE_INT:
            raise _Bad("invalid_attributes",
                       f"attributes must hold integers of at most {MAX_ATTRIBUTE_INT} in size.")


def _is_utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_event(index: int, raw: object, types: dict[str, TypeRule],
                now: datetime) -> CheckedEvent | Rejection:
    """One event of a batch, checked against the active catalog at `now`."""
    if not isinstance(raw, dict):
        return Rejection(index, None, "invalid_event", "Each event must be a JSON object.")
    try:
        event_id = _event_id(raw)
    except _Bad as bad:
        return Rejection(index, None, bad.code, bad.error)
    try:
        user_id = _user_id(raw)
        rule = _type(raw, types)
        quantity = _quantity(raw, rule)
        occurred_at = _occurred_at(raw, rule, now)
        attrs, attrs_json, dedupe_key = _attributes(raw, rule)
    except _Bad as bad:
        return Rejection(index, event_id, bad.code, bad.error)
    digest = payload_hash(user_id, rule.key, quantity, occurred_at, attrs_json)
    return CheckedEvent(index, event_id, user_id, rule.key, quantity, occurred_at, attrs, digest,
                        dedupe_key)


@dataclass
class CheckedBatch:
    events: list[CheckedEvent]
    rejected: list[Rejection]
    duplicates: int  # repeats of an earlier event of the same batch, same payload


def check_batch(raw_events: list, types: dict[str, TypeRule], now: datetime) -> CheckedBatch:
    """Check every event; within a batch the first occurrence of an id wins, as if the events
    had been posted one by one."""
    batch = CheckedBatch([], [], 0)
    first_hash: dict[str, str] = {}
    for index, raw in enumerate(raw_events):
        checked = check_event(index, raw, types, now)
        if isinstance(checked, Rejection):
            batch.rejected.append(checked)
            continue
        seen = first_hash.get(checked.id)
        if seen is None:
            first_hash[checked.id] = checked.payload_hash
            batch.events.append(checked)
        elif seen == checked.payload_hash:
            batch.duplicates += 1
        else:
            batch.rejected.append(Rejection(
                index, checked.id, "batch_conflict",
                "This id appears earlier in the batch with a different payload."))
    return batch


def conflict(index: int, event_id: str) -> Rejection:
    return Rejection(index, event_id, "conflict",
                     "An event with this id was already received with a different payload; "
                     "it is kept as first received.")


def day_settled(index: int, event_id: str, day: date) -> Rejection:
    return Rejection(index, event_id, "day_settled",
                     f"The user's local day {day.isoformat()} is already settled; "
                     "late events are not counted.")


@dataclass(frozen=True)
class SettledDays:
    """Which (local date, zone) pairs are settled, wholly or for ranges of user ids."""

    whole: frozenset[tuple[date, str]]
    ranges: dict[tuple[date, str], list[tuple[int, int]]]

    def covers(self, user_id: int, day: date, tz: str) -> bool:
        if (day, tz) in self.whole:
            return True
        return any(lo <= user_id <= hi for lo, hi in self.ranges.get((day, tz), ()))


def day_lock_key(day: date, tz: str) -> int:
    """A signed 64-bit advisory lock key for one (local date, zone): ingestion holds it shared
    while it checks and writes events of that day, settlement holds it exclusively."""
    digest = hashlib.sha256(f"settle:{day.isoformat()}:{tz}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
