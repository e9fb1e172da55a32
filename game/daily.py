"""What follows a settled local day, for every caller that settles (scheduler, admin API, CLI).

carbon cannot know the game, so the game lists here what it grants from a settled day. Each
entry is "module:function" called as fn(uow, local_date, timezone, now); it opens its own
`with uow:` and must be idempotent: two schedulers, or an operator and the scheduler, may both
call it for the same day.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import date, datetime

from carbon.services.settlement import settle_day
from db import UnitOfWork

log = logging.getLogger(__name__)

AFTER_SETTLEMENT: list[str] = [
    "game.farm.services.feed:grant_activity_feed",
]


def after_settlement(uow_factory: Callable[[], UnitOfWork], local_date: date, tz: str,
                     now: datetime) -> list[str]:
    """Run every follow-up for (local_date, tz); a failure is logged and the others still run.
    Returns the entries that failed."""
    failed = []
    for path in AFTER_SETTLEMENT:
        try:
            module, name = path.split(":")
            getattr(importlib.import_module(module), name)(uow_factory(), local_date, tz, now)
        except Exception:
            log.exception("after-settlement hook %s failed for %s in %s", path, local_date, tz)
            failed.append(path)
    return failed


def settle_day_and_follow_up(uow_factory: Callable[[], UnitOfWork], local_date: date,
                             now: datetime, timezones: list[str] | None, batch_users: int):
    """What an operator's settlement does (admin API, CLI): settle the date, then run the
    follow-ups for every zone now settled (idempotent, so a rerun grants nothing twice)."""
    report = settle_day(uow_factory(), local_date, now, timezones, batch_users)
    for tz in report.settled:
        after_settlement(uow_factory, local_date, tz, now)
    return report
