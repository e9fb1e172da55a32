"""Who stole from my balls: the owner's side of stealing."""

from __future__ import annotations

from carbon.services import lookups
from db import UnitOfWork
from game.forest.repository import steals as repo


def thieves_of(uow: UnitOfWork, owner_id: int, ball_ids: list[int]) -> dict[int, list[dict]]:
    """{ball id: [{user_id, energy_g, at}, ...] oldest first} for those of `ball_ids` that
    are mine and were stolen from (pass only balls with stolen grams: no query otherwise)."""
    if not ball_ids:
        return {}
    with uow.reading():
        rows = repo.thefts_of(uow.session, owner_id, ball_ids)
        names = lookups.external_ids(uow.session, [thief for _, thief, _, _ in rows])
    found: dict[int, list[dict]] = {}
    for ball_id, thief, grams, at in rows:
        found.setdefault(ball_id, []).append({"user_id": names[thief], "energy_g": grams,
                                              "at": at})
    return found
