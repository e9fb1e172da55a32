"""The one cursor codec. A cursor is the urlsafe base64 of a small JSON list: a version, then
the key of the last item shown (db.paging.Key). Clients must treat it as opaque; whatever
they send back is checked here, against the shape of the list's key, before any query runs."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime

from api.core.errors import ApiProblem
from db.paging import Key, Page

VERSION = 1
MAX_CURSOR_LENGTH = 200
MAX_ID = 2**63 - 1  # BIGINT: anything larger could never be a row's id
MAX_TEXT_KEY = 64
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


def encode(key: Key) -> str:
    values = [v.astimezone(UTC).isoformat() if isinstance(v, datetime)
              else v.isoformat() if isinstance(v, date) else v for v in key]
    raw = json.dumps([VERSION, *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode(raw: str, shape: tuple[type, ...]) -> Key:
    """The key `raw` encodes, when it has `shape` (e.g. (int,) or (datetime, int))."""
    try:
        values = _values(raw)
        if len(values) != len(shape):
            raise ValueError("wrong number of values")
        return tuple(_check(kind, v) for kind, v in zip(shape, values, strict=True))
    except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
        raise ApiProblem(422, "Invalid input", "cursor must be the next_cursor of a previous "
                         "page of this list, sent back unchanged.",
                         {"cursor": ["not a cursor of this list"]}, code="invalid_cursor") from exc


def paged(page: Page, item=None) -> dict:
    """The contract's envelope; `item` turns a service's value into the documented item."""
    items = page.items if item is None else [item(i) for i in page.items]
    return {"items": items,
            "next_cursor": None if page.next_key is None else encode(page.next_key)}


def _values(raw: str) -> list:
    if not 0 < len(raw) <= MAX_CURSOR_LENGTH or not _ALPHABET.fullmatch(raw):
        raise ValueError("not urlsafe base64")
    data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if not isinstance(data, list) or not data or data[0] != VERSION or type(data[0]) is not int:
        raise ValueError("not a cursor of this version")
    return data[1:]


def _check(kind: type, value):
    if kind is int and type(value) is int and 0 < value <= MAX_ID:
        return value
    if kind is str and type(value) is str and 0 < len(value) <= MAX_TEXT_KEY \
            and value.isascii() and value.isprintable():
        return value
    if kind is date and type(value) is str and len(value) == 10 and value.isascii():
        return date.fromisoformat(value)
    if kind is datetime and type(value) is str and len(value) <= 40 and value.isascii():
        at = datetime.fromisoformat(value)
        if at.tzinfo is not None:
            return at.astimezone(UTC)
    raise ValueError(f"not a {kind.__name__}")
