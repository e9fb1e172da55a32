"""A user's own egg donations, newest first."""

from __future__ import annotations

from db import UnitOfWork
from db.paging import Key, Page, after_id, cut
from game.farm import repository as repo


def my_donations(uow: UnitOfWork, user_id: int, after: Key | None,
                 limit: int) -> Page[dict]:
    """My donations by id, newest first (the key: the id; the next page holds lower ids)."""
    with uow.reading():
        rows = repo.donations_of(uow.session, user_id, after_id(after) if after else None,
                                 limit + 1)
    rows, next_key = cut(rows, limit, lambda r: (r[0],))
    return Page([{"id": i, "project_id": p, "project_name": name, "eggs": eggs,
                  "created_at": at} for i, p, name, eggs, at in rows], next_key)
