"""Queries over balls that follow from their ids (carbon/ball_ids.py). Never commits.

A user's open balls are found without an index of open balls per user: their settlement balls
of the few nights a ball can still be open are one short primary-key range per night, and the
rest (watering balls, balls older than the id scheme) are in the small partial index
ix_balls_user_loose_open. Settlement therefore writes only the primary key.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from carbon import ball_ids
from carbon.domain import account as domain
from carbon.models import OPEN, Ball
from db.sql import is_postgres

_B = Ball.__table__.c
# A settlement ball of local date d ripens on d + 1 and expires BALL_LIFETIME later: in UTC
# between about d + 3 and d + 5 for the zones from -12 h to +14 h. OPEN_NIGHTS covers more.
OPEN_NIGHTS = domain.BALL_LIFETIME.days + 4


def open_nights(now: datetime) -> list[date]:
    """The local dates whose settlement balls may still be open at `now`, any zone."""
    last = now.date() + timedelta(days=1)
    return [last - timedelta(days=i) for i in range(OPEN_NIGHTS)]


def users_open_balls() -> ColumnElement[bool]:
    """WHERE clause: the open balls of the user bound as :owner_id (the caller adds
    expires_at > now). Bind its parameters with `user_params`."""
    loose = or_(_B.settlement_batch_id.is_(None),
                _B.id < literal_column(str(ball_ids.LEGACY_END)))
    nights = [_B.id.between(bindparam(f"lo{i}"), bindparam(f"hi{i}"))
              for i in range(OPEN_NIGHTS)]
    return and_(_B.user_id == bindparam("owner_id"), _B.status == OPEN, or_(loose, *nights))


def user_params(user_id: int, now: datetime) -> dict:
    params: dict = {"owner_id": user_id}
    for i, night in enumerate(open_nights(now)):
        params[f"lo{i}"], params[f"hi{i}"] = ball_ids.user_range(night, user_id, user_id)
    return params


def next_loose_id(session: Session, d: date) -> int:
    """A new id for a ball of local date d that is not a settlement ball (watering)."""
    low, high = ball_ids.loose_range(d)
    if is_postgres(session):
        n = session.scalar(text("SELECT nextval('ball_loose_ids')"))
        return low + int(n) % ball_ids.LOOSE_SPAN
    # SQLite has one writer at a time: the highest id of the day + 1 cannot be taken meanwhile.
    top = session.scalar(select(func.max(_B.id)).where(_B.id.between(low, high)))
    return low if top is None else int(top) + 1
