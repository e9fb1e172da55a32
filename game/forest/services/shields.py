"""Shields, granted by operators (admin API, CLI) or campaigns."""

from __future__ import annotations

from datetime import datetime

from carbon.errors import InvalidInput
from carbon.services import outbox, shields
from carbon.services.users import get_user
from db import UnitOfWork
from game.forest.domain import MAX_SHIELD_HOURS


def grant_shield(uow: UnitOfWork, external_id: str, hours: int, now: datetime) -> dict:
    """Protect the user's balls from thieves for `hours` more (from now, or from the end of
    the shield they already have)."""
    if not 1 <= hours <= MAX_SHIELD_HOURS:
        raise InvalidInput(f"hours must be between 1 and {MAX_SHIELD_HOURS}.",
                           {"hours": [f"1 to {MAX_SHIELD_HOURS}"]})
    with uow:
        user = get_user(uow.session, external_id)
        until = shields.grant_shield(uow.session, user.id, hours, now)
        outbox.record(uow.session, "shield_granted", now, user_id=user.id, hours=hours,
                      shield_until=until.isoformat())
        uow.commit()
    return {"user_id": external_id, "shield_until": until}
