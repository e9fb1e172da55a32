"""Shields: until `users.shield_until` nobody may steal from the user's balls.
Session-level helpers: they never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from carbon.errors import UserNotFound
from carbon.models import User


def shield_until(session: Session, user_id: int) -> datetime | None:
    return session.scalar(select(User.shield_until).where(User.id == user_id))


def grant_shield(session: Session, user_id: int, hours: int, now: datetime) -> datetime:
    """Extend the user's shield by `hours` from whichever is later, now or the current end
    (so a campaign's shield never shortens one already granted). Returns the new end."""
    current = session.execute(
        select(User.id, User.shield_until).where(User.id == user_id).with_for_update()).first()
    if current is None:
        raise UserNotFound(f"No user with id {user_id} is known.")
    start = max(now, current.shield_until) if current.shield_until else now
    until = start + timedelta(hours=hours)
    session.execute(update(User).where(User.id == user_id).values(shield_until=until)
                    .execution_options(synchronize_session=False))
    return until
