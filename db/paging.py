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
A = TypeVar("A")
B = TypeVar("B")

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
    if not after:
        return 0
    first = after[0]
    if isinstance(first, int | str):
        return int(first)
    raise TypeError(f"a page by id cannot start after a {type(first).__name__}")


def after_pair(after: Key | None, first: type[A], second: type[B]) -> tuple[A, B] | None:
    """The (first, second) key a page ordered by two columns starts after (None: the first
    page), checked against the types the list's order has: the API decoded it with that shape."""
    if after is None:
        return None
    a, b = after
    if isinstance(a, first) and isinstance(b, second):
        return a, b
    raise TypeError(f"a page by ({first.__name__}, {second.__name__}) cannot start after {after!r}")
