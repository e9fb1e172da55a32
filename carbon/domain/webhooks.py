"""Partner webhooks, as pure rules: which outbox facts become which partner events, what a
delivery's body and signature are, and when a failed delivery is tried again.

No database and no HTTP here: carbon/services/webhook_*.py apply these rules."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

# The outbox types partners hear about, and the public event type each becomes. A group's
# order writes one outbox row per member (group_pot_filled, planting_confirmed/rejected): the
# partner hears of the order once, from the first row (see `event_key`).
FROM_OUTBOX = {
    "planting_ordered": "planting.ordered",
    "group_pot_filled": "planting.ordered",
    "planting_confirmed": "planting.confirmed",
    "planting_rejected": "planting.rejected",
    "donation_made": "donation_record.created",
    "donation_record_confirmed": "donation_record.confirmed",
}
EVENT_TYPES = tuple(sorted(set(FROM_OUTBOX.values())))

# What each event's `data` carries: the ids a partner needs to open the thing through its API
# (never a user's id), and the amounts or reasons it is about.
DATA_FIELDS = {
    "planting.ordered": ("order_id", "project_id", "group_id", "quantity", "energy_g"),
    "planting.confirmed": ("order_id", "group_id"),
    "planting.rejected": ("order_id", "group_id", "reason"),
    "donation_record.created": ("donation_id", "project_id", "record_sequences"),
    "donation_record.confirmed": ("record_id", "project_id", "reference"),
}
# The one id per event type that makes two outbox rows the same partner event.
_KEY_FIELD = {"planting.ordered": "order_id", "planting.confirmed": "order_id",
              "planting.rejected": "order_id", "donation_record.created": "donation_id",
              "donation_record.confirmed": "record_id"}

DELIVERY_STATUSES = ("pending", "delivered", "dead", "cancelled")

# A delivery is tried for this long after its event (or after a redelivery is asked).
RETRY_WINDOW = timedelta(days=3)
# Retries: 30 s, 1 min, 2 min, ... doubling up to 6 h, each drawn between half and all of
# that (jitter, so a recovered endpoint is not hit by every retry at once), for 3 days.
FIRST_RETRY_S = 30
MAX_RETRY_S = 6 * 3600
# An endpoint that fails is left alone for as long, capped lower: it is probed again soon.
MAX_ENDPOINT_BACKOFF_S = 15 * 60


@dataclass(frozen=True)
class PartnerEvent:
    type: str
    key: str  # unique per endpoint: the same fact told twice is one delivery
    data: dict


def partner_event(outbox_type: str, payload: dict) -> PartnerEvent | None:
    """The partner event an outbox row is, or None (not a partner fact, or an egg donation
    that completed no donation record)."""
    event_type = FROM_OUTBOX.get(outbox_type)
    if event_type is None:
        return None
    if event_type == "donation_record.created" and not payload.get("record_sequences"):
        return None
    source = {"quantity": 1, **payload} if outbox_type == "group_pot_filled" else payload
    data = {name: source.get(name) for name in DATA_FIELDS[event_type]}
    return PartnerEvent(event_type, f"{event_type}:{data[_KEY_FIELD[event_type]]}", data)


def body(event_id: int, event_type: str, occurred_at: datetime, data: dict) -> bytes:
    """The JSON a receiver gets: compact, keys sorted, so that a redelivery is the same bytes."""
    return json.dumps({"id": event_id, "type": event_type,
                       "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
                       "data": data}, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: str, payload: bytes) -> str:
    """hex HMAC-SHA256(secret, "{timestamp}." + body): the timestamp is signed with the body
    so that a captured delivery cannot be replayed later under a fresh timestamp."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + payload,
                    hashlib.sha256).hexdigest()


def _doubling(n: int, cap_s: int, draw: float) -> int:
    full = min(FIRST_RETRY_S * 2 ** min(max(n, 1) - 1, 20), cap_s)
    return max(1, int(full * (0.5 + draw / 2)))


def retry_delay_s(attempts: int, draw: float) -> int:
    """Seconds before the next try of a delivery that failed `attempts` times; `draw` in [0, 1)."""
    return _doubling(attempts, MAX_RETRY_S, draw)


def endpoint_backoff_s(failures: int, draw: float) -> int:
    """Seconds an endpoint that failed `failures` times in a row is left alone."""
    return _doubling(failures, MAX_ENDPOINT_BACKOFF_S, draw)


def parse_event_types(raw: list[str] | str) -> list[str]:
    """The known event types named (a list, or comma separated); ValueError names the others."""
    names = raw.split(",") if isinstance(raw, str) else raw
    wanted = sorted({n.strip() for n in names if n.strip()})
    unknown = [n for n in wanted if n not in EVENT_TYPES]
    if unknown or not wanted:
        raise ValueError(f"Unknown event types: {', '.join(unknown) or '(none given)'}; "
                         f"known: {', '.join(EVENT_TYPES)}.")
    return wanted
