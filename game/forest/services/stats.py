"""Public figures of the forest."""

from __future__ import annotations

from carbon.services import lookups
from db import UnitOfWork
from game.forest.repository import plantings as repo


def public_stats(uow: UnitOfWork) -> dict:
    """Users, CO2e saved by all of them, and real trees planted (confirmed tree orders)."""
    with uow:
        users, co2e = lookups.user_totals(uow.session)
        trees = repo.trees_planted_total(uow.session)
    return {"users": users, "co2e_total_g": co2e, "trees_planted": trees}
