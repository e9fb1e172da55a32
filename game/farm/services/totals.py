"""Egg figures other resources show: a user's eggs (GET /v1/me), all eggs donated (public stats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from db import UnitOfWork
from game.farm import repository as repo
from game.farm.services.chicken import farm_state


@dataclass(frozen=True)
class EggTotals:
    eggs: int  # held: laid and not donated, exact at `now`
    eggs_donated: int


def egg_totals(uow: UnitOfWork, user_id: int, now: datetime) -> EggTotals:
    view = farm_state(uow, user_id, now)
    return EggTotals(view.eggs, view.eggs_donated)


def eggs_donated_total(uow: UnitOfWork) -> int:
    with uow:
        return repo.eggs_donated_total(uow.session)
