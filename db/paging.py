"""Keyset pages. A list reads `limit + 1` rows; the extra row only says that another page
follows, and that page starts after the key of the last row shown. The key is taken from the
rows inside the unit of work, as plain values: ORM objects are expired once it closes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# A row's place in its list's order: (id,), (key,), (asked_at, user_id), ...
Key = tuple[int | str | date | datetime, ...]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_key: Key | None = None  # None: this is the last page


def cut(rows: Sequence[R], limit: int, key: Callable[[R], Key]) -> tuple[list[R], Key | None]:
    """Split rows read with `limit + 1` into the rows to show and the key the next page
    starts after (None when nothing follows)."""
    shown = list(rows[:limit])
    return shown, (key(shown[-1]) if len(rows) > limit and shown else None)


def after_id(after: Key | None) -> int:
    """The id a page ordered by id starts after (0: the first page)."""
    return int(after[0]) if after else 0
