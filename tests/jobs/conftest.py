"""Data for the job tests, arranged with ORM rows: users, accepted events, settlement runs."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from carbon.domain.account import zone
from carbon.models import ActivityEvent, Ball, SettlementRun, User
from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW

GRACE = timedelta(minutes=30)
_ids = itertools.count(1)


def clock(instant: datetime):
    return lambda: instant


def add_user(s, tz: str = "Asia/Shanghai") -> User:
    user = User(external_id=f"jobs-user-{next(_ids)}", timezone=tz, co2e_total_g=0, created_at=NOW)
    s.add(user)
    s.flush()
    return user


def add_payment(s, user: User, day: date, count: int = 1) -> None:
    """`count` offline payments (5 g each) at noon, local time, on `day`."""
    noon = datetime.combine(day, time(12), tzinfo=zone(user.timezone)).astimezone(UTC)
    for _ in range(count):
        n = next(_ids)
        s.add(ActivityEvent(source="test", source_event_id=f"ev-{n}", user_id=user.id,
                            activity_type="offline_payment", quantity=1, occurred_at=noon,
                            local_date=day, attributes={}, payload_hash=f"{n:064x}",
                            dedupe_key=None, received_at=noon))
    s.flush()


def add_run(s, day: date, tz: str = "Asia/Shanghai", completed: bool = True) -> None:
    started = NOW - timedelta(days=30)
    s.add(SettlementRun(local_date=day, timezone=tz, started_at=started,
                        completed_at=started if completed else None))
    s.flush()


def ball_dates(s, user: User) -> list[date]:
    return list(s.scalars(select(Ball.local_date).where(Ball.user_id == user.id)
                          .order_by(Ball.local_date)))


def completed_runs(s, tz: str = "Asia/Shanghai") -> list[date]:
    return list(s.scalars(select(SettlementRun.local_date).where(
        SettlementRun.timezone == tz, SettlementRun.completed_at.is_not(None))
        .order_by(SettlementRun.local_date)))


def count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def methodology(uow):
    seed_default_methodology(uow, NOW)


@pytest.fixture
def uow_factory(uow, methodology):
    """What the scheduler gets: a callable returning a unit of work on the test's transaction."""
    return lambda: uow
