"""How much of one activity each user did in a local day, for other packages (the farm's feed).

Set-based and read-only: takes a Session, never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carbon.models import ActivityEvent, User


def units_by_user(session: Session, local_date: date, timezone: str, activity_type: str,
                  after_user_id: int = 0, limit: int = 5000) -> list[tuple[int, int]]:
    """(user id, units) for the users of `timezone` with accepted `activity_type` events on
    `local_date`, by user id, starting after `after_user_id`. Units are the sum of the events'
    quantities: for a counted action (offline_payment) each event's quantity is a count of
    actions, at least one."""
    stmt = (select(ActivityEvent.user_id, func.sum(ActivityEvent.quantity))
            .join(User, User.id == ActivityEvent.user_id)
            .where(ActivityEvent.local_date == local_date, User.timezone == timezone,
                   ActivityEvent.activity_type == activity_type,
                   ActivityEvent.user_id > after_user_id)
            .group_by(ActivityEvent.user_id)
            .order_by(ActivityEvent.user_id)
            .limit(limit))
    return [(int(uid), int(units)) for uid, units in session.execute(stmt)]
