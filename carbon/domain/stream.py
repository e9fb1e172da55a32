"""Pure rules of the outbox's message stream: the message each outbox row becomes, and the
arithmetic of the high-water mark and its gaps (see carbon.stream_models).

Message schema (version 1), the body as UTF-8 JSON:

    {"schema_version": 1, "id": 1234, "type": "energy_stolen",
     "occurred_at": "2026-03-10T04:00:00.000000Z", "user_id": "alice",
     "other_user_id": "bob", "partner_id": null, "payload": {"ball_id": 7, "amount_g": 8}}

`id` is the outbox id (also the AMQP message_id: consumers de-duplicate on it), `user_id` the
external id of the user the fact happened to, `other_user_id` the one who did it, `payload` the
event type's own fields (ids and integer amounts). The routing key is `type`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

SCHEMA_VERSION = 1
CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Message:
    id: int
    type: str
    occurred_at: datetime
    body: bytes

    @property
    def routing_key(self) -> str:
        return self.type

    @property
    def headers(self) -> dict[str, int | str]:
        return {"schema_version": SCHEMA_VERSION, "event_type": self.type}


@dataclass(frozen=True)
class Gap:
    first_id: int
    last_id: int
    noticed_at: datetime

    @property
    def size(self) -> int:
        return self.last_id - self.first_id + 1


def timestamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def message(id_: int, type_: str, occurred_at: datetime, user_id: str | None,
            other_user_id: str | None, partner_id: int | None, payload: dict) -> Message:
    body = {"schema_version": SCHEMA_VERSION, "id": id_, "type": type_,
            "occurred_at": timestamp(occurred_at), "user_id": user_id,
            "other_user_id": other_user_id, "partner_id": partner_id, "payload": payload}
    return Message(id_, type_, occurred_at,
                   json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())


def new_mark(ids: list[int], confirmed: set[int], cursor: int) -> int:
    """The mark after a run: the highest of `ids` (all above `cursor`) the broker confirmed,
    `cursor` when it confirmed none. The unconfirmed ids it passes become gaps (missing_ranges),
    so they are sent again, and one message no queue takes does not hold up the others."""
    return max((i for i in ids if i in confirmed), default=cursor)


def missing_ranges(cursor: int, mark: int, seen: list[int], now: datetime) -> list[Gap]:
    """The ids in cursor+1..mark that are not among `seen` (ascending: the ids published),
    as ranges."""
    gaps, expected = [], cursor + 1
    for i in seen:
        if i > mark:
            break
        if i > expected:
            gaps.append(Gap(expected, i - 1, now))
        expected = max(expected, i + 1)
    if expected <= mark:
        gaps.append(Gap(expected, mark, now))
    return gaps


def without(gaps: list[Gap], ids: set[int]) -> list[Gap]:
    """`gaps` with the published `ids` taken out (a range split around them)."""
    left = []
    for gap in gaps:
        start = gap.first_id
        for i in sorted(x for x in ids if gap.first_id <= x <= gap.last_id):
            if i > start:
                left.append(Gap(start, i - 1, gap.noticed_at))
            start = i + 1
        if start <= gap.last_id:
            left.append(Gap(start, gap.last_id, gap.noticed_at))
    return left


def expired(gaps: list[Gap], before: datetime,
            found: list[int] | None) -> tuple[list[Gap], list[Gap]]:
    """(kept, given up): a gap noticed before `before` is given up on when no row was `found`
    in it (the ids of the gaps' rows this run read; None when it could not read them all). A
    gap holding a row the broker has not confirmed yet is never given up."""
    if found is None:
        return gaps, []

    def old_and_empty(g: Gap) -> bool:
        return g.noticed_at < before and not any(g.first_id <= i <= g.last_id for i in found)

    return ([g for g in gaps if not old_and_empty(g)], [g for g in gaps if old_and_empty(g)])
